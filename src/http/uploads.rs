//! `POST /v1/assets`: upload a master, as the request body or as a `multipart/form-data` part,
//! streamed to the object store (see `crate::upload` for the checks on the way).

use axum::{
    Json, Router,
    extract::{DefaultBodyLimit, FromRequest, Multipart, Query, Request, State},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
    routing::post,
};
use futures::TryStreamExt;
use serde::Deserialize;
use utoipa::IntoParams;

use super::{ApiError, AppState, FaultBody, assets::AssetOut};
use crate::{
    auth::Caller,
    domain::{AssetHandle, CompanyHandle, Fault, FolderPath},
    upload::{UploadRequest, Uploaded},
};

/// Where the master goes. With `multipart/form-data` the same fields may come as form fields
/// before the file part instead; `name` then defaults to the file's name without extension.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct UploadQuery {
    /// The company the asset belongs to.
    #[param(value_type = Option<CompanyHandle>)]
    company_handle: Option<String>,
    /// The folder the new asset goes in.
    #[param(value_type = Option<FolderPath>)]
    folder_handle: Option<String>,
    /// The asset's name, unique in the company.
    #[param(min_length = 1, max_length = 255)]
    name: Option<String>,
    /// Replace the master of the asset that already has `name` (its version goes up by one;
    /// copies made from it stay as they are) instead of answering 409.
    overwrite: Option<bool>,
}

impl UploadQuery {
    /// Takes one form field, refusing names this route does not know.
    fn set(&mut self, field: &str, value: String) -> Result<(), Fault> {
        match field {
            "companyHandle" => self.company_handle = Some(value),
            "folderHandle" => self.folder_handle = Some(value),
            "name" => self.name = Some(value),
            "overwrite" => {
                self.overwrite = Some(value.parse().map_err(|_| {
                    Fault::invalid_parameter(format!("overwrite {value:?} is neither true nor false"))
                })?);
            }
            other => {
                return Err(Fault::invalid_parameter(format!(
                    "form field {other:?} is not one of companyHandle, folderHandle, name, overwrite, file"
                )));
            }
        }
        Ok(())
    }

    fn request(self, file_name: Option<&str>) -> Result<UploadRequest, Fault> {
        let company = CompanyHandle::parse(
            &self.company_handle.ok_or_else(|| Fault::missing_parameter("companyHandle"))?,
        )?;
        let folder = FolderPath::parse_handle(
            &self.folder_handle.ok_or_else(|| Fault::missing_parameter("folderHandle"))?,
        )?;
        let from_file = file_name.map(|f| f.rsplit_once('.').map_or(f, |(stem, _)| stem).to_string());
        let name = self.name.or(from_file).ok_or_else(|| Fault::missing_parameter("name"))?;
        Ok(UploadRequest { company, folder, name, overwrite: self.overwrite.unwrap_or(false) })
    }
}

/// Upload a master image: the body itself (any image content type), or the part named `file`
/// of a `multipart/form-data` body. Answers 201 with the new asset, or 200 with the asset
/// whose master an `overwrite` replaced.
#[utoipa::path(post, path = "/v1/assets", tag = "assets", params(UploadQuery),
    request_body(content(
        (Vec<u8> = "application/octet-stream"),
        (Vec<u8> = "image/jpeg"),
        (Vec<u8> = "image/png"),
    ), description = "The image; or a multipart/form-data body whose `file` part is the image"),
    responses((status = 201, body = AssetOut, description = "A new asset holds the master"),
        (status = 200, body = AssetOut, description = "The named asset has the new master"),
        (status = "4XX", body = FaultBody)))]
async fn upload(
    State(state): State<AppState>,
    caller: Caller,
    Query(mut query): Query<UploadQuery>,
    headers: HeaderMap,
    request: Request,
) -> Result<Response, ApiError> {
    let is_multipart = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().to_ascii_lowercase().starts_with("multipart/form-data"));
    let uploaded = if is_multipart {
        let mut form = Multipart::from_request(request, &state)
            .await
            .map_err(|e| Fault::invalid_parameter(e.body_text()))?;
        loop {
            let field = form
                .next_field()
                .await
                .map_err(|e| {
                    Fault::invalid_parameter(format!("the multipart body is malformed: {}", e.body_text()))
                })?
                .ok_or_else(|| Fault::missing_parameter("the multipart part named file"))?;
            let field_name = field.name().unwrap_or_default().to_string();
            if field_name == "file" {
                let file_name = field.file_name().map(str::to_string);
                let upload = query.request(file_name.as_deref())?;
                let body = field.map_err(|e| e.body_text());
                break state.uploader.upload(&caller, &upload, body).await?;
            }
            let value = crate::server::form_text(field, &field_name).await?;
            let value = String::from_utf8(value)
                .map_err(|_| Fault::invalid_parameter(format!("form field {field_name} is not UTF-8")))?;
            query.set(&field_name, value)?;
        }
    } else {
        let upload = query.request(None)?;
        let body = request.into_body().into_data_stream();
        state.uploader.upload(&caller, &upload, body).await?
    };
    Ok(match uploaded {
        Uploaded::Created(asset) => {
            let location = format!("/v1/assets/{}", AssetHandle::new(asset.company_id, asset.asset_id));
            (StatusCode::CREATED, [(header::LOCATION, location)], Json(AssetOut::from(asset))).into_response()
        }
        Uploaded::Replaced(asset) => (StatusCode::OK, Json(AssetOut::from(asset))).into_response(),
    })
}

/// Its own router: the upload body is limited by the upload setting, not the JSON routes' 1 MiB.
pub fn router() -> Router<AppState> {
    Router::new().route("/v1/assets", post(upload)).layer(DefaultBodyLimit::disable())
}
