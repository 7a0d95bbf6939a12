//! Endpoint signing secrets and their rotation.

use sqlx::PgExecutor;

use super::endpoints::{EndpointRow, endpoint_rows};
use crate::domain::{EndpointKind, EndpointState};

/// Replaces the secret; the old one keeps signing for `overlap_secs`.
pub async fn rotate_secret(
    db: impl PgExecutor<'_>,
    endpoint_id: i64,
    secret: &str,
    overlap_secs: f64,
) -> sqlx::Result<Option<EndpointRow>> {
    endpoint_rows!(
        "update webhook_endpoints set previous_secret = secret, secret = $2,
                previous_secret_expires_at = now() + make_interval(secs => $3), updated_at = now()
         where endpoint_id = $1 returning",
        "",
        endpoint_id,
        secret,
        overlap_secs
    )
    .fetch_optional(db)
    .await
}
