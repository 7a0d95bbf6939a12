//! `POST /v1/copies` (one copy) and `POST /v1/copies/batch` (up to 1,000).

use axum::{
    Router,
    body::Bytes,
    extract::State,
    http::{HeaderMap, StatusCode},
    response::Response,
    routing::post,
};
use serde_json::{Value, json};

use super::{ApiError, AppState, idempotency, json::parse_json};
use crate::{auth::Caller, batch::BatchRequest, copy::CopyRequest, domain::JobState};

async fn submit(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    idempotency::once(&state, &caller, &headers, "POST /v1/copies", &body, || async {
        let request: CopyRequest = parse_json(&body)?;
        let accepted = state.copier.submit(&caller, &request).await?;
        let out = json!({
            "assetHandle": accepted.asset.to_string(),
            "jobHandle": accepted.job.to_string(),
            "state": JobState::Queued.as_str(),
        });
        Ok((StatusCode::ACCEPTED, out))
    })
    .await
}

async fn submit_batch(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    idempotency::once(&state, &caller, &headers, "POST /v1/copies/batch", &body, || async {
        let request: BatchRequest = parse_json(&body)?;
        let accepted = state.copier.submit_batch(&caller, &request).await?;
        let items: Vec<Value> = accepted
            .items
            .iter()
            .map(|item| match item {
                Ok(copy) => {
                    json!({ "assetHandle": copy.asset.to_string(), "jobHandle": copy.job.to_string() })
                }
                Err(fault) => {
                    json!({ "code": fault.code, "fault": fault.kind().element(), "reason": fault.reason })
                }
            })
            .collect();
        let accepted_count = accepted.items.iter().filter(|i| i.is_ok()).count();
        let out = json!({
            "batchHandle": accepted.batch.map(|b| b.to_string()),
            "acceptedCount": accepted_count,
            "rejectedCount": items.len() - accepted_count,
            "items": items,
        });
        Ok((StatusCode::ACCEPTED, out))
    })
    .await
}

pub fn router() -> Router<AppState> {
    Router::new().route("/v1/copies", post(submit)).route("/v1/copies/batch", post(submit_batch))
}
