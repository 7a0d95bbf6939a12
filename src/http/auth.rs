//! HTTP Basic authentication (e-mail:password) for the JSON API.

use axum::{extract::FromRequestParts, http::request::Parts};

use super::{ApiError, AppState};
use crate::{
    auth::{Caller, basic_credentials},
    domain::Fault,
};

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let Some(value) = parts.headers.get(axum::http::header::AUTHORIZATION) else {
            return Err(
                Fault::new(Fault::NO_CREDENTIALS, "no credentials: use HTTP Basic authentication").into()
            );
        };
        let (email, password) = basic_credentials(value.as_bytes()).ok_or_else(|| {
            Fault::new(Fault::NO_CREDENTIALS, "the Authorization header is not valid HTTP Basic credentials")
        })?;
        Ok(crate::auth::authenticate(&state.pool, &email, &password).await?)
    }
}
