//! The IPS SOAP front: `POST /scene7/services/IpsApiService`, wire-compatible with Scene7
//! clients, and the WSDL files under `/scene7/webservice/`.

mod auth;
pub mod envelope;
mod fault;
mod fields;
mod ops;
pub mod schema;
mod upload_file;
mod wsdl;
pub mod xml;

use axum::{
    Router,
    body::Bytes,
    extract::{DefaultBodyLimit, State},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
    routing::{get, post},
};

pub use self::schema::{OPERATIONS, Scope};
use self::{
    envelope::{Envelope, NS_IPS, SoapVersion, is_ips_namespace},
    ops::Call,
    xml::{Element, Node},
};
use crate::{
    domain::Fault,
    error::{Error, Result},
    state::{AppState, ClientAddress},
};

/// Largest SOAP request accepted; batch calls with thousands of handles stay well below it.
const MAX_BODY_BYTES: usize = 4 * 1024 * 1024;

/// How a reply is sent: the request's SOAP version and the fault status.
struct Reply {
    version: SoapVersion,
    fault_status: u16,
}

/// The SOAP service and WSDL routes, with their own body limit.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/scene7/services/IpsApiService", post(service).get(wsdl::serve_latest))
        .route("/scene7/api/IpsApiService", post(api))
        .route("/scene7/webservice/{file}", get(wsdl::serve))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .merge(upload_file::router())
}

async fn service(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let soap12 = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().starts_with("application/soap+xml"));
    let mut reply =
        Reply { version: if soap12 { SoapVersion::V12 } else { SoapVersion::V11 }, fault_status: 500 };
    let outcome = handle(&state, address, &headers, &body, &mut reply).await;
    let content_type = [(header::CONTENT_TYPE, reply.version.content_type())];
    match outcome {
        Ok(content) => (StatusCode::OK, content_type, envelope::wrap(reply.version, content)).into_response(),
        Err(e) => {
            let fault = client_fault(e);
            let status =
                StatusCode::from_u16(reply.fault_status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            (status, content_type, fault::envelope(reply.version, &fault)).into_response()
        }
    }
}

/// `POST /scene7/api/IpsApiService`, the entry AEM's Dynamic Media integration uses: no
/// envelope, a `<Request>` holding the `authHeader` and one `<op>Param`, answered with the bare
/// `<op>Return` (or fault element) as the document root. Same dispatch, auth and limits.
async fn api(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut fault_status = 500;
    let outcome = async {
        let root = Element::parse(&body).map_err(|e| Fault::new(Fault::INVALID_REQUEST_XML, e.0))?;
        if root.name != "Request" || !root.ns.as_deref().is_some_and(is_ips_namespace) {
            return Err(Fault::new(
                Fault::INVALID_REQUEST_XML,
                format!("the root element must be an IPS <Request>, not {:?}", root.name),
            )
            .into());
        }
        let (auth_headers, params): (Vec<Element>, Vec<Element>) =
            root.children.into_iter().partition(|c| c.name == "authHeader");
        if let Some(status) = auth::read(&auth_headers, &headers).fault_status {
            fault_status = status;
        }
        let [params] = <[Element; 1]>::try_from(params).map_err(|params| {
            Fault::new(
                Fault::INVALID_REQUEST_XML,
                format!(
                    "a <Request> holds one <operation>Param element besides authHeader, not {}",
                    params.len()
                ),
            )
        })?;
        call(&state, address, &headers, &auth_headers, &params, &mut fault_status).await
    }
    .await;
    let content_type = [(header::CONTENT_TYPE, "text/xml; charset=utf-8")];
    match outcome {
        Ok(content) => (StatusCode::OK, content_type, content.to_document()).into_response(),
        Err(e) => {
            let status = StatusCode::from_u16(fault_status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            (status, content_type, fault::detail(&client_fault(e)).to_document()).into_response()
        }
    }
}

/// The fault a client sees: ours as it is, an internal error logged with its cause and answered
/// without it.
fn client_fault(e: Error) -> Fault {
    let fault = match e {
        Error::Fault(fault) => fault,
        Error::Internal(e) => {
            tracing::error!(error = format!("{e:#}"), "internal error in a SOAP call");
            Fault::new(Fault::EXCEPTION, "internal error; it has been logged")
        }
    };
    tracing::debug!(code = fault.code, reason = %fault.reason, "SOAP fault");
    fault
}

/// The operation a request asks for: its body element `<op>Param`, which a `SOAPAction` (or
/// a SOAP 1.2 `action` parameter) must agree with when one is sent.
fn operation(body: &Element, headers: &HeaderMap) -> Result<String, Fault> {
    let invalid = |why: String| Fault::new(Fault::INVALID_REQUEST_XML, why);
    let op = body.name.strip_suffix("Param").filter(|op| !op.is_empty()).ok_or_else(|| {
        invalid(format!("the SOAP Body element {:?} is not an <operation>Param element", body.name))
    })?;
    let header_action = headers.get("soapaction").and_then(|v| v.to_str().ok()).map(str::to_string);
    let content_type_action = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|ct| ct.split(';').find_map(|p| p.trim().strip_prefix("action=")).map(str::to_string));
    if let Some(action) = header_action.or(content_type_action) {
        let action = action.trim().trim_matches('"');
        let named = action.rsplit(['/', ':', '#']).next().unwrap_or(action);
        if !named.is_empty() && named != op {
            return Err(invalid(format!(
                "SOAPAction {action:?} does not match the body element {}",
                body.name
            )));
        }
    }
    Ok(op.to_string())
}

