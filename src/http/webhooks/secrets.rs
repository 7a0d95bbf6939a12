//! Reading and rotating an endpoint's signing secret.

use axum::{
    Json,
    body::Bytes,
    extract::{Path, State},
};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::endpoint;
use crate::{
    auth::Caller,
    db::webhooks as store,
    domain::{Fault, role::Access},
    http::{ApiError, AppState, FaultBody, json::parse_json},
    webhook::{EndpointHandle, Secret},
};

/// How long the old secret keeps signing after a rotation unless the request says otherwise.
const DEFAULT_OVERLAP_SECS: u64 = 24 * 3600;
/// Longest overlap a rotation may ask for.
const MAX_OVERLAP_SECS: u64 = 7 * 24 * 3600;

/// How long the old secret keeps signing after a rotation (default a day, at most a week).
#[derive(Deserialize, Default, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RotateIn {
    #[schema(maximum = 604800)]
    overlap_seconds: Option<u64>,
}

/// An endpoint's signing secret.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = WebhookSecret)]
pub(super) struct SecretOut {
    webhook_handle: EndpointHandle,
    secret: String,
    /// Until then the previous secret signs too.
    previous_secret_expires: Option<DateTime<Utc>>,
}

/// An endpoint's signing secret.
#[utoipa::path(get, path = "/v1/webhooks/{webhook_handle}/secret", tag = "webhooks", params(("webhook_handle" = EndpointHandle, Path)),
    responses((status = 200, body = SecretOut), (status = "4XX", body = FaultBody)))]
pub(super) async fn secret(
    State(state): State<AppState>,
    caller: Caller,
    Path(handle): Path<String>,
) -> Result<Json<SecretOut>, ApiError> {
    // Reading a secret lets one forge events: managing rights are required.
    let row = endpoint(&state, &caller, &handle, Access::Write).await?;
    let expires = row.previous_secret_expires_at.filter(|at| *at > Utc::now());
    Ok(Json(SecretOut {
        webhook_handle: EndpointHandle(row.endpoint_id),
        secret: row.secret,
        previous_secret_expires: expires,
    }))
}

/// Replaces the signing secret; the old one keeps signing for the overlap.
#[utoipa::path(post, path = "/v1/webhooks/{webhook_handle}/rotate-secret", tag = "webhooks", request_body(content = Option<RotateIn>), params(("webhook_handle" = EndpointHandle, Path)),
    responses((status = 200, body = SecretOut), (status = "4XX", body = FaultBody)))]
pub(super) async fn rotate(
    State(state): State<AppState>,
    caller: Caller,
    Path(handle): Path<String>,
    body: Bytes,
) -> Result<Json<SecretOut>, ApiError> {
    let row = endpoint(&state, &caller, &handle, Access::Write).await?;
    // No body, `null` and `{}` all ask for the default overlap.
    let input: Option<RotateIn> = if body.is_empty() { None } else { parse_json(&body)? };
    let input = input.unwrap_or_default();
    let overlap = input.overlap_seconds.unwrap_or(DEFAULT_OVERLAP_SECS);
    if overlap > MAX_OVERLAP_SECS {
        return Err(
            Fault::invalid_parameter(format!("overlapSeconds must be at most {MAX_OVERLAP_SECS}")).into()
        );
    }
    let secret = Secret::generate();
    let rotated = store::rotate_secret(&state.pool, row.endpoint_id, secret.expose(), overlap as f64).await?;
    let rotated = rotated.ok_or_else(|| Fault::not_found(format!("webhook {handle} does not exist")))?;
    tracing::info!(webhook = %EndpointHandle(row.endpoint_id), overlap_s = overlap, "webhook secret rotated");
    let expires = rotated.previous_secret_expires_at.filter(|at| *at > Utc::now());
    Ok(Json(SecretOut {
        webhook_handle: EndpointHandle(row.endpoint_id),
        secret: rotated.secret,
        previous_secret_expires: expires,
    }))
}
