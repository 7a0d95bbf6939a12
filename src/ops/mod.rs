//! What operators see: `/metrics` (Prometheus), `/v1/queues` (the same figures as JSON), the
//! `/status` page, the worker registry and `/openapi.json`.

pub mod broker;
mod exposition;
pub mod figures;
pub mod history;
pub mod metrics;
pub mod openapi;
mod status;
pub mod workers;

use std::{
    collections::HashMap,
    net::SocketAddr,
    sync::{LazyLock, Mutex},
};

use anyhow::Context;
use axum::{
    Json, Router,
    extract::{FromRef, State},
    http::{StatusCode, header},
    response::{IntoResponse, Response},
    routing::get,
};
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

use crate::{config::Settings, queue::Topology};

/// How one deployment reaches its broker, recorded at start-up.
#[derive(Debug, Clone)]
pub struct Deployment {
    pub amqp_url: crate::secret::SecretUrl,
    pub topology: Topology,
    /// This process's worker slots, when it runs a worker.
    pub worker_slots: Option<usize>,
}

/// Deployments started in this process, by database name. The HTTP state is shared by every
/// front, so the ops handlers find their broker settings here; tests start many apps per process.
static DEPLOYMENTS: LazyLock<Mutex<HashMap<String, Deployment>>> = LazyLock::new(Default::default);

/// Records how the deployment on `pool` reaches its broker, and installs the metrics recorder.
pub fn register(pool: &PgPool, settings: &Settings, runs_worker: bool) {
    metrics::install();
    let deployment = Deployment {
        amqp_url: settings.amqp.amqp_url.clone(),
        topology: Topology::new(&settings.amqp.queue_prefix),
        worker_slots: runs_worker.then(|| settings.worker.slots()),
    };
    let mut deployments = DEPLOYMENTS.lock().unwrap_or_else(|e| e.into_inner());
    deployments.insert(workers::deployment(pool), deployment);
}

fn deployment_of(pool: &PgPool) -> Option<Deployment> {
    let deployments = DEPLOYMENTS.lock().unwrap_or_else(|e| e.into_inner());
    deployments.get(&workers::deployment(pool)).cloned()
}

/// Whether the broker of the deployment on `pool` answers a passive declare now (for `/readyz`).
pub async fn broker_reachable(pool: &PgPool) -> bool {
    match deployment_of(pool) {
        Some(d) => {
            broker::counts(d.amqp_url.expose(), &workers::deployment(pool), &d.topology).await.is_some()
        }
        None => false,
    }
}

/// What the ops handlers need.
#[derive(Clone)]
pub struct OpsState {
    pub pool: PgPool,
}

impl FromRef<crate::http::AppState> for OpsState {
    fn from_ref(state: &crate::http::AppState) -> Self {
        Self { pool: state.pool.clone() }
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
        .route("/openapi.json", get(openapi::serve))
}

/// Serves the ops routes and `/healthz` on `addr` until `shutdown`: how a worker-only process
/// is scraped.
pub async fn serve(
    addr: SocketAddr,
    pool: PgPool,
    shutdown: CancellationToken,
) -> anyhow::Result<SocketAddr> {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("binding the metrics listener to {addr}"))?;
    let bound = listener.local_addr()?;
    let app = router::<OpsState>().route("/healthz", get(|| async { "ok\n" })).with_state(OpsState { pool });
    tokio::spawn(async move {
        let served = axum::serve(listener, app).with_graceful_shutdown(shutdown.cancelled_owned()).await;
        if let Err(e) = served {
            tracing::error!(error = %e, "metrics listener failed");
        }
    });
    tracing::info!(addr = %bound, "metrics listening");
    Ok(bound)
}

/// An ops answer that could not be computed.
struct OpsError(StatusCode, String);

impl IntoResponse for OpsError {
    fn into_response(self) -> Response {
        (self.0, Json(serde_json::json!({ "code": "OpsUnavailable", "message": self.1 }))).into_response()
    }
}

impl From<sqlx::Error> for OpsError {
    fn from(e: sqlx::Error) -> Self {
        tracing::warn!(error = %e, "ops figures unavailable");
        Self(StatusCode::SERVICE_UNAVAILABLE, "the database did not answer".into())
    }
}

async fn take(pool: &PgPool) -> Result<(figures::Figures, Deployment), OpsError> {
    let deployment = deployment_of(pool).ok_or_else(|| {
        OpsError(StatusCode::SERVICE_UNAVAILABLE, "this process did not register its deployment".into())
    })?;
    Ok((figures::take(pool, &deployment).await?, deployment))
}

async fn prometheus(State(state): State<OpsState>) -> Result<Response, OpsError> {
    let (figures, deployment) = take(&state.pool).await?;
    let mut text = String::new();
    let worker_here = deployment
        .worker_slots
        .map(|slots| (workers::busy_here(&state.pool), i64::try_from(slots).unwrap_or(i64::MAX)));
    exposition::write(&mut text, &figures, worker_here);
    text.push_str(&metrics::render());
    Ok(([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], text).into_response())
}

/// Queue depth, jobs by state, the oldest waiting job, outbox lag, webhooks and workers.
#[utoipa::path(get, path = "/v1/queues", tag = "ops", responses((status = 200, body = figures::Figures)))]
async fn queues(State(state): State<OpsState>) -> Result<Json<figures::Figures>, OpsError> {
    Ok(Json(take(&state.pool).await?.0))
}

/// The last hour, minute by minute: throughput, latency and waiting jobs.
#[utoipa::path(get, path = "/v1/queues/history", tag = "ops", responses((status = 200, body = Vec<history::Minute>)))]
async fn queue_history(State(state): State<OpsState>) -> Result<Json<Vec<history::Minute>>, OpsError> {
    Ok(Json(history::last_hour(&state.pool).await?))
}
