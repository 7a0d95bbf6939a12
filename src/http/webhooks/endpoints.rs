//! Registering, listing, changing, enabling and deleting webhook endpoints.

use axum::{
    Json,
    body::Bytes,
    extract::{Path, Query, State},
    http::StatusCode,
};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::endpoint;
use crate::{
    auth::{self, Caller},
    db::webhooks::{self as store, EndpointRow, NewEndpoint},
    domain::{CompanyHandle, Fault, role::Access},
    http::{ApiError, AppState, json::parse_json},
    webhook::{EndpointHandle, Secret, events::EVENT_TYPES},
};

/// Longest description accepted, in characters.
const MAX_DESCRIPTION_CHARS: usize = 1000;

/// An endpoint as clients see it; the secret only when it was just made.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct EndpointOut {
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

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ListQuery {
    company_handle: Option<String>,
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

#[derive(Serialize)]
pub(super) struct ListOut {
    webhooks: Vec<EndpointOut>,
}

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

pub(super) async fn get_one(
    State(state): State<AppState>,
    caller: Caller,
    Path(handle): Path<String>,
) -> Result<Json<EndpointOut>, ApiError> {
    Ok(Json(EndpointOut::new(endpoint(&state, &caller, &handle, Access::Read).await?, false)))
}

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

pub(super) async fn disable(
    State(state): State<AppState>,
    caller: Caller,
    Path(handle): Path<String>,
) -> Result<Json<EndpointOut>, ApiError> {
    set_enabled(&state, &caller, &handle, false).await
}

pub(super) async fn enable(
    State(state): State<AppState>,
    caller: Caller,
    Path(handle): Path<String>,
) -> Result<Json<EndpointOut>, ApiError> {
    set_enabled(&state, &caller, &handle, true).await
}

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
