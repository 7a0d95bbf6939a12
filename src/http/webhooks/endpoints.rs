//! Registering, listing, changing, enabling and deleting webhook endpoints.

use axum::{
    Json,
    body::Bytes,
    extract::{Path, Query, State},
    http::StatusCode,
};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::endpoint;
use crate::{
    auth::{self, Caller},
    db::webhooks::{self as store, EndpointRow, NewEndpoint},
    domain::{CompanyHandle, EndpointKind, EndpointState, Fault, role::Access},
    http::{ApiError, AppState, FaultBody, json::parse_json},
    webhook::{EndpointHandle, Secret, events::EVENT_TYPES},
};

/// Longest description accepted, in characters.
const MAX_DESCRIPTION_CHARS: usize = 1000;

/// An endpoint as clients see it; the secret only when it was just made.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = Webhook)]
pub(super) struct EndpointOut {
    webhook_handle: EndpointHandle,
    company_handle: CompanyHandle,
    kind: EndpointKind,
    url: Option<String>,
    /// Event types delivered; empty means every type.
    events: Vec<String>,
    description: String,
    state: EndpointState,
    disabled_reason: Option<String>,
    failing_since: Option<DateTime<Utc>>,
    previous_secret_expires: Option<DateTime<Utc>>,
    created: DateTime<Utc>,
    last_modified: DateTime<Utc>,
    /// Only when the endpoint is created.
    #[serde(skip_serializing_if = "Option::is_none")]
    secret: Option<String>,
}

impl EndpointOut {
    fn new(row: EndpointRow, with_secret: bool) -> Self {
        let now = Utc::now();
        EndpointOut {
            webhook_handle: EndpointHandle(row.endpoint_id),
            company_handle: CompanyHandle(row.company_id),
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

/// A webhook endpoint to register.
#[derive(Deserialize, Default, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(as = WebhookIn)]
struct CreateIn {
    #[serde(default)]
    #[schema(value_type = CompanyHandle, required = true)]
    company_handle: String,
    /// Where events are POSTed: https, or http to an address the policy allows.
    #[serde(default)]
    #[schema(required = true, format = "uri")]
    url: String,
    /// Event types delivered; empty means every type.
    #[serde(default)]
    #[schema(value_type = Vec<EventTypeSchema>)]
    events: Vec<String>,
    #[serde(default)]
    #[schema(max_length = 1000, pattern = "^[^\\x00-\\x1f\\x7f-\\x9f]*$")]
    description: String,
}

/// Changes to an endpoint; absent fields stay as they are.
#[derive(Deserialize, Default, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(as = WebhookUpdate)]
struct UpdateIn {
    #[schema(format = "uri")]
    url: Option<String>,
    #[schema(value_type = Option<Vec<EventTypeSchema>>)]
    events: Option<Vec<String>>,
    #[schema(max_length = 1000, pattern = "^[^\\x00-\\x1f\\x7f-\\x9f]*$")]
    description: Option<String>,
    enabled: Option<bool>,
}

/// The company whose callback endpoint is meant.
#[derive(Deserialize, Default, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(as = CompanyIn)]
struct CompanyIn {
    #[serde(default)]
    #[schema(value_type = CompanyHandle, required = true)]
    company_handle: String,
}

#[derive(Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(super) struct ListQuery {
    #[param(value_type = CompanyHandle, required = true)]
    company_handle: Option<String>,
}

/// An event type a webhook endpoint can ask for.
#[derive(ToSchema)]
#[schema(as = EventType)]
#[allow(dead_code)] // Only the API document names it.
enum EventTypeSchema {
    #[schema(rename = "copy.succeeded")]
    CopySucceeded,
    #[schema(rename = "copy.failed")]
    CopyFailed,
    #[schema(rename = "copy.cancelled")]
    CopyCancelled,
    #[schema(rename = "batch.completed")]
    BatchCompleted,
    #[schema(rename = "endpoint.disabled")]
    EndpointDisabled,
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

/// Registers an endpoint; the answer holds its secret.
#[utoipa::path(post, path = "/v1/webhooks", tag = "webhooks", request_body = CreateIn,
    responses((status = 201, body = EndpointOut), (status = "4XX", body = FaultBody)))]
pub(super) async fn create(
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
#[utoipa::path(post, path = "/v1/webhooks/callback", tag = "webhooks", request_body = CompanyIn,
    responses((status = 200, body = EndpointOut), (status = "4XX", body = FaultBody)))]
