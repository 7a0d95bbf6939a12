//! Every error leaves as `{code, fault, reason}` with the IPS code; internal errors are logged
//! with their cause chain and leave as a bare 30000.

use axum::{
    Json,
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde_json::json;

use crate::{
    domain::{Fault, FaultClass},
    error::Error,
};

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
        FaultClass::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
        FaultClass::Internal => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let fault = match self.0 {
            Error::Fault(fault) => fault,
            Error::Internal(e) => {
                tracing::error!(error = format!("{e:#}"), "internal error");
                Fault::new(Fault::EXCEPTION, "internal error; it has been logged")
            }
        };
        let status = status_of(fault.class);
        let body = json!({ "code": fault.code, "fault": fault.kind().element(), "reason": fault.reason });
        let mut response = (status, Json(body)).into_response();
        if let FaultClass::RateLimited { retry_after_secs } = fault.class {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
        }
        if status == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Basic realm=\"ipscopy\""));
        }
        response
    }
}

/// Parses a JSON body, answering 30003 with the parser's reason when it is not valid.
pub fn parse_json<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(body).map_err(|e| {
        Fault::new(Fault::INVALID_REQUEST_XML, format!("the request body is not valid JSON: {e}")).into()
    })
}
