//! `GET /v1/batches/{batchHandle}`: counts by state and the failed items.

use axum::{
    Json, Router,
    extract::{Path, State},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
    routing::get,
};
use serde_json::{Value, json};

use super::{ApiError, AppState, jobs::not_modified};
use crate::{
    auth::{self, Caller},
    db,
    domain::{AssetHandle, BatchHandle, CompanyHandle, Fault, JobFailure, JobHandle, role::Access},
};

/// Failed items listed in one answer.
const MAX_FAILED_LISTED: i64 = 1000;

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
    let count = |s: &str| status.counts.get(s).copied().unwrap_or(0);
    let finished = count("succeeded") + count("failed") + count("cancelled");
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
    let failed: Vec<Value> = failed
        .into_iter()
        .map(|f| {
            let failure = f.failure();
            json!({
                "jobHandle": JobHandle { company_id: handle.company_id, job_id: f.job_id }.to_string(),
                "assetHandle": AssetHandle(f.target_asset_id).to_string(),
                "name": f.name,
                "code": failure.as_ref().map(JobFailure::code),
                "reason": failure.as_ref().map(JobFailure::reason),
            })
        })
        .collect();
    let body = json!({
        "batchHandle": handle.to_string(),
        "companyHandle": CompanyHandle(status.company_id).to_string(),
        "created": status.created_at,
        "acceptedCount": status.accepted,
        "rejectedCount": status.rejected,
        "counts": {
            "queued": count("queued"),
            "running": count("running"),
            "succeeded": count("succeeded"),
            "failed": count("failed"),
            "cancelled": count("cancelled"),
        },
        "completed": finished == i64::from(status.accepted),
        "failedItems": failed,
    });
    Ok(([(header::ETAG, etag)], Json(body)).into_response())
}

pub fn router() -> Router<AppState> {
    Router::new().route("/v1/batches/{batch_handle}", get(get_batch))
}
