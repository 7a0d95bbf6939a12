//! The JSON and ops HTTP front: feature routers merged here, with shared layers.

mod assets;
mod auth;
mod batches;
mod copies;
mod error;
mod health;
mod idempotency;
mod jobs;
mod webhooks;

use axum::Router;
use sqlx::PgPool;
use tower_http::{limit::RequestBodyLimitLayer, trace::TraceLayer};

pub use auth::ClientAddress;
pub use error::ApiError;

use crate::{auth::Authenticator, copy::Copier, queue::BrokerHealth, storage::Storage};

/// Largest request body accepted by the JSON routes.
const MAX_BODY_BYTES: usize = 1024 * 1024;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub pool: PgPool,
    pub storage: Storage,
    pub copier: Copier,
    pub broker: BrokerHealth,
    /// Checks credentials, with failed-login throttling.
    pub auth: Authenticator,
    /// Ids of jobs that just reached a final state (from PostgreSQL notifications), for long-polls.
    pub job_events: tokio::sync::broadcast::Sender<i64>,
}

/// The whole HTTP API.
pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(copies::router())
        .merge(jobs::router())
        .merge(batches::router())
        .merge(assets::router())
        .merge(health::router())
        .merge(webhooks::router())
        .merge(crate::ops::router())
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES))
        .layer(axum::middleware::from_fn(error::uniform_client_errors))
        .merge(crate::soap::router())
        .layer(TraceLayer::new_for_http().make_span_with(crate::telemetry::request_span))
        .with_state(state)
}
