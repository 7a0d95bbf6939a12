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

use super::{ApiError, AppState, assets::AssetOut};
use crate::{
    auth::{self, Caller},
    db::{self, jobs::JobRow},
    domain::{AssetHandle, CompanyHandle, Fault, JobFailure, JobHandle, JobState, role::Access},
    worker::finalize::{self, CancelOutcome},
};

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JobOut {
    job_handle: String,
    company_handle: String,
    state: String,
    asset_handle: String,
    source_asset_handle: String,
    url_modifier: String,
    attempts: i32,
    max_attempts: i32,
    created: DateTime<Utc>,
    started: Option<DateTime<Utc>>,
    finished: Option<DateTime<Utc>>,
    last_modified: DateTime<Utc>,
    next_attempt: Option<DateTime<Utc>>,
    error: Option<JobFailure>,
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

/// `?wait=30s` (also `500ms`, or plain seconds): hold the answer until the job is final.
#[derive(Deserialize)]
struct WaitQuery {
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
    while !job.state.parse::<JobState>().is_ok_and(JobState::is_final)
        && tokio::time::Instant::now() < deadline
    {
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
    let asset = if job.state == "succeeded" {
        db::assets::find(&state.pool, job.target_asset_id).await?.map(AssetOut::from)
    } else {
        None
    };
    let error = job.failure();
    let body = JobOut {
        job_handle: handle.to_string(),
        company_handle: CompanyHandle(job.company_id).to_string(),
        state: job.state,
        asset_handle: AssetHandle(job.target_asset_id).to_string(),
        source_asset_handle: AssetHandle(job.source_asset_id).to_string(),
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

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CancelOut {
    job_handle: String,
    state: &'static str,
    cancel_requested: bool,
}

/// Cancels a queued job at once (its asset is released) or asks a running one to stop at its
/// next stage boundary.
async fn cancel_job(
    State(state): State<AppState>,
    caller: Caller,
    Path(handle): Path<String>,
) -> Result<(StatusCode, Json<CancelOut>), ApiError> {
    let job = accessible_job(&state, &caller, &handle, Access::Write).await?;
    let handle = JobHandle { company_id: job.company_id, job_id: job.job_id };
    let (job_state, cancel_requested) = match finalize::cancel(&state.pool, &job).await? {
        CancelOutcome::Cancelled => ("cancelled", false),
        CancelOutcome::Requested => ("running", true),
        CancelOutcome::AlreadyFinal(final_state) => {
            return Err(Fault::conflict(format!(
                "job {handle} already {final_state}; it cannot be cancelled"
            ))
            .into());
        }
    };
    tracing::info!(job = %handle, state = job_state, "cancel accepted");
    Ok((
        StatusCode::ACCEPTED,
        Json(CancelOut { job_handle: handle.to_string(), state: job_state, cancel_requested }),
    ))
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