async fn handle(
    state: &AppState,
    address: Option<std::net::IpAddr>,
    headers: &HeaderMap,
    body: &[u8],
    reply: &mut Reply,
) -> Result<Node> {
    let root = Element::parse(body).map_err(|e| Fault::new(Fault::INVALID_REQUEST_XML, e.0))?;
    let envelope = Envelope::from_root(root).map_err(|(version, fault)| {
        if let Some(version) = version {
            reply.version = version;
        }
        fault
    })?;
    reply.version = envelope.version;
    call(state, address, headers, &envelope.headers, &envelope.body, &mut reply.fault_status).await
}

/// One IPS call from either entry: credentials from `auth_headers` (or HTTP), the `<op>Param`
/// element `params`; returns the `<op>Return` element in the request's namespace.
async fn call(
    state: &AppState,
    address: Option<std::net::IpAddr>,
    headers: &HeaderMap,
    auth_headers: &[Element],
    params: &Element,
    fault_status: &mut u16,
) -> Result<Node> {
    let auth = auth::read(auth_headers, headers);
    if let Some(status) = auth.fault_status {
        *fault_status = status;
    }
    let ns = params.ns.as_deref().unwrap_or_default();
    if !is_ips_namespace(ns) {
        return Err(Fault::new(
            Fault::INVALID_REQUEST_XML,
            format!(
                "{} must be in the IPS namespace {NS_IPS} or a dated one such as {NS_IPS}/2014-04-03, not {ns:?}",
                params.name
            ),
        )
        .into());
    }
    let op = operation(params, headers)?;
    let op = schema::operation(&op).ok_or_else(|| {
        Fault::new(Fault::INVALID_REQUEST_XML, format!("operation {op} is not supported by this server"))
    })?;
    let Some(credentials) = auth.credentials else {
        if auth.access_token {
            return Err(Fault::new(
                Fault::INVALID_CREDENTIALS,
                "accessToken login is not supported by this server: send user and password in the authHeader",
            )
            .into());
        }
        return Err(Fault::new(
            Fault::NO_CREDENTIALS,
            "no credentials: send an authHeader SOAP header, HTTP Basic authentication or AuthUser/AuthPassword",
        )
        .into());
    };
    let caller = state.auth.authenticate(&credentials, address).await?;
    schema::check_request(op, params)?;
    let call = Call { state, caller: &caller, params, scope: op.scope };
    let mut content = ops::dispatch(op.name, &call).await?;
    schema::conform(&mut content, op.ret)
        .map_err(|why| anyhow::anyhow!("the {} reply does not fit the IPS schema: {why}", op.name))?;
    let include = call.array("responseFieldArray").unwrap_or_default();
    let exclude = call.array("excludeFieldArray").unwrap_or_default();
    fields::filter(&mut content, &include, &exclude);
    Ok(content.attr("xmlns", ns))
}
