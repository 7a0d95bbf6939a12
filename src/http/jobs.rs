//! `GET /v1/jobs/{jobHandle}`: where a copy is.

use std::time::Duration;

use axum::{
    Json, Router,
    extract::{Path, Query, State},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{ApiError, AppState, FaultBody, assets::AssetOut};
use crate::{
    auth::{self, Caller},
    db::{self, jobs::JobRow},
    domain::{AssetHandle, CompanyHandle, Fault, JobFailure, JobHandle, JobKind, JobState, role::Access},
    worker::finalize::{self, CancelOutcome},
};

/// A copy or import job.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = Job)]
struct JobOut {
    job_handle: JobHandle,
    company_handle: CompanyHandle,
    kind: JobKind,
    state: JobState,
    /// The new asset, pending until the job succeeds.
    asset_handle: AssetHandle,
    /// What a copy renders (a copy only).
    #[serde(skip_serializing_if = "Option::is_none")]
    source_asset_handle: Option<AssetHandle>,
    /// What an import fetches (an import only).
    #[serde(skip_serializing_if = "Option::is_none")]
    source_url: Option<String>,
    url_modifier: String,
    attempts: i32,
    max_attempts: i32,
    created: DateTime<Utc>,
    started: Option<DateTime<Utc>>,
    finished: Option<DateTime<Utc>>,
    last_modified: DateTime<Utc>,
    next_attempt: Option<DateTime<Utc>>,
    /// Why the job failed (or why its last attempt did).
    #[schema(value_type = Option<JobErrorSchema>)]
    error: Option<JobFailure>,
    /// Every attempt's error, oldest first.
    #[schema(value_type = Vec<AttemptErrorSchema>)]
    attempt_errors: serde_json::Value,
    /// The finished copy, once the job succeeded.
    asset: Option<AssetOut>,
}

/// Loads a job the caller may access; another company's job looks exactly like a missing one.
async fn accessible_job(
    state: &AppState,
    caller: &Caller,
    handle: &str,
    access: Access,
) -> Result<JobRow, ApiError> {
    let handle = JobHandle::parse(handle)?;
    let not_found = || Fault::not_found(format!("job {handle} does not exist"));
    let job = db::jobs::find(&state.pool, handle.job_id)
        .await?
        .filter(|j| j.company_id == handle.company_id)
        .ok_or_else(not_found)?;
    auth::authorize_or_hide(&state.pool, caller, CompanyHandle(job.company_id), access, not_found()).await?;
    Ok(job)
}

/// A job's error: a code from the failure list in the README and a reason.
#[derive(ToSchema)]
#[schema(as = JobError)]
#[allow(dead_code)] // Only the API document names it: `JobFailure` serializes to this shape.
struct JobErrorSchema {
    code: String,
    reason: String,
}

/// One failed attempt.
#[derive(ToSchema)]
#[schema(as = AttemptError)]
#[allow(dead_code)] // Only the API document names it: the database builds these objects.
struct AttemptErrorSchema {
    attempt: i32,
    code: String,
    reason: String,
    at: DateTime<Utc>,
}

/// Unknown parameters are refused, so a misspelt `wait` is not silently a plain read.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct WaitQuery {
    /// Hold the answer until the job is final, at most this long (capped at 60 s): `30s`,
    /// `500ms` or plain seconds.
    #[param(pattern = "^[0-9]{1,18}(s|ms)?$")]
    wait: Option<String>,
}

/// Longest long-poll accepted.
const MAX_WAIT: Duration = Duration::from_secs(60);

fn parse_wait(text: &str) -> Result<Duration, Fault> {
    let invalid = || Fault::invalid_parameter(format!("wait {text:?} is not a duration like 30s or 500ms"));
    let (number, unit) = match text.strip_suffix("ms") {
        Some(n) => (n, 1),
        None => (text.strip_suffix('s').unwrap_or(text), 1000),
    };
    let value: u64 = number.trim().parse().map_err(|_| invalid())?;
    Ok(Duration::from_millis(value.saturating_mul(unit)).min(MAX_WAIT))
}

/// Whether the client's `If-None-Match` already names `etag`.
pub(super) fn not_modified(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|tag| tag.trim() == etag || tag.trim() == "*"))
}

/// A job; `?wait=30s` holds the answer until it is final (long-poll); `If-None-Match` gives 304.
#[utoipa::path(get, path = "/v1/jobs/{job_handle}", tag = "copies",
    params(("job_handle" = JobHandle, Path), WaitQuery),
    responses((status = 200, body = JobOut), (status = 304, description = "Not changed since the ETag"),
        (status = "4XX", body = FaultBody)))]
