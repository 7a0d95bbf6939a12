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
use utoipa::ToSchema;

use super::{LogQuery, endpoint, limit};
use crate::{
    auth::Caller,
    db::webhooks::{self as store, MessageLogRow, Resend},
    domain::{DeliveryState, EndpointKind, EndpointState, Fault, role::Access},
    http::{ApiError, AppState, FaultBody, json::parse_json},
    webhook::{EndpointHandle, events, new_msg_key},
};

/// Send again every failed message since a time.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RecoverIn {
    #[schema(value_type = DateTime<Utc>, required = true)]
    since: Option<DateTime<Utc>>,
}

/// A message sent to an endpoint.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = WebhookMessage)]
struct MessageOut {
    /// The `webhook-id` header of every attempt.
    message_id: String,
    event_type: String,
    payload: Value,
    /// The callbackUrl, for deliveries of the callback endpoint.
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<String>,
    state: DeliveryState,
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

/// An endpoint's messages, newest first.
#[derive(Serialize, ToSchema)]
#[schema(as = WebhookMessages)]
pub(super) struct MessagesOut {
    messages: Vec<MessageOut>,
}

/// Messages sent to an endpoint, newest first.
#[utoipa::path(get, path = "/v1/webhooks/{webhook_handle}/messages", tag = "webhooks", params(("webhook_handle" = EndpointHandle, Path), LogQuery),
    responses((status = 200, body = MessagesOut), (status = "4XX", body = FaultBody)))]
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

/// Sends one message to the endpoint again.
#[utoipa::path(post, path = "/v1/webhooks/{webhook_handle}/messages/{message_id}/resend", tag = "webhooks", params(("webhook_handle" = EndpointHandle, Path), ("message_id" = String, Path)),
    responses((status = 202, description = "Queued"), (status = "4XX", body = FaultBody)))]
pub(super) async fn resend(
    State(state): State<AppState>,
    caller: Caller,
    Path((handle, message_id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let row = endpoint(&state, &caller, &handle, Access::Write).await?;
    let outcome = if crate::webhook::is_msg_key(&message_id) {
        let mut tx = state.pool.begin().await?;
        let outcome = store::resend(&mut tx, row.endpoint_id, &message_id).await?;
        crate::webhook::notify(&mut tx).await?;
        tx.commit().await?;
        outcome
    } else {
        Resend::NotFound
    };
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

/// The test event's message.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = WebhookTest)]
pub(super) struct TestOut {
    message_id: String,
}

/// Sends a `webhook.test` event to this endpoint only, so a consumer can check its receiver.
#[utoipa::path(post, path = "/v1/webhooks/{webhook_handle}/test", tag = "webhooks", params(("webhook_handle" = EndpointHandle, Path)),
    responses((status = 202, body = TestOut), (status = "4XX", body = FaultBody)))]
pub(super) async fn send_test(
    State(state): State<AppState>,
    caller: Caller,
    Path(handle): Path<String>,
) -> Result<(StatusCode, Json<TestOut>), ApiError> {
    let row = endpoint(&state, &caller, &handle, Access::Write).await?;
    if row.kind != EndpointKind::Endpoint {
        return Err(Fault::conflict("a callback endpoint has no url of its own to test").into());
    }
    if row.state != EndpointState::Enabled {
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

/// How many messages were queued again.
#[derive(Serialize, ToSchema)]
#[schema(as = WebhookRecovered)]
pub(super) struct RecoverOut {
    recovered: u64,
}

/// Sends again every message that failed since a time.
#[utoipa::path(post, path = "/v1/webhooks/{webhook_handle}/recover", tag = "webhooks", request_body = RecoverIn, params(("webhook_handle" = EndpointHandle, Path)),
    responses((status = 202, body = RecoverOut), (status = "4XX", body = FaultBody)))]
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
