//! Who is calling and what they may do: one policy for the SOAP and JSON fronts.

use std::{net::IpAddr, sync::Arc, time::Duration};

use anyhow::Context;
use argon2::{Argon2, PasswordHash, PasswordHasher, PasswordVerifier, password_hash::SaltString};
use base64::{Engine, engine::general_purpose::STANDARD};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use sqlx::PgPool;

use crate::{
    config::LoginSettings,
    db,
    domain::{CompanyHandle, Fault, Role, role::Access},
    error::Result,
    login_throttle::LoginThrottle,
    secret::{ExposeSecret, SecretString},
};

/// An authenticated user.
#[derive(Debug, Clone)]
pub struct Caller {
    pub user_id: i64,
    pub email: String,
    /// IpsAdmin here acts in every company.
    pub default_role: Option<Role>,
    /// The client address the request came from (the TCP peer), when known.
    pub address: Option<IpAddr>,
}

/// An e-mail and password as a client sent them; `Debug` shows no password.
#[derive(Debug, Clone)]
pub struct Credentials {
    pub email: String,
    pub password: SecretString,
}

impl Credentials {
    pub fn new(email: impl Into<String>, password: impl Into<String>) -> Self {
        Self { email: email.into(), password: SecretString::from(password.into()) }
    }
}

impl Caller {
    pub fn is_ips_admin(&self) -> bool {
        self.default_role == Some(Role::IpsAdmin)
    }
}

/// Hashes a password with argon2id and a random salt.
pub fn hash_password(password: &str) -> anyhow::Result<String> {
    let salt = SaltString::encode_b64(&rand::random::<[u8; 16]>())
        .map_err(|e| anyhow::anyhow!("encoding the salt: {e}"))?;
    let hash = Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map_err(|e| anyhow::anyhow!("hashing the password: {e}"))?;
    Ok(hash.to_string())
}

/// A hash no password matches, verified for unknown users so they take as long as known ones.
fn dummy_hash() -> &'static str {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| hash_password("ipscopy-no-such-user").unwrap_or_default())
}

/// How long a successful password check is remembered.
const VERIFIED_FOR: Duration = Duration::from_secs(300);
/// Most successful checks remembered at once.
const VERIFIED_MAX: u64 = 10_000;

/// Recently verified credentials, so a bulk client's every request does not pay argon2's tens of
/// milliseconds of CPU. Entries are keyed by an HMAC (with a key that never leaves the process)
/// of the e-mail, the password and the stored hash: a changed password or hash misses at once,
/// and the cache holds nothing a password could be read back from. Failures are never cached.
struct Verified {
    key: [u8; 32],
    seen: moka::sync::Cache<[u8; 32], ()>,
}

impl Verified {
    fn new() -> Self {
        let seen = moka::sync::Cache::builder().max_capacity(VERIFIED_MAX).time_to_live(VERIFIED_FOR).build();
        Self { key: rand::random(), seen }
    }

    fn digest(&self, email: &str, password: &SecretString, stored_hash: &str) -> [u8; 32] {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key).expect("HMAC takes any key length");
        for part in [email.as_bytes(), password.expose_secret().as_bytes(), stored_hash.as_bytes()] {
            mac.update(&(part.len() as u64).to_be_bytes());
            mac.update(part);
        }
        mac.finalize().into_bytes().into()
    }
}

/// Checks credentials for both fronts, refusing clients over their failed-login limits.
#[derive(Clone)]
pub struct Authenticator {
    pool: PgPool,
    throttle: Arc<LoginThrottle>,
    verified: Arc<Verified>,
}

impl Authenticator {
    pub fn new(pool: PgPool, settings: &LoginSettings) -> Self {
        Self { pool, throttle: Arc::new(LoginThrottle::new(settings)), verified: Arc::new(Verified::new()) }
    }

