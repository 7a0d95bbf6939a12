//! `GET /v1/batches/{batchHandle}`: counts by state and the failed items.

use axum::{
    Json, Router,
    extract::{Path, State},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
    routing::get,
};
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::{ApiError, AppState, FaultBody, jobs::not_modified};
use crate::{
    auth::{self, Caller},
    db,
    domain::{AssetHandle, BatchHandle, CompanyHandle, Fault, JobHandle, JobState, role::Access},
};

/// Failed items listed in one answer.
const MAX_FAILED_LISTED: i64 = 1000;

/// A batch's progress.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = Batch)]
struct BatchOut {
    batch_handle: BatchHandle,
    company_handle: CompanyHandle,
    created: DateTime<Utc>,
    accepted_count: i32,
    rejected_count: i32,
    counts: BatchCounts,
    /// Every accepted copy reached a final state.
    completed: bool,
    /// The first 1,000 failed items.
    failed_items: Vec<FailedItemOut>,
}

/// A batch's jobs by state.
#[derive(Serialize, ToSchema)]
struct BatchCounts {
    queued: i64,
    running: i64,
    succeeded: i64,
    failed: i64,
    cancelled: i64,
}

/// A failed item of a batch, with its job's error.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = BatchFailedItem)]
struct FailedItemOut {
    job_handle: JobHandle,
    asset_handle: AssetHandle,
    name: String,
    code: Option<String>,
    reason: Option<String>,
}

/// A batch's progress and failed items; `If-None-Match` gives 304 while nothing changed.
#[utoipa::path(get, path = "/v1/batches/{batch_handle}", tag = "copies", params(("batch_handle" = BatchHandle, Path)),
    responses((status = 200, body = BatchOut), (status = 304, description = "Not changed since the ETag"),
        (status = "4XX", body = FaultBody)))]
async fn get_batch(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(handle): Path<String>,
) -> Result<Response, ApiError> {
    let handle = BatchHandle::parse(&handle)?;
    let not_found = || Fault::not_found(format!("batch {handle} does not exist"));
    let mut conn = state.pool.acquire().await?;
    let status = db::batches::status(&mut conn, handle.batch_id)
        .await?
        .filter(|b| b.company_id == handle.company_id)
        .ok_or_else(not_found)?;
    auth::authorize_or_hide(
        &state.pool,
        &caller,
        CompanyHandle(status.company_id),
        Access::Read,
        not_found(),
    )
    .await?;
    let count = |state| status.count(state);
    let finished = count(JobState::Succeeded) + count(JobState::Failed) + count(JobState::Cancelled);
    let etag = format!(
        "\"b{}-{}-{}\"",
        handle.batch_id,
        status.last_change.map_or(0, |t| t.timestamp_micros()),
        finished
    );
    if not_modified(&headers, &etag) {
        return Ok((StatusCode::NOT_MODIFIED, [(header::ETAG, etag)]).into_response());
    }
    let failed = db::batches::failed_items(&mut conn, handle.batch_id, MAX_FAILED_LISTED).await?;
    let failed_items = failed
        .into_iter()
        .map(|f| {
            let failure = f.failure();
            FailedItemOut {
                job_handle: JobHandle { company_id: handle.company_id, job_id: f.job_id },
                asset_handle: AssetHandle::new(handle.company_id, f.target_asset_id),
                code: failure.as_ref().map(|f| f.code().to_string()),
                reason: failure.as_ref().map(|f| f.reason().to_string()),
                name: f.name,
            }
        })
        .collect();
    let body = BatchOut {
        batch_handle: handle,
        company_handle: CompanyHandle(status.company_id),
        created: status.created_at,
        accepted_count: status.accepted,
        rejected_count: status.rejected,
        counts: BatchCounts {
            queued: count(JobState::Queued),
            running: count(JobState::Running),
            succeeded: count(JobState::Succeeded),
            failed: count(JobState::Failed),
            cancelled: count(JobState::Cancelled),
        },
        completed: finished == i64::from(status.accepted),
        failed_items,
    };
    Ok(([(header::ETAG, etag)], Json(body)).into_response())
}

pub fn router() -> Router<AppState> {
    Router::new().route("/v1/batches/{batch_handle}", get(get_batch))
}
