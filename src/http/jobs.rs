//! `GET /v1/jobs/{jobHandle}`: where a copy is.

use axum::{
    Json, Router,
    extract::{Path, State},
    http::StatusCode,
    routing::{get, post},
};
use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{ApiError, AppState, assets::AssetOut};
use crate::{
    auth::{self, Caller},
    db::{
        self,
        jobs::{CancelOutcome, JobRow},
    },
    domain::{AssetHandle, CompanyHandle, Fault, JobHandle, role::Access},
    error::Error,
    webhook::{self, JobEvent},
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
    error: Option<JobErrorOut>,
    attempt_errors: serde_json::Value,
    /// The finished copy, once the job succeeded.
    asset: Option<AssetOut>,
}

#[derive(Serialize)]
struct JobErrorOut {
    code: String,
    reason: String,
}

/// Loads a job the caller may access; another company's job looks exactly like a missing one.
async fn accessible_job(state: &AppState, caller: &Caller, handle: &str, access: Access) -> Result<JobRow, ApiError> {
    let handle = JobHandle::parse(handle)?;
    let not_found = || Fault::not_found(format!("job {handle} does not exist"));
    let job = db::jobs::find(&state.pool, handle.job_id)
        .await?
        .filter(|j| j.company_id == handle.company_id)
        .ok_or_else(not_found)?;
    match auth::authorize(&state.pool, caller, CompanyHandle(job.company_id), access).await {
        Ok(()) => Ok(job),
        Err(Error::Fault(f)) if f.code == Fault::INVALID_COMPANY => Err(not_found().into()),
        Err(e) => Err(e.into()),
    }
}

async fn get_job(
    State(state): State<AppState>,
    caller: Caller,
    Path(handle): Path<String>,
) -> Result<Json<JobOut>, ApiError> {
    let job = accessible_job(&state, &caller, &handle, Access::Read).await?;
    let handle = JobHandle { company_id: job.company_id, job_id: job.job_id };
    let asset = if job.state == "succeeded" {
        db::assets::find(&state.pool, job.target_asset_id).await?.map(AssetOut::from)
    } else {
        None
    };
    let error = match (job.error_code, job.error_reason) {
        (Some(code), Some(reason)) => Some(JobErrorOut { code, reason }),
        _ => None,
    };
    Ok(Json(JobOut {
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
    }))
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
    let mut tx = state.pool.begin().await?;
    let (outcome, cancelled) = db::jobs::cancel(&mut tx, job.job_id).await?;
    if let Some(cancelled) = &cancelled {
        db::assets::mark_failed(&mut *tx, cancelled.target_asset_id).await?;
        webhook::job_finished(&mut tx, cancelled, JobEvent::Cancelled).await?;
    }
    tx.commit().await?;
    let (job_state, cancel_requested) = match outcome {
        CancelOutcome::Cancelled => ("cancelled", false),
        CancelOutcome::Requested => ("running", true),
        CancelOutcome::AlreadyFinal(final_state) => {
            return Err(Fault::conflict(format!("job {handle} already {final_state}; it cannot be cancelled")).into());
        }
    };
    tracing::info!(job = %handle, state = job_state, "cancel accepted");
    Ok((StatusCode::ACCEPTED, Json(CancelOut { job_handle: handle.to_string(), state: job_state, cancel_requested })))
}

pub fn router() -> Router<AppState> {
    Router::new().route("/v1/jobs/{job_handle}", get(get_job)).route("/v1/jobs/{job_handle}/cancel", post(cancel_job))
}
