//! `GET /v1/batches/{batchHandle}`: counts by state and the failed items; imports show theirs
//! through the same [`Progress`].

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
    db::{
        self,
        batches::{BatchStatus, FailedItem},
    },
    domain::{AssetHandle, BatchHandle, CompanyHandle, Fault, JobHandle, JobKind, JobState, role::Access},
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
pub(super) struct BatchCounts {
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
pub(super) struct FailedItemOut {
    job_handle: JobHandle,
    asset_handle: AssetHandle,
    name: String,
    /// What an import item fetched (imports only).
    #[serde(skip_serializing_if = "Option::is_none")]
    source_url: Option<String>,
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
    let progress = match Progress::read(&state, &caller, &headers, handle, JobKind::Copy).await? {
        Ok(progress) => progress,
        Err(not_modified) => return Ok(not_modified),
    };
    let body = BatchOut {
        batch_handle: handle,
        company_handle: CompanyHandle(handle.company_id),
        created: progress.status.created_at,
        accepted_count: progress.status.accepted,
        rejected_count: progress.status.rejected,
        counts: progress.counts(),
        completed: progress.completed(),
        failed_items: progress.failed_items(handle),
    };
    Ok(([(header::ETAG, progress.etag)], Json(body)).into_response())
}

/// A batch's (or an import's) counts and failed items, read for a caller who may see them.
pub(super) struct Progress {
    status: BatchStatus,
    failed: Vec<FailedItem>,
    pub etag: String,
}

impl Progress {
    /// Reads batch `handle` of `kind`, or the 304 answer when `If-None-Match` still holds.
    /// Another company's batch, or one of the other kind, looks exactly like a missing one.
    pub async fn read(
        state: &AppState,
        caller: &Caller,
        headers: &HeaderMap,
        handle: BatchHandle,
        kind: JobKind,
    ) -> Result<Result<Self, Response>, ApiError> {
        let what = match kind {
            JobKind::Copy => "batch",
            JobKind::Import => "import",
        };
        let not_found = || Fault::not_found(format!("{what} {handle} does not exist"));
        let mut conn = state.pool.acquire().await?;
        let status = db::batches::status(&mut conn, handle.batch_id)
            .await?
            .filter(|b| b.company_id == handle.company_id && b.kind == kind)
            .ok_or_else(not_found)?;
        auth::authorize_or_hide(
            &state.pool,
            caller,
            CompanyHandle(status.company_id),
            Access::Read,
            not_found(),
        )
        .await?;
        let finished = [JobState::Succeeded, JobState::Failed, JobState::Cancelled]
            .into_iter()
            .map(|s| status.count(s))
            .sum::<i64>();
        let etag = format!(
            "\"b{}-{}-{}\"",
            handle.batch_id,
            status.last_change.map_or(0, |t| t.timestamp_micros()),
            finished
        );
        if not_modified(headers, &etag) {
            return Ok(Err((StatusCode::NOT_MODIFIED, [(header::ETAG, etag)]).into_response()));
        }
        let failed = db::batches::failed_items(&mut conn, handle.batch_id, MAX_FAILED_LISTED).await?;
        Ok(Ok(Self { status, failed, etag }))
    }

    pub fn counts(&self) -> BatchCounts {
        let count = |state| self.status.count(state);
        BatchCounts {
            queued: count(JobState::Queued),
            running: count(JobState::Running),
            succeeded: count(JobState::Succeeded),
            failed: count(JobState::Failed),
            cancelled: count(JobState::Cancelled),
        }
    }

    /// Every accepted job reached a final state.
    pub fn completed(&self) -> bool {
        let c = self.counts();
        c.succeeded + c.failed + c.cancelled == i64::from(self.status.accepted)
    }

    pub fn created(&self) -> DateTime<Utc> {
        self.status.created_at
    }

    pub fn accepted_count(&self) -> i32 {
        self.status.accepted
    }

    pub fn rejected_count(&self) -> i32 {
        self.status.rejected
    }

    pub fn failed_items(&self, handle: BatchHandle) -> Vec<FailedItemOut> {
        self.failed
            .iter()
            .map(|f| {
                let failure = f.failure();
                FailedItemOut {
                    job_handle: JobHandle { company_id: handle.company_id, job_id: f.job_id },
                    asset_handle: AssetHandle::new(handle.company_id, f.target_asset_id),
                    code: failure.as_ref().map(|f| f.code().to_string()),
                    reason: failure.as_ref().map(|f| f.reason().to_string()),
                    name: f.name.clone(),
                    source_url: f.source_url.clone(),
                }
            })
            .collect()
    }
}

pub fn router() -> Router<AppState> {
    Router::new().route("/v1/batches/{batch_handle}", get(get_batch))
}
