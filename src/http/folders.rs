//! `POST /v1/folders`: makes a folder, one level under a parent that exists, as the SOAP
//! `createFolder` does (and `ipscopy upload --subfolders` asks for).

use axum::{
    Json, Router,
    body::Bytes,
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::post,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{ApiError, AppState, FaultBody, json::parse_json};
use crate::{
    auth::{self, Caller},
    db,
    domain::{CompanyHandle, Fault, FolderPath, role::Access},
};

/// The folder to make.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = FolderRequest)]
struct FolderRequest {
    #[serde(default)]
    #[schema(value_type = CompanyHandle, required = true)]
    company_handle: String,
    /// The new folder's handle: its parent's handle and its name, ending in `/`.
    #[serde(default)]
    #[schema(value_type = FolderPath, required = true)]
    folder_handle: String,
}

/// A folder made.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = Folder)]
struct FolderOut {
    company_handle: CompanyHandle,
    folder_handle: FolderPath,
}

/// Make a folder under one that exists; 409 when it exists already or an asset has its name.
#[utoipa::path(post, path = "/v1/folders", tag = "assets", request_body = FolderRequest,
    responses((status = 201, body = FolderOut), (status = "4XX", body = FaultBody)))]
async fn create(State(state): State<AppState>, caller: Caller, body: Bytes) -> Result<Response, ApiError> {
    let request: FolderRequest = parse_json(&body)?;
    if request.company_handle.is_empty() {
        return Err(Fault::missing_parameter("companyHandle").into());
    }
    if request.folder_handle.is_empty() {
        return Err(Fault::missing_parameter("folderHandle").into());
    }
    let company = CompanyHandle::parse(&request.company_handle)?;
    auth::authorize(&state.pool, &caller, company, Access::Write).await?;
    let row = db::companies::find(&state.pool, company.0)
        .await?
        .ok_or_else(|| Fault::new(Fault::INVALID_COMPANY, format!("no access to company {company}")))?;
    let path = FolderPath::parse_handle(&request.folder_handle)?;
    crate::folder::create(&state.pool, &row, &path).await?;
    tracing::info!(company = %company, folder = %path, "folder made");
    let out = FolderOut { company_handle: company, folder_handle: path };
    Ok((StatusCode::CREATED, Json(out)).into_response())
}

pub fn router() -> Router<AppState> {
    Router::new().route("/v1/folders", post(create))
}
