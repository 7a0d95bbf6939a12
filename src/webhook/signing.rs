//! Standard Webhooks 1.0 symmetric signatures: `v1,` + base64 HMAC-SHA256 of `id.timestamp.body`.

use std::fmt;

use base64::{Engine, engine::general_purpose::STANDARD};
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Prefix of every secret shown to clients, as in the spec.
const PREFIX: &str = "whsec_";
/// Random bytes in a new secret (the spec asks for 24 to 64).
const SECRET_BYTES: usize = 32;

/// An endpoint's signing secret, `whsec_` + base64 key. Its `Debug` never shows the key.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// A fresh random secret.
    pub fn generate() -> Self {
        let key: [u8; SECRET_BYTES] = rand::random();
        Self(format!("{PREFIX}{}", STANDARD.encode(key)))
    }

    /// Wraps a stored `whsec_…` secret; `None` if it is not one.
    pub fn parse(text: &str) -> Option<Self> {
        let key = STANDARD.decode(text.strip_prefix(PREFIX)?).ok()?;
        (!key.is_empty()).then(|| Self(text.to_string()))
    }

    /// The text shown to the endpoint's owner and stored in the database.
    pub fn expose(&self) -> &str {
        &self.0
    }

    fn key(&self) -> Vec<u8> {
        // Only `generate` and `parse` build a Secret, so the key always decodes.
        STANDARD.decode(&self.0[PREFIX.len()..]).unwrap_or_default()
    }

    /// The `v1,<base64>` signature of one delivery.
    pub fn sign(&self, msg_id: &str, timestamp: i64, body: &[u8]) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key()).expect("HMAC takes keys of any length");
        mac.update(msg_id.as_bytes());
        mac.update(b".");
        mac.update(timestamp.to_string().as_bytes());
        mac.update(b".");
        mac.update(body);
        format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(whsec_***)")
    }
}

/// The `webhook-signature` header value: one space-separated signature per secret, so a
/// receiver that knows either the new or the old secret accepts it during a rotation.
pub fn signature_header<'a>(
    secrets: impl IntoIterator<Item = &'a Secret>,
    msg_id: &str,
    timestamp: i64,
    body: &[u8],
) -> String {
    secrets.into_iter().map(|s| s.sign(msg_id, timestamp, body)).collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_standard_webhooks_known_answer_vector_signs_identically() {
        let secret = Secret::parse("whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD").unwrap();
        let body = br#"{"email":"test@example.com","username":"test_user"}"#;
        assert_eq!(
            secret.sign("msg_27UH4WbU6Z5A5EzD8u03UvzRbpk", 1_649_367_553, body),
            "v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw="
        );
    }

    #[test]
    fn during_a_rotation_the_header_carries_one_signature_per_secret() {
        let (old, new) = (Secret::generate(), Secret::generate());
        let header = signature_header([&new, &old], "msg_1", 10, b"{}");
        let parts: Vec<&str> = header.split(' ').collect();
        assert_eq!(parts, [new.sign("msg_1", 10, b"{}"), old.sign("msg_1", 10, b"{}")]);
        assert_ne!(parts[0], parts[1]);
    }

    #[test]
    fn generated_secrets_have_the_whsec_prefix_and_never_print_their_key() {
        let secret = Secret::generate();
        assert!(secret.expose().starts_with("whsec_"));
        assert_eq!(Secret::parse(secret.expose()), Some(secret.clone()));
        assert!(!format!("{secret:?}").contains(&secret.expose()[6..]));
        assert_eq!(Secret::parse("not-a-secret"), None);
        assert_eq!(Secret::parse("whsec_!!"), None);
    }
}
