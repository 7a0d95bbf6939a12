//! `POST /v1/copies` (one copy) and `POST /v1/copies/batch` (up to 1,000).

use axum::{
    Router,
    body::Bytes,
    extract::State,
    http::{HeaderMap, StatusCode},
    response::Response,
    routing::post,
};
use serde::Serialize;
use utoipa::ToSchema;

use super::{ApiError, AppState, FaultBody, idempotency, json::parse_json};
use crate::{
    auth::Caller,
    batch::BatchRequest,
    copy::{CopyAccepted, CopyRequest},
    domain::{AssetHandle, BatchHandle, Fault, JobHandle, JobState},
};

/// An accepted copy: the reserved asset and the job rendering it.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = CopyAccepted)]
pub(super) struct CopyOut {
    asset_handle: AssetHandle,
    job_handle: JobHandle,
    /// `queued`: the copy is waiting for a worker.
    state: JobState,
}

/// One item's result: handles when accepted, the fault when refused.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
#[schema(as = BatchItemResult)]
pub(super) enum BatchItemOut {
    #[serde(rename_all = "camelCase")]
    Accepted {
        asset_handle: AssetHandle,
        job_handle: JobHandle,
    },
    Refused(FaultBody),
}

impl BatchItemOut {
    /// The results of every item, in order.
    pub(super) fn all(items: &[Result<CopyAccepted, Fault>]) -> Vec<Self> {
        items
            .iter()
            .map(|item| match item {
                Ok(copy) => BatchItemOut::Accepted { asset_handle: copy.asset, job_handle: copy.job },
                Err(fault) => BatchItemOut::Refused(fault.into()),
            })
            .collect()
    }
}

/// A batch answer, one result per item in order.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = BatchAccepted)]
pub(super) struct BatchAcceptedOut {
    /// Absent (null) when every item was refused: nothing was written.
    batch_handle: Option<BatchHandle>,
    accepted_count: usize,
    rejected_count: usize,
    items: Vec<BatchItemOut>,
}

/// Submit one copy; answers at once with a pending asset and its job.
#[utoipa::path(post, path = "/v1/copies", tag = "copies", request_body = CopyRequest,
    params(idempotency::IdempotencyKey),
    responses((status = 202, body = CopyOut), (status = "4XX", body = FaultBody)))]
async fn submit(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    idempotency::once(&state, &caller, &headers, "POST /v1/copies", &body, || async {
        let request: CopyRequest = parse_json(&body)?;
        let CopyAccepted { asset, job } = state.copier.submit(&caller, &request).await?;
        let out = CopyOut { asset_handle: asset, job_handle: job, state: JobState::Queued };
        Ok((StatusCode::ACCEPTED, out))
    })
    .await
}

/// Submit up to 1,000 copies; each item is accepted or refused on its own.
#[utoipa::path(post, path = "/v1/copies/batch", tag = "copies", request_body = BatchRequest,
    params(idempotency::IdempotencyKey),
    responses((status = 202, body = BatchAcceptedOut), (status = "4XX", body = FaultBody)))]
async fn submit_batch(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    idempotency::once(&state, &caller, &headers, "POST /v1/copies/batch", &body, || async {
        let request: BatchRequest = parse_json(&body)?;
        let accepted = state.copier.submit_batch(&caller, &request).await?;
        let items = BatchItemOut::all(&accepted.items);
        let accepted_count = accepted.items.iter().filter(|i| i.is_ok()).count();
        let out = BatchAcceptedOut {
            batch_handle: accepted.batch,
            accepted_count,
            rejected_count: items.len() - accepted_count,
            items,
        };
        Ok((StatusCode::ACCEPTED, out))
    })
    .await
}

pub fn router() -> Router<AppState> {
    Router::new().route("/v1/copies", post(submit)).route("/v1/copies/batch", post(submit_batch))
}
