//! The WSDL files, written from `soap::schema`: Adobe's skeleton (target namespace
//! `http://www.scene7.com/IpsApi`, messages with parts `input` / `output`, three fault
//! messages, SOAP 1.1 and 1.2 bindings, service `IpsApiService`) listing exactly the operations
//! we serve. Only the types namespace and the service address differ between the files.

use std::collections::HashMap;

use axum::{
    extract::{Path, Query},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
};

use super::{
    envelope::NS_IPS,
    schema::{ComplexType, Field, OPERATIONS, TYPES, Ty, req},
    xml::Node,
};

/// The WSDL target namespace, the same for every version, as in Adobe's files.
pub const NS_WSDL_TARGET: &str = "http://www.scene7.com/IpsApi";
const NS_WSDL: &str = "http://schemas.xmlsoap.org/wsdl/";
const NS_WSDL_SOAP11: &str = "http://schemas.xmlsoap.org/wsdl/soap/";
const NS_WSDL_SOAP12: &str = "http://schemas.xmlsoap.org/wsdl/soap12/";
const NS_XSD: &str = "http://www.w3.org/2001/XMLSchema";
const HTTP_TRANSPORT: &str = "http://schemas.xmlsoap.org/soap/http";

/// The versions served, newest first: file name and types namespace. `IpsApi.wsdl` is the newest.
const FILES: &[(&str, &str)] = &[
    ("IpsApi-2014-04-03.wsdl", "http://www.scene7.com/IpsApi/xsd/2014-04-03"),
    ("IpsApi-2013-02-15.wsdl", "http://www.scene7.com/IpsApi/xsd/2013-02-15"),
    ("IpsApi-2008-01-15.wsdl", "http://www.scene7.com/IpsApi/xsd/2008-01-15"),
];

/// The three fault elements, each `code` and `reason`, in the unversioned namespace.
pub const FAULTS: [&str; 3] = ["ipsApiFault", "authenticationFault", "authorizationFault"];

/// The elements of `authHeader`, all optional, in any order (`xsd:all`).
const AUTH_HEADER: &[(&str, &str)] = &[
    ("user", "xsd:string"),
    ("password", "xsd:string"),
    ("accessToken", "xsd:string"),
    ("locale", "xsd:string"),
    ("appName", "xsd:string"),
    ("appVersion", "xsd:string"),
    ("gzipResponse", "xsd:boolean"),
    ("faultHttpStatusCode", "xsd:int"),
];

fn element(field: &Field) -> Node {
    let mut node = Node::new("xsd:element").attr("name", field.name).attr("type", field.ty.qname());
    if !field.required {
        node = node.attr("minOccurs", "0");
    }
    if field.many {
        node = node.attr("maxOccurs", "unbounded");
    }
    node
}

fn sequence(fields: &[Field]) -> Node {
    let mut sequence = Node::new("xsd:sequence");
    sequence.children = fields.iter().map(element).collect();
    sequence
}

fn complex_type(ty: &ComplexType) -> Node {
    Node::new("xsd:complexType").attr("name", ty.name).child(sequence(ty.fields))
}

fn top_element(name: String, fields: &[Field]) -> Node {
    Node::new("xsd:element").attr("name", name).child(Node::new("xsd:complexType").child(sequence(fields)))
}

fn types_schema(types_ns: &str) -> Node {
    let mut schema =
        Node::new("xsd:schema").attr("targetNamespace", types_ns).attr("elementFormDefault", "qualified");
    schema.children.extend(TYPES.iter().map(complex_type));
    for op in OPERATIONS {
        schema.children.push(top_element(format!("{}Param", op.name), op.param));
        schema.children.push(top_element(format!("{}Return", op.name), op.ret));
    }
    schema
}

fn header_schema() -> Node {
    let code_and_reason = [req("code", Ty::Int), req("reason", Ty::Str)];
    let mut schema =
        Node::new("xsd:schema").attr("targetNamespace", NS_IPS).attr("elementFormDefault", "qualified");
    for fault in FAULTS {
        schema.children.push(Node::new("xsd:element").attr("name", fault).child(
            Node::new("xsd:complexType").child(sequence(&code_and_reason)).child(
                Node::new("xsd:anyAttribute").attr("namespace", "##other").attr("processContents", "lax"),
            ),
        ));
    }
    let mut all = Node::new("xsd:all");
    all.children = AUTH_HEADER
        .iter()
        .map(|(name, ty)| {
            Node::new("xsd:element").attr("name", *name).attr("type", *ty).attr("minOccurs", "0")
        })
        .collect();
    schema.child(
        Node::new("xsd:element").attr("name", "authHeader").child(Node::new("xsd:complexType").child(all)),
    )
}

fn message(name: &str, part: &str, element: &str) -> Node {
    Node::new("wsdl:message")
        .attr("name", name)
        .child(Node::new("wsdl:part").attr("name", part).attr("element", element))
}

fn port_type() -> Node {
    let mut port_type = Node::new("wsdl:portType").attr("name", "IpsApiPortType");
    for op in OPERATIONS {
        let mut node = Node::new("wsdl:operation")
            .attr("name", op.name)
            .child(Node::new("wsdl:input").attr("name", op.name).attr("message", format!("tns:{}", op.name)))
            .child(
                Node::new("wsdl:output")
                    .attr("name", format!("{}Response", op.name))
                    .attr("message", format!("tns:{}Response", op.name)),
            );
        for fault in FAULTS {
            node = node.child(
                Node::new("wsdl:fault").attr("name", fault).attr("message", format!("tns:{fault}Exception")),
            );
        }
        port_type = port_type.child(node);
    }
    port_type
}

