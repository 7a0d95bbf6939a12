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
use utoipa::ToSchema;

use super::{ApiError, AppState, FaultBody};
use crate::{
    auth::{self, Caller},
    db::{self, assets::AssetRow},
    domain::{AssetHandle, AssetRef, AssetState, CompanyHandle, Fault, names, role::Access},
};

/// An asset, with IPS `Asset` / `ImageInfo` field names.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = Asset)]
pub struct AssetOut {
    asset_handle: AssetHandle,
    company_handle: CompanyHandle,
    /// `Image` for every asset we hold.
    r#type: String,
    name: String,
    /// The folder's path, as `folderHandle` takes it.
    folder_handle: String,
    /// Our extension.
    state: AssetState,
    /// How many masters the asset has had: 1, plus one per overwriting upload.
    version: i32,
    created: DateTime<Utc>,
    last_modified: DateTime<Utc>,
    image_info: ImageInfoOut,
}

/// Image facts, with IPS `ImageInfo` names; sizes are known once the copy is rendered.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = ImageInfo)]
struct ImageInfoOut {
    width: Option<i32>,
    height: Option<i32>,
    file_size: Option<i64>,
    format: Option<String>,
    /// The Image Serving commands the copy was rendered with.
    url_modifier: String,
    /// The asset this one is a copy of.
    source_asset_handle: Option<AssetHandle>,
}

impl From<AssetRow> for AssetOut {
    fn from(a: AssetRow) -> Self {
        AssetOut {
            asset_handle: AssetHandle::new(a.company_id, a.asset_id),
            company_handle: CompanyHandle(a.company_id),
            r#type: a.r#type,
            name: a.name,
            folder_handle: a.folder_path,
            state: a.state,
            version: a.version,
            created: a.created_at,
            last_modified: a.updated_at,
            image_info: ImageInfoOut {
                width: a.width,
                height: a.height,
                file_size: a.file_size,
                format: a.format,
                url_modifier: a.url_modifier,
                source_asset_handle: a.source_asset_id.map(|id| AssetHandle::new(a.company_id, id)),
            },
        }
    }
}

/// Loads an asset the caller may read. An asset of another company, and a well-formed handle
/// that names none of ours, look exactly like one that does not exist.
pub async fn readable_asset(state: &AppState, caller: &Caller, handle: &str) -> Result<AssetRow, ApiError> {
    let handle = AssetRef::parse(handle)?;
    let not_found = || Fault::not_found(format!("asset {handle} does not exist"));
    let asset = match handle.asset_id() {
        Some(asset_id) => db::assets::find(&state.pool, asset_id).await?,
        None => None,
    };
    let asset = asset.filter(|a| handle.asset_in(a.company_id).is_some()).ok_or_else(not_found)?;
    auth::authorize_or_hide(&state.pool, caller, CompanyHandle(asset.company_id), Access::Read, not_found())
        .await?;
    Ok(asset)
}

/// An asset.
#[utoipa::path(get, path = "/v1/assets/{asset_handle}", tag = "assets", params(("asset_handle" = AssetHandle, Path)),
    responses((status = 200, body = AssetOut), (status = "4XX", body = FaultBody)))]
async fn get_asset(
    State(state): State<AppState>,
    caller: Caller,
    Path(handle): Path<String>,
) -> Result<Json<AssetOut>, ApiError> {
    Ok(Json(readable_asset(&state, &caller, &handle).await?.into()))
}

/// An asset's image bytes, once it is rendered (409 before).
#[utoipa::path(get, path = "/v1/assets/{asset_handle}/content", tag = "assets", params(("asset_handle" = AssetHandle, Path)),
    responses((status = 200, description = "The image", content_type = "image/*", body = [u8]),
        (status = "4XX", body = FaultBody)))]
async fn get_content(
    State(state): State<AppState>,
    caller: Caller,
    Path(handle): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    let asset = readable_asset(&state, &caller, &handle).await?;
    let (Some(key), Some(format), AssetState::Ready) = (&asset.object_key, &asset.format, asset.state) else {
        return Err(Fault::conflict(format!(
            "asset {} is {} and has no content yet",
            AssetHandle::new(asset.company_id, asset.asset_id),
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
