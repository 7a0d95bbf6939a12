//! The WSDL files, describing exactly the operations `ops::OPERATIONS` implements. One
//! document serves every version; only its target namespace and service address differ.

use std::collections::HashMap;

use axum::{
    extract::{Path, Query},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
};

const TEMPLATE: &str = include_str!("wsdl/IpsApi.wsdl");

/// The WSDL files served, by name, with their target namespace.
const FILES: &[(&str, &str)] = &[
    ("IpsApi-2014-04-03.wsdl", "http://www.scene7.com/IpsApi/xsd/2014-04-03"),
    ("IpsApi-2008-01-15.wsdl", "http://www.scene7.com/IpsApi/xsd/2008-01-15"),
];

/// The WSDL for a target namespace, pointing clients at `service_url`.
pub fn document(tns: &str, service_url: &str) -> String {
    TEMPLATE.replace("{{TNS}}", tns).replace("{{SERVICE_URL}}", &quick_xml::escape::escape(service_url))
}

/// Where clients should send requests: `serviceUrl` when given (as the IPS WSDL servlet
/// allows, for proxies), else this server as the request reached it.
fn service_url(headers: &HeaderMap, query: &HashMap<String, String>) -> String {
    if let Some(url) =
        query.get("serviceUrl").filter(|u| u.starts_with("http://") || u.starts_with("https://"))
    {
        return url.clone();
    }
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("localhost");
    let scheme = match headers.get("x-forwarded-proto").and_then(|h| h.to_str().ok()) {
        Some("https") => "https",
        _ => "http",
    };
    format!("{scheme}://{host}/scene7/services/IpsApiService")
}

fn wsdl_response(tns: &str, headers: &HeaderMap, query: &HashMap<String, String>) -> Response {
    let body = document(tns, &service_url(headers, query));
    (StatusCode::OK, [(header::CONTENT_TYPE, "text/xml; charset=utf-8")], body).into_response()
}

/// `GET /scene7/services/IpsApiService?wsdl`, as Axis2 toolkits ask: the newest WSDL.
pub async fn serve_latest(Query(query): Query<HashMap<String, String>>, headers: HeaderMap) -> Response {
    wsdl_response(FILES[0].1, &headers, &query)
}

/// `GET /scene7/webservice/<file>`.
pub async fn serve(
    Path(file): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    match FILES.iter().find(|(name, _)| *name == file) {
        Some((_, tns)) => wsdl_response(tns, &headers, &query),
        None => {
            let names: Vec<&str> = FILES.iter().map(|(n, _)| *n).collect();
            let message = format!("no WSDL named {file}; this server has {}", names.join(" and "));
            (StatusCode::NOT_FOUND, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], message)
                .into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::soap::{ops::OPERATIONS, xml::Element};

    #[test]
    fn the_wsdl_describes_exactly_the_implemented_operations_with_their_elements() {
        let raw = document("urn:tns", "http://h/x?a=1&b=2");
        let wsdl = Element::parse(raw.as_bytes()).expect("the WSDL is well-formed XML");
        for (op, _) in OPERATIONS {
            assert!(raw.contains(&format!("<wsdl:operation name=\"{op}\">")), "{op} missing from the WSDL");
            assert!(raw.contains(&format!("<xsd:element name=\"{op}Param\">")), "{op}Param missing");
            assert!(raw.contains(&format!("<xsd:element name=\"{op}Return\">")), "{op}Return missing");
            assert!(raw.contains(&format!("soapAction=\"{op}\"")), "{op} soapAction missing");
        }
        let declared = |section: &str| wsdl.child(section).unwrap().children_named("operation").count();
        assert_eq!(declared("portType"), OPERATIONS.len());
        assert_eq!(declared("binding"), OPERATIONS.len());
        assert!(raw.contains(r#"location="http://h/x?a=1&amp;b=2""#));
        assert!(!raw.contains("{{"), "a placeholder was left unfilled");
    }
}