/// A binding with `soap` (`soap` or `soap12`) as the extension prefix.
fn binding(name: &str, soap: &str) -> Node {
    let ext = |what: &str| Node::new(format!("{soap}:{what}"));
    let body = || ext("body").attr("use", "literal").attr("namespace", NS_WSDL_TARGET);
    let mut binding = Node::new("wsdl:binding")
        .attr("name", name)
        .attr("type", "tns:IpsApiPortType")
        .child(ext("binding").attr("style", "document").attr("transport", HTTP_TRANSPORT));
    for op in OPERATIONS {
        let mut node = Node::new("wsdl:operation")
            .attr("name", op.name)
            .child(ext("operation").attr("soapAction", op.name))
            .child(
                Node::new("wsdl:input").attr("name", op.name).child(body()).child(
                    ext("header")
                        .attr("message", "tns:authHeader")
                        .attr("part", "authHeader")
                        .attr("use", "literal")
                        .attr("namespace", NS_WSDL_TARGET),
                ),
            )
            .child(Node::new("wsdl:output").attr("name", format!("{}Response", op.name)).child(body()));
        for fault in FAULTS {
            node = node.child(
                Node::new("wsdl:fault")
                    .attr("name", fault)
                    .child(ext("fault").attr("name", fault).attr("use", "literal")),
            );
        }
        binding = binding.child(node);
    }
    binding
}

/// The WSDL whose IPS types are in `types_ns`, pointing clients at `service_url`.
pub fn document(types_ns: &str, service_url: &str) -> Vec<u8> {
    let mut definitions = Node::new("wsdl:definitions")
        .attr("name", "IpsApi")
        .attr("targetNamespace", NS_WSDL_TARGET)
        .attr("xmlns:wsdl", NS_WSDL)
        .attr("xmlns:soap", NS_WSDL_SOAP11)
        .attr("xmlns:soap12", NS_WSDL_SOAP12)
        .attr("xmlns:xsd", NS_XSD)
        .attr("xmlns:tns", NS_WSDL_TARGET)
        .attr("xmlns:types", types_ns)
        .attr("xmlns:ips", NS_IPS)
        .child(Node::new("wsdl:types").child(types_schema(types_ns)).child(header_schema()));
    for op in OPERATIONS {
        definitions = definitions
            .child(message(op.name, "input", &format!("types:{}Param", op.name)))
            .child(message(&format!("{}Response", op.name), "output", &format!("types:{}Return", op.name)));
    }
    for fault in FAULTS {
        definitions =
            definitions.child(message(&format!("{fault}Exception"), "fault", &format!("ips:{fault}")));
    }
    definitions
        .child(message("authHeader", "authHeader", "ips:authHeader"))
        .child(port_type())
        .child(binding("IpsApiServiceSoapBinding", "soap"))
        .child(binding("IpsApiServiceSoap12Binding", "soap12"))
        .child(
            Node::new("wsdl:service")
                .attr("name", "IpsApiService")
                .child(
                    Node::new("wsdl:port")
                        .attr("name", "IpsApiSoapPort")
                        .attr("binding", "tns:IpsApiServiceSoapBinding")
                        .child(Node::new("soap:address").attr("location", service_url)),
                )
                .child(
                    Node::new("wsdl:port")
                        .attr("name", "IpsApiSoap12Port")
                        .attr("binding", "tns:IpsApiServiceSoap12Binding")
                        .child(Node::new("soap12:address").attr("location", service_url)),
                ),
        )
        .to_document()
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

fn wsdl_response(types_ns: &str, headers: &HeaderMap, query: &HashMap<String, String>) -> Response {
    let body = document(types_ns, &service_url(headers, query));
    (StatusCode::OK, [(header::CONTENT_TYPE, "text/xml; charset=utf-8")], body).into_response()
}

/// `GET /scene7/services/IpsApiService?wsdl`, as Axis2 toolkits ask: the newest WSDL.
pub async fn serve_latest(Query(query): Query<HashMap<String, String>>, headers: HeaderMap) -> Response {
    wsdl_response(FILES[0].1, &headers, &query)
}

/// `GET /scene7/webservice/<file>`: `IpsApi.wsdl` (the newest) or a dated one.
pub async fn serve(
    Path(file): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let types_ns = if file == "IpsApi.wsdl" {
        Some(FILES[0].1)
    } else {
        FILES.iter().find(|(name, _)| *name == file).map(|(_, ns)| *ns)
    };
    match types_ns {
        Some(ns) => wsdl_response(ns, &headers, &query),
        None => {
            let names: Vec<&str> =
                std::iter::once("IpsApi.wsdl").chain(FILES.iter().map(|(n, _)| *n)).collect();
            let message = format!("no WSDL named {file}; this server has {}", names.join(", "));
            (StatusCode::NOT_FOUND, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], message)
                .into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::soap::xml::Element;

    #[test]
    fn the_wsdl_lists_every_served_operation_in_its_port_type_both_bindings_and_messages() {
        let raw = document(FILES[0].1, "http://h/x?a=1&b=2");
        let wsdl = Element::parse(&raw).expect("the WSDL is well-formed XML");
        let operations = |section: &str| -> Vec<String> {
            wsdl.children_named(section)
                .flat_map(|s| s.children_named("operation").map(|o| o.attr("name").unwrap_or_default()))
                .collect()
        };
        let served: Vec<String> = OPERATIONS.iter().map(|op| op.name.to_string()).collect();
        assert_eq!(operations("portType"), served);
        assert_eq!(operations("binding"), [served.clone(), served.clone()].concat());
        let messages = wsdl.children_named("message").count();
        assert_eq!(messages, 2 * OPERATIONS.len() + FAULTS.len() + 1);
        let text = String::from_utf8(raw).unwrap();
        assert!(text.contains(r#"location="http://h/x?a=1&amp;b=2""#), "the address is escaped");
    }
}
