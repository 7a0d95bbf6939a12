//! HTTP Basic authentication (e-mail:password) for the JSON API.

use axum::{extract::FromRequestParts, http::request::Parts};
use base64::{Engine, engine::general_purpose::STANDARD};

use super::{ApiError, AppState};
use crate::{auth::Caller, domain::Fault};

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

/// Decodes `Basic base64(user:password)`.
pub(crate) fn basic_credentials(header: &[u8]) -> Option<(String, String)> {
    let header = std::str::from_utf8(header).ok()?;
    let (scheme, encoded) = header.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = String::from_utf8(STANDARD.decode(encoded.trim()).ok()?).ok()?;
    let (user, password) = decoded.split_once(':')?;
    Some((user.to_string(), password.to_string()))
}

#[cfg(test)]
mod tests {
    use super::basic_credentials;

    #[test]
    fn basic_credentials_split_at_the_first_colon_so_passwords_may_hold_colons() {
        // "ann@example.com:pa:ss"
        let header = b"Basic YW5uQGV4YW1wbGUuY29tOnBhOnNz";
        assert_eq!(basic_credentials(header), Some(("ann@example.com".into(), "pa:ss".into())));
    }

    #[test]
    fn other_schemes_and_garbage_are_not_credentials() {
        assert_eq!(basic_credentials(b"Bearer abc"), None);
        assert_eq!(basic_credentials(b"Basic !!!"), None);
        assert_eq!(basic_credentials(b"Basic bm9jb2xvbg=="), None);
    }
}
