//! HTTP Basic authentication (e-mail:password) for the JSON API, and the client address both
//! fronts throttle failed logins by.

use axum::{extract::FromRequestParts, http::request::Parts};

use super::ApiError;
use crate::{
    auth::{Caller, basic_credentials},
    domain::Fault,
    state::{AppState, ClientAddress},
};

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let Ok(ClientAddress(address)) = ClientAddress::from_request_parts(parts, state).await;
        let Some(value) = parts.headers.get(axum::http::header::AUTHORIZATION) else {
            return Err(
                Fault::new(Fault::NO_CREDENTIALS, "no credentials: use HTTP Basic authentication").into()
            );
        };
        let credentials = basic_credentials(value.as_bytes()).ok_or_else(|| {
            Fault::new(Fault::NO_CREDENTIALS, "the Authorization header is not valid HTTP Basic credentials")
        })?;
        Ok(state.auth.authenticate(&credentials, address).await?)
    }
}
