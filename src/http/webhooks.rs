//! `/v1/webhooks`: endpoints of a company, their secrets, and their delivery log.

use axum::{
    Json, Router,
    body::Bytes,
    extract::{Path, Query, State},
    http::StatusCode,
    routing::{get, post},
};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::{ApiError, AppState, json::parse_json};
use crate::{
    auth::{self, Caller},
    db::webhooks::{self as store, AttemptLogRow, EndpointRow, MessageLogRow, NewEndpoint, Resend},
    domain::{CompanyHandle, Fault, role::Access},
    webhook::{
        EndpointHandle, Secret,
        events::{self, EVENT_TYPES},
        new_msg_key,
    },
};

/// How long the old secret keeps signing after a rotation unless the request says otherwise.
const DEFAULT_OVERLAP_SECS: u64 = 24 * 3600;
/// Longest overlap a rotation may ask for.
const MAX_OVERLAP_SECS: u64 = 7 * 24 * 3600;
/// Longest description accepted, in characters.
const MAX_DESCRIPTION_CHARS: usize = 1000;
/// Most log rows one call returns.
const MAX_LIMIT: i64 = 1000;

/// An endpoint as clients see it; the secret only when it was just made.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct EndpointOut {
    webhook_handle: String,
    company_handle: String,
    /// `endpoint` (registered) or `callback` (signs per-request callbackUrl deliveries).
    kind: String,
    url: Option<String>,
    events: Vec<String>,
    description: String,
    state: String,
    disabled_reason: Option<String>,
    failing_since: Option<DateTime<Utc>>,
    previous_secret_expires: Option<DateTime<Utc>>,
    created: DateTime<Utc>,
    last_modified: DateTime<Utc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    secret: Option<String>,
}

