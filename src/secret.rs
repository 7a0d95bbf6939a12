//! Credentials held in settings: their `Debug` never shows the secret, and reading it takes an
//! explicit `expose`, so a stray `{:?}` in a log line cannot leak one.

use std::fmt;

pub use secrecy::{ExposeSecret, SecretString};

/// A URL that may carry a password (`amqp://user:password@host/`); printed with the password
/// masked.
#[derive(Clone)]
pub struct SecretUrl(SecretString);

impl SecretUrl {
    /// The full URL, password included: only for handing to the client library.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }

    /// The URL with its password replaced by `***`, for logs.
    pub fn redacted(&self) -> String {
        redact(self.expose())
    }
}

impl From<String> for SecretUrl {
    fn from(url: String) -> Self {
        Self(url.into())
    }
}

impl From<&str> for SecretUrl {
    fn from(url: &str) -> Self {
        Self(url.into())
    }
}

impl fmt::Debug for SecretUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.redacted())
    }
}

/// The URL with its password, and any `password=` query parameter, masked. A URL that does not
/// parse is not shown at all: it may still hold a password.
fn redact(url: &str) -> String {
    let Ok(mut parsed) = url::Url::parse(url) else {
        return "<unparseable URL>".into();
    };
    if parsed.password().is_some() {
        let _ = parsed.set_password(Some("***"));
    }
    let is_password = |key: &str| key.eq_ignore_ascii_case("password");
    if parsed.query_pairs().any(|(key, _)| is_password(&key)) {
        let pairs: Vec<(String, String)> = parsed
            .query_pairs()
            .map(|(k, v)| (k.to_string(), if is_password(&k) { "***".into() } else { v.to_string() }))
            .collect();
        parsed.query_pairs_mut().clear().extend_pairs(pairs);
    }
    parsed.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_print_without_their_password() {
        let url = SecretUrl::from("amqp://guest:s3cret-pw@127.0.0.1:5672/%2f");
        assert_eq!(format!("{url:?}"), "\"amqp://guest:***@127.0.0.1:5672/%2f\"");
        assert_eq!(url.expose(), "amqp://guest:s3cret-pw@127.0.0.1:5672/%2f");
        assert_eq!(SecretUrl::from("postgres://127.0.0.1/x").redacted(), "postgres://127.0.0.1/x");
    }

    #[test]
    fn passwords_with_at_signs_in_query_parameters_or_in_unparseable_urls_are_hidden() {
        for (url, secret) in [
            ("postgres://app:pw@word@db:5432/x", "word"),
            ("postgres://db/x?user=app&password=hunter2", "hunter2"),
            ("postgres://app:hunter2@[::1", "hunter2"),
        ] {
            let shown = format!("{:?}", SecretUrl::from(url));
            assert!(!shown.contains(secret), "{shown}");
        }
    }

    #[test]
    fn secret_strings_print_no_secret() {
        let key = SecretString::from("AKIA-very-secret-key");
        assert!(!format!("{key:?}").contains("very-secret"), "{key:?}");
        assert_eq!(key.expose_secret(), "AKIA-very-secret-key");
    }
}
