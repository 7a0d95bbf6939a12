//! Every error leaves as `{code, fault, reason}` with the IPS code; internal errors are logged
//! with their cause chain and leave as a bare 30000.

use axum::{
    Json,
    extract::Request,
    http::{HeaderValue, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};
use serde::Serialize;
use utoipa::ToSchema;

use crate::{
    domain::{Fault, FaultClass},
    error::Error,
};

/// An error as every JSON answer carries it: the IPS fault code, its element and a reason.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FaultBody {
    /// IPS code: 10000s authentication, 20000s authorization, 30000s API faults.
    pub code: u32,
    /// `authenticationFault`, `authorizationFault` or `ipsApiFault`.
    #[schema(value_type = String, pattern = "^(authenticationFault|authorizationFault|ipsApiFault)$")]
    pub fault: &'static str,
    /// What went wrong, in words a client can act on.
    pub reason: String,
}

impl From<&Fault> for FaultBody {
    fn from(fault: &Fault) -> Self {
        FaultBody { code: fault.code, fault: fault.kind().element(), reason: fault.reason.clone() }
    }
}

/// An error a handler returns.
#[derive(Debug)]
pub struct ApiError(pub Error);

impl<E: Into<Error>> From<E> for ApiError {
    fn from(e: E) -> Self {
        ApiError(e.into())
    }
}

fn status_of(class: FaultClass) -> StatusCode {
    match class {
        FaultClass::Unauthenticated => StatusCode::UNAUTHORIZED,
        FaultClass::Forbidden => StatusCode::FORBIDDEN,
        FaultClass::Invalid => StatusCode::BAD_REQUEST,
        FaultClass::NotFound => StatusCode::NOT_FOUND,
        FaultClass::Conflict => StatusCode::CONFLICT,
        FaultClass::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        FaultClass::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
        FaultClass::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
        FaultClass::Internal => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let fault = match self.0 {
            Error::Fault(fault) => fault,
            Error::Internal(e) => {
                tracing::error!(error = format!("{e:#}"), "internal error");
                internal_fault()
            }
        };
        fault_response(fault)
    }
}

fn internal_fault() -> Fault {
    Fault::new(Fault::EXCEPTION, "internal error; it has been logged")
}

/// The answer to a request whose handler failed without an error of its own (it panicked).
pub(super) fn internal_error() -> Response {
    fault_response(internal_fault())
}

/// A fault as every listener answers it: its HTTP status, `{code, fault, reason}`, and
/// `Retry-After` or `WWW-Authenticate` where the fault calls for them.
pub fn fault_response(fault: Fault) -> Response {
    let status = status_of(fault.class);
    let mut response = (status, Json(FaultBody::from(&fault))).into_response();
    if let FaultClass::RateLimited { retry_after_secs } | FaultClass::Unavailable { retry_after_secs } =
        fault.class
    {
        response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
    }
    if status == StatusCode::UNAUTHORIZED {
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Basic realm=\"ipscopy\""));
    }
    response
}

/// Gives the client errors axum answers by itself — a path segment that is not UTF-8, a query
/// string that does not parse, a body over the limit, an unknown route or method — the
/// `{code, fault, reason}` shape every other error has, instead of plain text.
pub async fn uniform_client_errors(request: Request, next: Next) -> Response {
    let (method, path) = (request.method().clone(), request.uri().path().to_string());
    let response = next.run(request).await;
    // JSON errors are shaped already; SOAP faults (XML) are shaped as IPS shapes them.
    let is_shaped = response.headers().get(header::CONTENT_TYPE).is_some_and(|v| {
        let v = v.as_bytes();
        v.starts_with(b"application/json") || v.windows(3).any(|w| w == b"xml")
    });
    if !response.status().is_client_error() || is_shaped {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let text = axum::body::to_bytes(body, 64 * 1024).await.unwrap_or_default();
    let text = String::from_utf8_lossy(&text).trim().to_string();
    let reason = match parts.status {
        _ if !text.is_empty() => text,
        StatusCode::NOT_FOUND => format!("no route {path}"),
        StatusCode::METHOD_NOT_ALLOWED => format!("{method} is not allowed on {path}"),
        status => status.canonical_reason().unwrap_or("invalid request").to_string(),
    };
    let body = serde_json::to_vec(&FaultBody::from(&Fault::invalid_parameter(reason))).unwrap_or_default();
    parts.headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, axum::body::Body::from(body))
}