    /// Checks an e-mail and password; a wrong password and an unknown user look the same. An
    /// e-mail or address over its failure limit is refused before any password is checked.
    pub async fn authenticate(&self, credentials: &Credentials, address: Option<IpAddr>) -> Result<Caller> {
        let email = credentials.email.as_str();
        self.throttle.check(email, address).inspect_err(|_| {
            tracing::debug!(?address, "login refused: too many failures");
        })?;
        let user = db::users::find_by_email(&self.pool, email).await?;
        let hash = user.as_ref().map_or_else(|| dummy_hash().to_string(), |u| u.password_hash.clone());
        let remembered = user.as_ref().map(|_| self.verified.digest(email, &credentials.password, &hash));
        let matches = match remembered {
            Some(digest) if self.verified.seen.contains_key(&digest) => true,
            _ => {
                let password = credentials.password.clone();
                // argon2 takes tens of milliseconds of CPU: keep it off the async workers. It
                // compares the hashes in constant time.
                let matches = tokio::task::spawn_blocking(move || {
                    PasswordHash::new(&hash).is_ok_and(|parsed| {
                        Argon2::default()
                            .verify_password(password.expose_secret().as_bytes(), &parsed)
                            .is_ok()
                    })
                })
                .await
                .context("password check task")?;
                if let (true, Some(digest)) = (matches, remembered) {
                    self.verified.seen.insert(digest, ());
                }
                matches
            }
        };
        match user {
            Some(user) if matches => {
                self.throttle.succeeded(email);
                Ok(Caller {
                    user_id: user.user_id,
                    email: user.email,
                    default_role: user.default_role.and_then(|r| r.parse().ok()),
                    address,
                })
            }
            _ => {
                self.throttle.failed(email, address);
                // Not the e-mail: people type passwords into the user field.
                tracing::info!(?address, "failed login");
                Err(Fault::new(Fault::INVALID_CREDENTIALS, "Invalid username/password").into())
            }
        }
    }
}

/// Checks that `caller` may perform an operation of kind `access` in `company`. A company that
/// does not exist and one the caller does not belong to give the same fault.
pub async fn authorize(pool: &PgPool, caller: &Caller, company: CompanyHandle, access: Access) -> Result<()> {
    let no_access = || Fault::new(Fault::INVALID_COMPANY, format!("no access to company {company}"));
    if caller.is_ips_admin() {
        return match db::companies::find(pool, company.0).await? {
            Some(_) => Ok(()),
            None => Err(no_access().into()),
        };
    }
    let Some(role) = db::users::active_role(pool, company.0, caller.user_id).await? else {
        return Err(no_access().into());
    };
    let role: Role = role.parse().map_err(|e: String| anyhow::anyhow!(e))?;
    if role.allows(access) {
        Ok(())
    } else {
        let what = match access {
            Access::Read => "read",
            Access::Write => "write",
        };
        Err(Fault::new(Fault::NO_OPERATION_PERMISSION, format!("role {role} may not call {what} operations"))
            .into())
    }
}

/// [`authorize`] for something found by its handle: when the caller has no access to its
/// company, answer `hidden` (the fault for a missing one), so a foreign handle and a missing one
/// look exactly alike.
pub async fn authorize_or_hide(
    pool: &PgPool,
    caller: &Caller,
    company: CompanyHandle,
    access: Access,
    hidden: Fault,
) -> Result<()> {
    match authorize(pool, caller, company, access).await {
        Err(crate::error::Error::Fault(f)) if f.code == Fault::INVALID_COMPANY => Err(hidden.into()),
        other => other,
    }
}

/// Decodes an `Authorization: Basic base64(user:password)` header value; both fronts accept it.
pub fn basic_credentials(header: &[u8]) -> Option<Credentials> {
    let header = std::str::from_utf8(header).ok()?;
    let (scheme, encoded) = header.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = String::from_utf8(STANDARD.decode(encoded.trim()).ok()?).ok()?;
    let (user, password) = decoded.split_once(':')?;
    Some(Credentials::new(user, password))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain(credentials: Option<Credentials>) -> Option<(String, String)> {
        credentials.map(|c| (c.email, c.password.expose_secret().to_string()))
    }

    #[test]
    fn basic_credentials_split_at_the_first_colon_so_passwords_may_hold_colons() {
        // "ann@example.com:pa:ss"
        let header = b"Basic YW5uQGV4YW1wbGUuY29tOnBhOnNz";
        assert_eq!(plain(basic_credentials(header)), Some(("ann@example.com".into(), "pa:ss".into())));
    }

    #[test]
    fn other_schemes_and_garbage_are_not_credentials() {
        assert!(basic_credentials(b"Bearer abc").is_none());
        assert!(basic_credentials(b"Basic !!!").is_none());
        assert!(basic_credentials(b"Basic bm9jb2xvbg==").is_none());
    }

    #[test]
    fn credentials_print_the_email_but_not_the_password() {
        let shown = format!("{:?}", Credentials::new("ann@example.com", "hunter2-secret"));
        assert!(shown.contains("ann@example.com"), "{shown}");
        assert!(!shown.contains("hunter2"), "{shown}");
    }
}