pub(super) async fn callback(
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

/// A company's endpoints.
#[derive(Serialize, ToSchema)]
#[schema(as = WebhookList)]
pub(super) struct ListOut {
    webhooks: Vec<EndpointOut>,
}

/// A company's endpoints.
#[utoipa::path(get, path = "/v1/webhooks", tag = "webhooks", params(ListQuery),
    responses((status = 200, body = ListOut), (status = "4XX", body = FaultBody)))]
pub(super) async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Query(query): Query<ListQuery>,
) -> Result<Json<ListOut>, ApiError> {
    let company = company(query.company_handle.as_deref().unwrap_or(""))?;
    auth::authorize(&state.pool, &caller, company, Access::Read).await?;
    let rows = store::list_endpoints(&state.pool, company.0).await?;
    Ok(Json(ListOut { webhooks: rows.into_iter().map(|r| EndpointOut::new(r, false)).collect() }))
}

/// An endpoint.
#[utoipa::path(get, path = "/v1/webhooks/{webhook_handle}", tag = "webhooks", params(("webhook_handle" = EndpointHandle, Path)),
    responses((status = 200, body = EndpointOut), (status = "4XX", body = FaultBody)))]
pub(super) async fn get_one(
    State(state): State<AppState>,
    caller: Caller,
    Path(handle): Path<String>,
) -> Result<Json<EndpointOut>, ApiError> {
    Ok(Json(EndpointOut::new(endpoint(&state, &caller, &handle, Access::Read).await?, false)))
}

/// Changes an endpoint.
#[utoipa::path(patch, path = "/v1/webhooks/{webhook_handle}", tag = "webhooks", request_body = UpdateIn, params(("webhook_handle" = EndpointHandle, Path)),
    responses((status = 200, body = EndpointOut), (status = "4XX", body = FaultBody)))]
pub(super) async fn update(
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
    let url = match (&input.url, row.kind) {
        (Some(_), EndpointKind::Callback) => {
            return Err(Fault::conflict("url: a callback endpoint has no url of its own").into());
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

/// Stops deliveries to an endpoint.
#[utoipa::path(post, path = "/v1/webhooks/{webhook_handle}/disable", tag = "webhooks", params(("webhook_handle" = EndpointHandle, Path)),
    responses((status = 200, body = EndpointOut), (status = "4XX", body = FaultBody)))]
pub(super) async fn disable(
    State(state): State<AppState>,
    caller: Caller,
    Path(handle): Path<String>,
) -> Result<Json<EndpointOut>, ApiError> {
    set_enabled(&state, &caller, &handle, false).await
}

/// Resumes deliveries to an endpoint.
#[utoipa::path(post, path = "/v1/webhooks/{webhook_handle}/enable", tag = "webhooks", params(("webhook_handle" = EndpointHandle, Path)),
    responses((status = 200, body = EndpointOut), (status = "4XX", body = FaultBody)))]
pub(super) async fn enable(
    State(state): State<AppState>,
    caller: Caller,
    Path(handle): Path<String>,
) -> Result<Json<EndpointOut>, ApiError> {
    set_enabled(&state, &caller, &handle, true).await
}

/// Deletes an endpoint.
#[utoipa::path(delete, path = "/v1/webhooks/{webhook_handle}", tag = "webhooks", params(("webhook_handle" = EndpointHandle, Path)),
    responses((status = 204, description = "Deleted"), (status = "4XX", body = FaultBody)))]
pub(super) async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Path(handle): Path<String>,
) -> Result<StatusCode, ApiError> {
    let row = endpoint(&state, &caller, &handle, Access::Write).await?;
    store::delete_endpoint(&state.pool, row.endpoint_id).await?;
    tracing::info!(webhook = %EndpointHandle(row.endpoint_id), "webhook endpoint deleted");
    Ok(StatusCode::NO_CONTENT)
}
