//! `GET /v1/assets/{assetHandle}` and its content.

use axum::{
    Json, Router,
    extract::{Path, State},
    http::header,
    response::IntoResponse,
    routing::get,
};
use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{ApiError, AppState};
use crate::{
    auth::{self, Caller},
    db::{self, assets::AssetRow},
    domain::{AssetHandle, CompanyHandle, Fault, names, role::Access},
};

/// An asset, with IPS `Asset` / `ImageInfo` field names.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AssetOut {
    asset_handle: String,
    company_handle: String,
    r#type: String,
    name: String,
    folder_handle: String,
    /// Our extension: `pending` until the copy is rendered, then `ready` (or `failed`).
    state: String,
    created: DateTime<Utc>,
    last_modified: DateTime<Utc>,
    image_info: ImageInfoOut,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ImageInfoOut {
    width: Option<i32>,
    height: Option<i32>,
    file_size: Option<i64>,
    format: Option<String>,
    url_modifier: String,
    source_asset_handle: Option<String>,
}

impl From<AssetRow> for AssetOut {
    fn from(a: AssetRow) -> Self {
        AssetOut {
            asset_handle: AssetHandle(a.asset_id).to_string(),
            company_handle: CompanyHandle(a.company_id).to_string(),
            r#type: a.r#type,
            name: a.name,
            folder_handle: a.folder_path,
            state: a.state,
            created: a.created_at,
            last_modified: a.updated_at,
            image_info: ImageInfoOut {
                width: a.width,
                height: a.height,
                file_size: a.file_size,
                format: a.format,
                url_modifier: a.url_modifier,
                source_asset_handle: a.source_asset_id.map(|id| AssetHandle(id).to_string()),
            },
        }
    }
}

/// Loads an asset the caller may read. An asset of another company looks exactly like one
/// that does not exist.
pub async fn readable_asset(state: &AppState, caller: &Caller, handle: &str) -> Result<AssetRow, ApiError> {
    let handle = AssetHandle::parse(handle)?;
    let not_found = || Fault::not_found(format!("asset {handle} does not exist"));
    let asset = db::assets::find(&state.pool, handle.0).await?.ok_or_else(not_found)?;
    auth::authorize_or_hide(&state.pool, caller, CompanyHandle(asset.company_id), Access::Read, not_found())
        .await?;
    Ok(asset)
}

async fn get_asset(
    State(state): State<AppState>,
    caller: Caller,
    Path(handle): Path<String>,
) -> Result<Json<AssetOut>, ApiError> {
    Ok(Json(readable_asset(&state, &caller, &handle).await?.into()))
}

async fn get_content(
    State(state): State<AppState>,
    caller: Caller,
    Path(handle): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    let asset = readable_asset(&state, &caller, &handle).await?;
    let (Some(key), Some(format), "ready") = (&asset.object_key, &asset.format, asset.state.as_str()) else {
        return Err(Fault::conflict(format!(
            "asset {} is {} and has no content yet",
            AssetHandle(asset.asset_id),
            asset.state
        ))
        .into());
    };
    let bytes = state.storage.get(key).await.map_err(anyhow::Error::new)?;
    Ok(([(header::CONTENT_TYPE, names::mime_of(format))], bytes))
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/assets/{asset_handle}", get(get_asset))
        .route("/v1/assets/{asset_handle}/content", get(get_content))
}
