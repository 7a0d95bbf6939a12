//! `GET /openapi.json`: the OpenAPI 3 document of the JSON API, generated from the code.

use axum::Json;
use utoipa::OpenApi;

/// The whole JSON API.
#[derive(OpenApi)]
#[openapi(
    info(title = "ipscopy", description = "Asynchronous Scene7 IPS copyImage: JSON API"),
    paths(super::queues, super::queue_history),
    tags((name = "ops", description = "Queue depth and health for operators"))
)]
pub struct ApiDoc;

/// The document as served.
pub fn document() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

pub(super) async fn serve() -> Json<utoipa::openapi::OpenApi> {
    Json(document())
}