async fn get_job(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(handle): Path<String>,
    Query(query): Query<WaitQuery>,
) -> Result<Response, ApiError> {
    let wait = query.wait.as_deref().map(parse_wait).transpose()?.unwrap_or_default();
    // Subscribe before reading, so a job finishing in between still wakes us.
    let mut finals = state.job_events.subscribe();
    let mut job = accessible_job(&state, &caller, &handle, Access::Read).await?;
    let deadline = tokio::time::Instant::now() + wait;
    while !job.state.is_final() && tokio::time::Instant::now() < deadline {
        tokio::select! {
            () = tokio::time::sleep_until(deadline) => break,
            event = finals.recv() => match event {
                Ok(id) if id != job.job_id => continue,
                // A lagged receiver may have missed our job: look again.
                Ok(_) | Err(_) => {}
            },
            // Another process may finish the job while this one's listener is reconnecting.
            () = tokio::time::sleep(Duration::from_secs(1)) => {}
        }
        job = accessible_job(&state, &caller, &handle, Access::Read).await?;
    }
    let handle = JobHandle { company_id: job.company_id, job_id: job.job_id };
    let etag = format!("\"j{}-{}\"", job.job_id, job.updated_at.timestamp_micros());
    if not_modified(&headers, &etag) {
        return Ok((StatusCode::NOT_MODIFIED, [(header::ETAG, etag)]).into_response());
    }
    let asset = if job.state == JobState::Succeeded {
        db::assets::find(&state.pool, job.target_asset_id).await?.map(AssetOut::from)
    } else {
        None
    };
    let error = job.failure();
    let body = JobOut {
        job_handle: handle,
        company_handle: CompanyHandle(job.company_id),
        kind: job.kind,
        state: job.state,
        asset_handle: AssetHandle::new(job.company_id, job.target_asset_id),
        source_asset_handle: job.source_asset_id.map(|id| AssetHandle::new(job.company_id, id)),
        source_url: job.source_url,
        url_modifier: job.url_modifier,
        attempts: job.attempts,
        max_attempts: job.max_attempts,
        created: job.created_at,
        started: job.started_at,
        finished: job.finished_at,
        last_modified: job.updated_at,
        next_attempt: job.next_attempt_at,
        error,
        attempt_errors: job.attempt_errors,
        asset,
    };
    Ok(([(header::ETAG, etag)], Json(body)).into_response())
}

/// What a cancel did.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = CancelResult)]
struct CancelOut {
    job_handle: JobHandle,
    /// `cancelled` at once for a queued job; `running` while a running one stops.
    state: JobState,
    /// The running job was asked to stop at its next stage boundary.
    cancel_requested: bool,
}

/// Cancels a queued job at once (its asset is released) or asks a running one to stop at its
/// next stage boundary.
#[utoipa::path(post, path = "/v1/jobs/{job_handle}/cancel", tag = "copies", params(("job_handle" = JobHandle, Path)),
    responses((status = 202, body = CancelOut), (status = "4XX", body = FaultBody)))]
async fn cancel_job(
    State(state): State<AppState>,
    caller: Caller,
    Path(handle): Path<String>,
) -> Result<(StatusCode, Json<CancelOut>), ApiError> {
    let job = accessible_job(&state, &caller, &handle, Access::Write).await?;
    let handle = JobHandle { company_id: job.company_id, job_id: job.job_id };
    let (job_state, cancel_requested) = match finalize::cancel(&state.pool, &job).await? {
        CancelOutcome::Cancelled => (JobState::Cancelled, false),
        CancelOutcome::Requested => (JobState::Running, true),
        CancelOutcome::AlreadyFinal(final_state) => {
            return Err(Fault::conflict(format!(
                "job {handle} already {final_state}; it cannot be cancelled"
            ))
            .into());
        }
    };
    tracing::info!(job = %handle, state = %job_state, "cancel accepted");
    Ok((StatusCode::ACCEPTED, Json(CancelOut { job_handle: handle, state: job_state, cancel_requested })))
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/jobs/{job_handle}", get(get_job))
        .route("/v1/jobs/{job_handle}/cancel", post(cancel_job))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_are_read_in_seconds_or_milliseconds_and_capped_at_a_minute() {
        assert_eq!(parse_wait("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_wait("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_wait("5"), Ok(Duration::from_secs(5)));
        assert_eq!(parse_wait("3600s"), Ok(MAX_WAIT));
        assert_eq!(parse_wait("soon").unwrap_err().code, Fault::INVALID_PARAMETER);
    }

    #[test]
    fn if_none_match_matches_any_listed_tag() {
        let mut headers = HeaderMap::new();
        headers.insert(header::IF_NONE_MATCH, "\"a\", \"j1-2\"".parse().unwrap());
        assert!(not_modified(&headers, "\"j1-2\""));
        assert!(!not_modified(&headers, "\"j1-3\""));
        assert!(!not_modified(&HeaderMap::new(), "\"j1-2\""));
    }
}
