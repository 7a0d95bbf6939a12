//! Who is calling and what they may do: one policy for the SOAP and JSON fronts.

use anyhow::Context;
use argon2::{Argon2, PasswordHash, PasswordHasher, PasswordVerifier, password_hash::SaltString};
use base64::{Engine, engine::general_purpose::STANDARD};
use sqlx::PgPool;

use crate::{
    db,
    domain::{CompanyHandle, Fault, Role, role::Access},
    error::Result,
};

/// An authenticated user.
#[derive(Debug, Clone)]
pub struct Caller {
    pub user_id: i64,
    pub email: String,
    /// IpsAdmin here acts in every company.
    pub default_role: Option<Role>,
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

/// Checks an e-mail and password; a wrong password and an unknown user look the same.
pub async fn authenticate(pool: &PgPool, email: &str, password: &str) -> Result<Caller> {
    let user = db::users::find_by_email(pool, email).await?;
    let hash = user.as_ref().map_or_else(|| dummy_hash().to_string(), |u| u.password_hash.clone());
    let password = password.to_string();
    // argon2 takes tens of milliseconds of CPU: keep it off the async workers.
    let matches = tokio::task::spawn_blocking(move || {
        PasswordHash::new(&hash)
            .is_ok_and(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
    })
    .await
    .context("password check task")?;
    match user {
        Some(user) if matches => Ok(Caller {
            user_id: user.user_id,
            email: user.email,
            default_role: user.default_role.and_then(|r| r.parse().ok()),
        }),
        _ => Err(Fault::new(Fault::INVALID_CREDENTIALS, "Invalid username/password").into()),
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
pub fn basic_credentials(header: &[u8]) -> Option<(String, String)> {
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