impl EndpointOut {
    fn new(row: EndpointRow, with_secret: bool) -> Self {
        let now = Utc::now();
        EndpointOut {
            webhook_handle: EndpointHandle(row.endpoint_id).to_string(),
            company_handle: CompanyHandle(row.company_id).to_string(),
            kind: row.kind,
            url: row.url,
            events: row.events,
            description: row.description,
            state: row.state,
            disabled_reason: row.disabled_reason,
            failing_since: row.failing_since,
            previous_secret_expires: row.previous_secret_expires_at.filter(|at| *at > now),
            created: row.created_at,
            last_modified: row.updated_at,
            secret: with_secret.then_some(row.secret),
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct CreateIn {
    #[serde(default)]
    company_handle: String,
    #[serde(default)]
    url: String,
    #[serde(default)]
    events: Vec<String>,
    #[serde(default)]
    description: String,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct UpdateIn {
    url: Option<String>,
    events: Option<Vec<String>>,
    description: Option<String>,
    enabled: Option<bool>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct CompanyIn {
    #[serde(default)]
    company_handle: String,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RotateIn {
    overlap_seconds: Option<u64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RecoverIn {
    since: Option<DateTime<Utc>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ListQuery {
    company_handle: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct LogQuery {
    since: Option<DateTime<Utc>>,
    message_id: Option<String>,
    limit: Option<i64>,
}

fn company(text: &str) -> Result<CompanyHandle, Fault> {
    if text.is_empty() {
        return Err(Fault::missing_parameter("companyHandle"));
    }
    CompanyHandle::parse(text)
}

fn check_events(events: &[String]) -> Result<(), Fault> {
    match events.iter().find(|e| !EVENT_TYPES.contains(&e.as_str())) {
        Some(unknown) => Err(Fault::invalid_parameter(format!(
            "events: {unknown:?} is not an event type (known: {})",
            EVENT_TYPES.join(", ")
        ))),
        None => Ok(()),
    }
}

fn check_description(description: &str) -> Result<(), Fault> {
    if description.chars().count() > MAX_DESCRIPTION_CHARS || description.chars().any(char::is_control) {
        return Err(Fault::invalid_parameter(format!(
            "description must be at most {MAX_DESCRIPTION_CHARS} characters without control characters"
        )));
    }
    Ok(())
}

async fn check_url(state: &AppState, url: &str) -> Result<String, Fault> {
    if url.is_empty() {
        return Err(Fault::missing_parameter("url"));
    }
    let checked = state.copier.webhook_policy.check_registration(url).await;
    checked.map(|u| u.to_string()).map_err(|refused| Fault::invalid_parameter(format!("url {refused}")))
}

/// Loads an endpoint the caller may use with `access`. An endpoint of another company looks
/// exactly like one that does not exist.
async fn endpoint(
    state: &AppState,
    caller: &Caller,
    handle: &str,
    access: Access,
) -> Result<EndpointRow, ApiError> {
    let handle = EndpointHandle::parse(handle)?;
    let not_found = || Fault::not_found(format!("webhook {handle} does not exist"));
    let row = store::find_endpoint(&state.pool, handle.0).await?.ok_or_else(not_found)?;
    auth::authorize_or_hide(&state.pool, caller, CompanyHandle(row.company_id), access, not_found()).await?;
    Ok(row)
}

async fn create(
    State(state): State<AppState>,
    caller: Caller,
    body: Bytes,
) -> Result<(StatusCode, Json<EndpointOut>), ApiError> {
    let input: CreateIn = parse_json(&body)?;
    let company = company(&input.company_handle)?;
    auth::authorize(&state.pool, &caller, company, Access::Write).await?;
    check_events(&input.events)?;
    check_description(&input.description)?;
    let url = check_url(&state, &input.url).await?;
    let secret = Secret::generate();
    let row = store::insert_endpoint(
        &state.pool,
        &NewEndpoint {
            company_id: company.0,
            url: &url,
            events: &input.events,
            description: &input.description,
            secret: secret.expose(),
            created_by: caller.user_id,
        },
    )
    .await?;
    tracing::info!(webhook = %EndpointHandle(row.endpoint_id), company = %company, "webhook endpoint created");
    Ok((StatusCode::CREATED, Json(EndpointOut::new(row, true))))
}

/// The company's callback endpoint, made on first use; its secret signs callbackUrl deliveries.
async fn callback(
    State(state): State<AppState>,
    caller: Caller,
    body: Bytes,
) -> Result<Json<EndpointOut>, ApiError> {
    let input: CompanyIn = parse_json(&body)?;
    let company = company(&input.company_handle)?;
    auth::authorize(&state.pool, &caller, company, Access::Write).await?;
    let mut conn = state.pool.acquire().await?;
    let secret = Secret::generate();
    let row = store::callback_endpoint(&mut conn, company.0, secret.expose(), Some(caller.user_id)).await?;
    Ok(Json(EndpointOut::new(row, true)))
}

#[derive(Serialize)]
struct ListOut {
    webhooks: Vec<EndpointOut>,
}

async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Query(query): Query<ListQuery>,
) -> Result<Json<ListOut>, ApiError> {
    let company = company(query.company_handle.as_deref().unwrap_or(""))?;
    auth::authorize(&state.pool, &caller, company, Access::Read).await?;
    let rows = store::list_endpoints(&state.pool, company.0).await?;
    Ok(Json(ListOut { webhooks: rows.into_iter().map(|r| EndpointOut::new(r, false)).collect() }))
}

async fn get_one(
    State(state): State<AppState>,
    caller: Caller,
    Path(handle): Path<String>,
) -> Result<Json<EndpointOut>, ApiError> {
    Ok(Json(EndpointOut::new(endpoint(&state, &caller, &handle, Access::Read).await?, false)))
}

async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Path(handle): Path<String>,
    body: Bytes,
) -> Result<Json<EndpointOut>, ApiError> {
    let row = endpoint(&state, &caller, &handle, Access::Write).await?;
    let input: UpdateIn = parse_json(&body)?;
    if let Some(events) = &input.events {
        check_events(events)?;
    }
    if let Some(description) = &input.description {
        check_description(description)?;
    }
    let url = match (&input.url, row.kind.as_str()) {
        (Some(_), "callback") => {
            return Err(Fault::invalid_parameter("url: a callback endpoint has no url of its own").into());
        }
        (Some(url), _) => Some(check_url(&state, url).await?),
        (None, _) => None,
    };
    let mut tx = state.pool.begin().await?;
    let mut updated = store::update_endpoint(
        &mut *tx,
        row.endpoint_id,
        url.as_deref(),
        input.events.as_deref(),
        input.description.as_deref(),
    )
    .await?;
    if let Some(enabled) = input.enabled {
        updated = store::set_enabled(&mut *tx, row.endpoint_id, enabled, Some("disabled by a user")).await?;
    }
    tx.commit().await?;
    let updated = updated.ok_or_else(|| Fault::not_found(format!("webhook {handle} does not exist")))?;
    Ok(Json(EndpointOut::new(updated, false)))
}

async fn set_enabled(
    state: &AppState,
    caller: &Caller,
    handle: &str,
    enabled: bool,
) -> Result<Json<EndpointOut>, ApiError> {
    let row = endpoint(state, caller, handle, Access::Write).await?;
    let updated =
        store::set_enabled(&state.pool, row.endpoint_id, enabled, Some("disabled by a user")).await?;
    let updated = updated.ok_or_else(|| Fault::not_found(format!("webhook {handle} does not exist")))?;
    tracing::info!(webhook = %EndpointHandle(row.endpoint_id), enabled, "webhook endpoint state changed");
    Ok(Json(EndpointOut::new(updated, false)))
}

async fn disable(
    State(state): State<AppState>,
    caller: Caller,
    Path(handle): Path<String>,
) -> Result<Json<EndpointOut>, ApiError> {
    set_enabled(&state, &caller, &handle, false).await
}

async fn enable(
    State(state): State<AppState>,
    caller: Caller,
    Path(handle): Path<String>,
) -> Result<Json<EndpointOut>, ApiError> {
    set_enabled(&state, &caller, &handle, true).await
}

async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Path(handle): Path<String>,
) -> Result<StatusCode, ApiError> {
    let row = endpoint(&state, &caller, &handle, Access::Write).await?;
    store::delete_endpoint(&state.pool, row.endpoint_id).await?;
    tracing::info!(webhook = %EndpointHandle(row.endpoint_id), "webhook endpoint deleted");
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SecretOut {
    webhook_handle: String,
    secret: String,
    /// Until then the previous secret signs too.
    previous_secret_expires: Option<DateTime<Utc>>,
}

async fn secret(
    State(state): State<AppState>,
    caller: Caller,
    Path(handle): Path<String>,
) -> Result<Json<SecretOut>, ApiError> {
    // Reading a secret lets one forge events: managing rights are required.
    let row = endpoint(&state, &caller, &handle, Access::Write).await?;
    let expires = row.previous_secret_expires_at.filter(|at| *at > Utc::now());
    Ok(Json(SecretOut {
        webhook_handle: EndpointHandle(row.endpoint_id).to_string(),
        secret: row.secret,
        previous_secret_expires: expires,
    }))
}

async fn rotate(
    State(state): State<AppState>,
    caller: Caller,
    Path(handle): Path<String>,
    body: Bytes,
) -> Result<Json<SecretOut>, ApiError> {
    let row = endpoint(&state, &caller, &handle, Access::Write).await?;
    let input: RotateIn = if body.is_empty() { RotateIn::default() } else { parse_json(&body)? };
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
        webhook_handle: EndpointHandle(row.endpoint_id).to_string(),
        secret: rotated.secret,
        previous_secret_expires: expires,
    }))
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
#[serde(rename_all = "camelCase")]
struct AttemptOut {
    attempt_id: i64,
    message_id: String,
    event_type: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<String>,
    /// `scheduled`, `manual` (a resend) or `recovery`.
    trigger: String,
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

fn limit(query: &LogQuery) -> Result<i64, Fault> {
    match query.limit {
        None => Ok(100),
        Some(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
        Some(_) => Err(Fault::invalid_parameter(format!("limit must be 1 to {MAX_LIMIT}"))),
    }
}

#[derive(Serialize)]
struct MessagesOut {
    messages: Vec<MessageOut>,
}

async fn messages(
    State(state): State<AppState>,
    caller: Caller,
    Path(handle): Path<String>,
    Query(query): Query<LogQuery>,
) -> Result<Json<MessagesOut>, ApiError> {
    let row = endpoint(&state, &caller, &handle, Access::Read).await?;
    let rows = store::list_messages(&state.pool, row.endpoint_id, query.since, limit(&query)?).await?;
    Ok(Json(MessagesOut { messages: rows.into_iter().map(MessageOut::from).collect() }))
}

#[derive(Serialize)]
struct AttemptsOut {
    attempts: Vec<AttemptOut>,
}

async fn attempts(
    State(state): State<AppState>,
    caller: Caller,
    Path(handle): Path<String>,
    Query(query): Query<LogQuery>,
) -> Result<Json<AttemptsOut>, ApiError> {
    let row = endpoint(&state, &caller, &handle, Access::Read).await?;
    let rows =
        store::list_attempts(&state.pool, row.endpoint_id, query.message_id.as_deref(), limit(&query)?)
            .await?;
    Ok(Json(AttemptsOut { attempts: rows.into_iter().map(AttemptOut::from).collect() }))
}

async fn resend(
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
struct TestOut {
    message_id: String,
}

/// Sends a `webhook.test` event to this endpoint only, so a consumer can check its receiver.
async fn send_test(
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
struct RecoverOut {
    recovered: u64,
}

async fn recover(
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

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/webhooks", post(create).get(list))
        .route("/v1/webhooks/callback", post(callback))
        .route("/v1/webhooks/{webhook_handle}", get(get_one).patch(update).delete(delete))
        .route("/v1/webhooks/{webhook_handle}/disable", post(disable))
        .route("/v1/webhooks/{webhook_handle}/enable", post(enable))
        .route("/v1/webhooks/{webhook_handle}/secret", get(secret))
        .route("/v1/webhooks/{webhook_handle}/rotate-secret", post(rotate))
        .route("/v1/webhooks/{webhook_handle}/messages", get(messages))
        .route("/v1/webhooks/{webhook_handle}/messages/{message_id}/resend", post(resend))
        .route("/v1/webhooks/{webhook_handle}/attempts", get(attempts))
        .route("/v1/webhooks/{webhook_handle}/recover", post(recover))
        .route("/v1/webhooks/{webhook_handle}/test", post(send_test))
}
