//! `GET /v1/jobs/{jobHandle}`: where a copy is.

use axum::{
    Json, Router,
    extract::{Path, State},
    routing::get,
};
use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{ApiError, AppState, assets::AssetOut};
use crate::{
    auth::{self, Caller},
    db,
    domain::{AssetHandle, CompanyHandle, Fault, JobHandle, role::Access},
    error::Error,
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

async fn get_job(
    State(state): State<AppState>,
    caller: Caller,
    Path(handle): Path<String>,
) -> Result<Json<JobOut>, ApiError> {
    let handle = JobHandle::parse(&handle)?;
    let not_found = || Fault::not_found(format!("job {handle} does not exist"));
    let job = db::jobs::find(&state.pool, handle.job_id)
        .await?
        .filter(|j| j.company_id == handle.company_id)
        .ok_or_else(not_found)?;
    match auth::authorize(&state.pool, &caller, CompanyHandle(job.company_id), Access::Read).await {
        Ok(()) => {}
        Err(Error::Fault(f)) if f.code == Fault::INVALID_COMPANY => return Err(not_found().into()),
        Err(e) => return Err(e.into()),
    }
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

pub fn router() -> Router<AppState> {
    Router::new().route("/v1/jobs/{job_handle}", get(get_job))
}
