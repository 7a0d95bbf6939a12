//! What operators see: `/metrics` (Prometheus), `/v1/queues` (the same figures as JSON), the
//! `/status` page, health, and the worker registry. Served on the operators' listener of every
//! process, and to operators only on the tenants' listener (`http::operators`).

pub mod broker;
mod exposition;
pub mod figures;
mod health;
pub mod history;
mod status;
pub mod workers;

use std::sync::Arc;

use axum::{
    Json, Router,
    extract::{FromRef, State},
    http::header,
    response::{IntoResponse, Response},
    routing::get,
};
use sqlx::PgPool;

pub use health::health_router;

use crate::{
    config::{BrokerUrls, Settings},
    domain::Fault,
    queue::{BrokerHealth, Topology},
    server::{FaultBody, fault_response},
    storage::Storage,
    worker::Busy,
};

/// One deployment as this process sees it: how it reaches its broker, and its own worker.
pub struct Deployment {
    pub amqp_url: BrokerUrls,
    pub topology: Topology,
    /// This process's worker: its slots and the deliveries it holds, when it runs one.
    pub worker: Option<(usize, Busy)>,
    /// Webhook endpoints that get a backlog figure of their own; the rest are summed.
    pub endpoint_labels: i64,
    /// The cached broker session the probes use.
    probe: broker::Probe,
}

/// What the ops and health handlers need; built once per process by `app`.
#[derive(Clone)]
pub struct OpsState {
    pub pool: PgPool,
    pub storage: Storage,
    /// Whether the relay holds a broker session.
    pub broker: BrokerHealth,
    pub deployment: Arc<Deployment>,
}

impl OpsState {
    /// The state of the deployment `settings` describe; `worker` is this process's worker.
    pub fn new(
        pool: PgPool,
        storage: Storage,
        broker: BrokerHealth,
        settings: &Settings,
        worker: Option<(usize, Busy)>,
    ) -> Self {
        crate::metrics::install(settings.http.metrics_company_labels);
        let deployment = Deployment {
            amqp_url: settings.amqp.amqp_url.clone(),
            topology: Topology::of(&settings.amqp),
            worker,
            endpoint_labels: i64::try_from(settings.http.metrics_endpoint_labels).unwrap_or(i64::MAX),
            probe: broker::Probe::default(),
        };
        Self { pool, storage, broker, deployment: Arc::new(deployment) }
    }

    /// Whether a node of the broker answers a passive declare now (for `/readyz`).
    pub async fn broker_reachable(&self) -> bool {
        let d = &self.deployment;
        d.probe.counts(&d.amqp_url, &d.topology).await.is_some()
    }
}

/// The ops routes, for any router whose state provides an [`OpsState`].
pub fn router<S>() -> Router<S>
where
    S: Clone + Send + Sync + 'static,
    OpsState: FromRef<S>,
{
    Router::new()
        .route("/metrics", get(prometheus))
        .route("/v1/queues", get(queues))
        .route("/v1/queues/history", get(queue_history))
        .route("/status", get(status::page))
}

/// The operators' listener: the ops routes and health, without credentials.
pub fn listener_router(state: OpsState) -> Router {
    router::<OpsState>()
        .merge(health_router())
        .layer(axum::middleware::from_fn(crate::server::uniform_client_errors))
        .with_state(state)
}

/// An ops answer that could not be computed: the database did not answer.
pub struct OpsError;

impl IntoResponse for OpsError {
    fn into_response(self) -> Response {
        fault_response(Fault::unavailable("the database did not answer; the figures are unavailable", 5))
    }
}

impl From<sqlx::Error> for OpsError {
    fn from(e: sqlx::Error) -> Self {
        tracing::warn!(error = %e, "ops figures unavailable");
        Self
    }
}

async fn prometheus(State(state): State<OpsState>) -> Result<Response, OpsError> {
    let figures = figures::take(&state).await?;
    let mut text = String::new();
    let worker_here = state
        .deployment
        .worker
        .as_ref()
        .map(|(slots, busy)| (busy.now(), i64::try_from(*slots).unwrap_or(i64::MAX)));
    exposition::write(&mut text, &figures, worker_here);
    text.push_str(&crate::metrics::render());
    Ok(([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], text).into_response())
}

/// Queue depth, jobs by state, the oldest waiting job, outbox lag, webhooks and workers.
#[utoipa::path(get, path = "/v1/queues", tag = "ops",
    responses((status = 200, body = figures::Figures), (status = "4XX", body = FaultBody)))]
pub async fn queues(State(state): State<OpsState>) -> Result<Json<figures::Figures>, OpsError> {
    Ok(Json(figures::take(&state).await?))
}

/// The last hour, minute by minute: throughput, latency and waiting jobs.
#[utoipa::path(get, path = "/v1/queues/history", tag = "ops",
    responses((status = 200, body = Vec<history::Minute>), (status = "4XX", body = FaultBody)))]
pub async fn queue_history(State(state): State<OpsState>) -> Result<Json<Vec<history::Minute>>, OpsError> {
    Ok(Json(history::last_hour(&state.pool).await?))
}
