//! `POST /v1/copies`: submit one copy.

use axum::{Json, Router, body::Bytes, extract::State, http::StatusCode, routing::post};
use serde::Serialize;

use super::{ApiError, AppState, error::parse_json};
use crate::{auth::Caller, copy::CopyRequest, domain::JobState};

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CopyAcceptedOut {
    asset_handle: String,
    job_handle: String,
    state: &'static str,
}

async fn submit(
    State(state): State<AppState>,
    caller: Caller,
    body: Bytes,
) -> Result<(StatusCode, Json<CopyAcceptedOut>), ApiError> {
    let request: CopyRequest = parse_json(&body)?;
    let accepted = state.copier.submit(&caller, &request).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(CopyAcceptedOut {
            asset_handle: accepted.asset.to_string(),
            job_handle: accepted.job.to_string(),
            state: JobState::Queued.as_str(),
        }),
    ))
}

pub fn router() -> Router<AppState> {
    Router::new().route("/v1/copies", post(submit))
}
