//! The tenants' listener: the JSON API under `/v1`, the SOAP front, health, the API document, and
//! the operators' routes for operators only; feature routers merged here, with shared layers.

mod assets;
mod auth;
mod batches;
mod copies;
mod folders;
mod idempotency;
mod imports;
mod jobs;
mod json;
pub mod openapi;
mod operators;
mod schema;
mod uploads;
mod webhooks;

use axum::Router;
use tower_http::{limit::RequestBodyLimitLayer, trace::TraceLayer};

pub use crate::server::{ApiError, FaultBody};

use crate::state::AppState;

/// Largest request body accepted by the JSON routes.
const MAX_BODY_BYTES: usize = 1024 * 1024;

/// Largest refused body read to its end before the 413 (see [`read_oversized_bodies`]).
const DRAIN_MAX_BYTES: usize = 16 * 1024 * 1024;

/// Answers a declared body over [`MAX_BODY_BYTES`] with 413 once it has been read (up to
/// [`DRAIN_MAX_BYTES`]; past that the connection closes), because a client still sending it
/// when the answer comes and the connection closes sees a broken pipe instead of the answer.
async fn read_oversized_bodies(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse as _;
    use futures::StreamExt as _;
    let declared = request
        .headers()
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    let Some(declared) = declared.filter(|&n| n > MAX_BODY_BYTES) else {
        return next.run(request).await;
    };
    if declared <= DRAIN_MAX_BYTES {
        let mut body = request.into_body().into_data_stream();
        while let Some(Ok(_)) = body.next().await {}
    }
    let reason = format!("the request body is over the {MAX_BODY_BYTES} bytes this route takes");
    (axum::http::StatusCode::PAYLOAD_TOO_LARGE, reason).into_response()
}

/// The whole HTTP API.
pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(copies::router())
        .merge(jobs::router())
        .merge(batches::router())
        .merge(imports::router())
        .merge(folders::router())
        .merge(assets::router())
        .merge(webhooks::router())
        .merge(operators::router(&state))
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES))
        .layer(axum::middleware::from_fn(read_oversized_bodies))
        .merge(uploads::router())
        .merge(crate::ops::health_router())
        .merge(crate::soap::router())
        .route("/openapi.json", axum::routing::get(openapi::serve))
        // Outermost, so that unknown routes and methods of every front answer in the error shape.
        .layer(axum::middleware::from_fn(crate::server::uniform_client_errors))
        .layer(TraceLayer::new_for_http().make_span_with(crate::telemetry::request_span))
        .with_state(state)
}
