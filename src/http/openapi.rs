//! `GET /openapi.json`: the OpenAPI document of the JSON API under `/v1`. Its shapes come from
//! the handlers' own request and response types and `#[utoipa::path]` attributes; this is only
//! the frame: which operations, the security scheme and the tags. `tests/ops/openapi.rs` fails
//! when a route is added, removed or changes method without the list below following, and when
//! the committed `openapi.json` differs from the one served.

use axum::Json;
use utoipa::{
    Modify, OpenApi,
    openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme},
};

use super::{assets, batches, copies, folders, imports, jobs, uploads, webhooks};

/// The whole JSON API.
#[derive(OpenApi)]
#[openapi(
    info(title = "ipscopy", description = "Asynchronous Scene7 IPS copyImage: the JSON API."),
    paths(
        copies::submit, copies::submit_batch, jobs::get_job, jobs::cancel_job, batches::get_batch,
        assets::get_asset, assets::get_content, uploads::upload, imports::submit_import, imports::get_import,
        folders::create,
        webhooks::endpoints::create, webhooks::endpoints::list, webhooks::endpoints::callback,
        webhooks::endpoints::get_one, webhooks::endpoints::update, webhooks::endpoints::delete,
        webhooks::endpoints::disable, webhooks::endpoints::enable, webhooks::secrets::secret,
        webhooks::secrets::rotate, webhooks::messages::messages, webhooks::messages::resend,
        webhooks::attempts::attempts, webhooks::messages::recover, webhooks::messages::send_test,
        crate::ops::queues, crate::ops::queue_history,
    ),
    modifiers(&BasicAuth),
    security(("basic" = [])),
    tags(
        (name = "copies", description = "Submit copies and follow their jobs"),
        (name = "assets", description = "Assets and their content"),
        (name = "webhooks", description = "Signed event delivery"),
        (name = "ops", description = "Queue depth and health, for IpsAdmin users only on this listener; the operators' listener (IPSCOPY_OPS_ADDR) serves them without credentials"),
    )
)]
pub struct ApiDoc;

struct BasicAuth;

impl Modify for BasicAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "basic",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Basic).build()),
        );
    }
}

/// The document as served.
pub fn document() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

pub(super) async fn serve() -> Json<utoipa::openapi::OpenApi> {
    Json(document())
}
