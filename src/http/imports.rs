//! `POST /v1/imports` (up to 1,000 masters by URL or S3 key) and `GET /v1/imports/{importHandle}`.

use axum::{
    Json, Router,
    body::Bytes,
    extract::{Path, State},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::{
    ApiError, AppState, FaultBody,
    batches::{BatchCounts, FailedItemOut, Progress},
    copies::BatchItemOut,
    idempotency,
    json::parse_json,
};
use crate::{
    auth::Caller,
    domain::{BatchHandle, CompanyHandle, JobKind},
    import::ImportRequest,
};

/// An import answer, one result per item in order.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = ImportAccepted)]
struct ImportAcceptedOut {
    /// Absent (null) when every item was refused: nothing was written.
    import_handle: Option<BatchHandle>,
    accepted_count: usize,
    rejected_count: usize,
    items: Vec<BatchItemOut>,
}

/// An import's progress.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = Import)]
struct ImportOut {
    import_handle: BatchHandle,
    company_handle: CompanyHandle,
    created: DateTime<Utc>,
    accepted_count: i32,
    rejected_count: i32,
    counts: BatchCounts,
    /// Every accepted item was imported or failed.
    completed: bool,
    /// The first 1,000 failed items, with their source and error.
    failed_items: Vec<FailedItemOut>,
}

/// Import up to 1,000 masters by URL or S3 key; each item is accepted or refused on its own,
/// and each accepted one becomes a pending asset that a worker fetches, checks and stores.
#[utoipa::path(post, path = "/v1/imports", tag = "assets", request_body = ImportRequest,
    params(idempotency::IdempotencyKey),
    responses((status = 202, body = ImportAcceptedOut), (status = "4XX", body = FaultBody)))]
async fn submit_import(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    idempotency::once(&state, &caller, &headers, "POST /v1/imports", &body, || async {
        let request: ImportRequest = parse_json(&body)?;
        let accepted = state.copier.submit_import(&caller, &request, None).await?;
        let items = BatchItemOut::all(&accepted.items);
        let accepted_count = accepted.items.iter().filter(|i| i.is_ok()).count();
        let out = ImportAcceptedOut {
            import_handle: accepted.batch,
            accepted_count,
            rejected_count: items.len() - accepted_count,
            items,
        };
        Ok((StatusCode::ACCEPTED, out))
    })
    .await
}

/// An import's progress and failed items; `If-None-Match` gives 304 while nothing changed.
#[utoipa::path(get, path = "/v1/imports/{import_handle}", tag = "assets", params(("import_handle" = BatchHandle, Path)),
    responses((status = 200, body = ImportOut), (status = 304, description = "Not changed since the ETag"),
        (status = "4XX", body = FaultBody)))]
async fn get_import(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(handle): Path<String>,
) -> Result<Response, ApiError> {
    let handle = BatchHandle::parse(&handle)?;
    let progress = match Progress::read(&state, &caller, &headers, handle, JobKind::Import).await? {
        Ok(progress) => progress,
        Err(not_modified) => return Ok(not_modified),
    };
    let body = ImportOut {
        import_handle: handle,
        company_handle: CompanyHandle(handle.company_id),
        created: progress.created(),
        accepted_count: progress.accepted_count(),
        rejected_count: progress.rejected_count(),
        counts: progress.counts(),
        completed: progress.completed(),
        failed_items: progress.failed_items(handle),
    };
    Ok(([(header::ETAG, progress.etag.clone())], Json(body)).into_response())
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/imports", post(submit_import))
        .route("/v1/imports/{import_handle}", get(get_import))
}
