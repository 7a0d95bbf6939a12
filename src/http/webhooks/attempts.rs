//! An endpoint's attempt log: every try of every delivery, with its response.

use axum::{
    Json,
    extract::{Path, Query, State},
};
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::{LogQuery, endpoint, limit};
use crate::{
    auth::Caller,
    db::webhooks::{self as store, AttemptLogRow},
    domain::{DeliveryTrigger, role::Access},
    http::{ApiError, AppState, FaultBody},
    webhook::EndpointHandle,
};

/// One delivery attempt.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = WebhookAttempt)]
struct AttemptOut {
    attempt_id: i64,
    message_id: String,
    event_type: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<String>,
    trigger: DeliveryTrigger,
    succeeded: bool,
    response_status_code: Option<i32>,
    response_excerpt: Option<String>,
    error: Option<String>,
    duration_ms: i32,
    attempted: DateTime<Utc>,
}

impl From<AttemptLogRow> for AttemptOut {
    fn from(a: AttemptLogRow) -> Self {
        AttemptOut {
            attempt_id: a.attempt_id,
            message_id: a.msg_key,
            event_type: a.event_type,
            url: a.url,
            trigger: a.trigger,
            succeeded: a.succeeded,
            response_status_code: a.response_status,
            response_excerpt: a.response_excerpt,
            error: a.error,
            duration_ms: a.duration_ms,
            attempted: a.attempted_at,
        }
    }
}

/// An endpoint's attempts, newest first.
#[derive(Serialize, ToSchema)]
#[schema(as = WebhookAttempts)]
pub(super) struct AttemptsOut {
    attempts: Vec<AttemptOut>,
}

/// Delivery attempts to an endpoint, newest first.
#[utoipa::path(get, path = "/v1/webhooks/{webhook_handle}/attempts", tag = "webhooks", params(("webhook_handle" = EndpointHandle, Path), LogQuery),
    responses((status = 200, body = AttemptsOut), (status = "4XX", body = FaultBody)))]
pub(super) async fn attempts(
    State(state): State<AppState>,
    caller: Caller,
    Path(handle): Path<String>,
    Query(query): Query<LogQuery>,
) -> Result<Json<AttemptsOut>, ApiError> {
    let row = endpoint(&state, &caller, &handle, Access::Read).await?;
    let limit = limit(&query)?;
    let rows = match query.message_id.as_deref() {
        Some(id) if !crate::webhook::is_msg_key(id) => Vec::new(),
        message_id => store::list_attempts(&state.pool, row.endpoint_id, message_id, limit).await?,
    };
    Ok(Json(AttemptsOut { attempts: rows.into_iter().map(AttemptOut::from).collect() }))
}
