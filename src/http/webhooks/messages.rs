//! An endpoint's message log, and sending to it again: resend, recover, and a test event.

use axum::{
    Json,
    body::Bytes,
    extract::{Path, Query, State},
    http::StatusCode,
};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::{LogQuery, endpoint, limit};
use crate::{
    auth::Caller,
    db::webhooks::{self as store, MessageLogRow, Resend},
    domain::{Fault, role::Access},
    http::{ApiError, AppState, json::parse_json},
    webhook::{EndpointHandle, events, new_msg_key},
};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RecoverIn {
    since: Option<DateTime<Utc>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct MessageOut {
    /// The `webhook-id` header of every attempt.
    message_id: String,
    event_type: String,
    payload: Value,
    /// The callbackUrl, for deliveries of the callback endpoint.
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<String>,
    /// `pending`, `sending`, `succeeded` or `failed`.
    state: String,
    attempts: i32,
    next_attempt: Option<DateTime<Utc>>,
    created: DateTime<Utc>,
}

impl From<MessageLogRow> for MessageOut {
    fn from(m: MessageLogRow) -> Self {
        MessageOut {
            message_id: m.msg_key,
            event_type: m.event_type,
            payload: serde_json::from_str(&m.payload).unwrap_or(Value::String(m.payload)),
            url: m.url,
            state: m.state,
            attempts: m.attempts,
            next_attempt: m.next_attempt_at,
            created: m.created_at,
        }
    }
}

#[derive(Serialize)]
pub(super) struct MessagesOut {
    messages: Vec<MessageOut>,
}

pub(super) async fn messages(
    State(state): State<AppState>,
    caller: Caller,
    Path(handle): Path<String>,
    Query(query): Query<LogQuery>,
) -> Result<Json<MessagesOut>, ApiError> {
    let row = endpoint(&state, &caller, &handle, Access::Read).await?;
    let rows = store::list_messages(&state.pool, row.endpoint_id, query.since, limit(&query)?).await?;
    Ok(Json(MessagesOut { messages: rows.into_iter().map(MessageOut::from).collect() }))
}

pub(super) async fn resend(
    State(state): State<AppState>,
    caller: Caller,
    Path((handle, message_id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let row = endpoint(&state, &caller, &handle, Access::Write).await?;
    let mut tx = state.pool.begin().await?;
    let outcome = store::resend(&mut tx, row.endpoint_id, &message_id).await?;
    crate::webhook::notify(&mut tx).await?;
    tx.commit().await?;
    match outcome {
        Resend::Queued => Ok(StatusCode::ACCEPTED),
        Resend::InProgress => Err(Fault::conflict(format!(
            "message {message_id} is still being delivered on its retry schedule; see its attempts"
        ))
        .into()),
        Resend::NotFound => {
            Err(Fault::not_found(format!("message {message_id} was not sent to webhook {handle}")).into())
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct TestOut {
    message_id: String,
}

/// Sends a `webhook.test` event to this endpoint only, so a consumer can check its receiver.
pub(super) async fn send_test(
    State(state): State<AppState>,
    caller: Caller,
    Path(handle): Path<String>,
) -> Result<(StatusCode, Json<TestOut>), ApiError> {
    let row = endpoint(&state, &caller, &handle, Access::Write).await?;
    if row.kind != "endpoint" {
        return Err(Fault::invalid_parameter("a callback endpoint has no url of its own to test").into());
    }
    if row.state != "enabled" {
        return Err(Fault::conflict(format!("webhook {handle} is disabled; enable it first")).into());
    }
    let handle = EndpointHandle(row.endpoint_id);
    let payload =
        events::envelope("webhook.test", Utc::now(), json!({ "webhookHandle": handle.to_string() }));
    let message_id = new_msg_key();
    let mut tx = state.pool.begin().await?;
    let id =
        store::insert_message(&mut *tx, &message_id, row.company_id, "webhook.test", &payload, None).await?;
    store::insert_delivery(&mut *tx, id, row.endpoint_id).await?;
    crate::webhook::notify(&mut tx).await?;
    tx.commit().await?;
    Ok((StatusCode::ACCEPTED, Json(TestOut { message_id })))
}

#[derive(Serialize)]
pub(super) struct RecoverOut {
    recovered: u64,
}

pub(super) async fn recover(
    State(state): State<AppState>,
    caller: Caller,
    Path(handle): Path<String>,
    body: Bytes,
) -> Result<(StatusCode, Json<RecoverOut>), ApiError> {
    let row = endpoint(&state, &caller, &handle, Access::Write).await?;
    let input: RecoverIn = parse_json(&body)?;
    let since = input.since.ok_or_else(|| Fault::missing_parameter("since"))?;
    let mut tx = state.pool.begin().await?;
    let recovered = store::recover(&mut *tx, row.endpoint_id, since).await?;
    crate::webhook::notify(&mut tx).await?;
    tx.commit().await?;
    tracing::info!(webhook = %EndpointHandle(row.endpoint_id), %since, recovered, "failed webhook messages recovered");
    Ok((StatusCode::ACCEPTED, Json(RecoverOut { recovered })))
}
