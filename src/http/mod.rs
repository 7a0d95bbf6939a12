//! The tenants' listener: the JSON API under `/v1`, the SOAP front, health, the API document, and
//! the operators' routes for operators only; feature routers merged here, with shared layers.

mod assets;
mod auth;
mod batches;
mod copies;
mod idempotency;
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

/// The whole HTTP API.
pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(copies::router())
        .merge(jobs::router())
        .merge(batches::router())
        .merge(assets::router())
        .merge(webhooks::router())
        .merge(operators::router(&state))
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES))
        .merge(uploads::router())
        .merge(crate::ops::health_router())
        .merge(crate::soap::router())
        .route("/openapi.json", axum::routing::get(openapi::serve))
        // Outermost, so that unknown routes and methods of every front answer in the error shape.
        .layer(axum::middleware::from_fn(crate::server::uniform_client_errors))
        .layer(TraceLayer::new_for_http().make_span_with(crate::telemetry::request_span))
        .with_state(state)
}
