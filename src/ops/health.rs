//! `/healthz` (the process answers) and `/readyz` (its dependencies answer), on every listener.

use axum::{
    Json, Router,
    extract::{FromRef, State},
    http::StatusCode,
    routing::get,
};
use serde_json::{Value, json};

use super::OpsState;

async fn healthz() -> &'static str {
    "ok\n"
}

async fn readyz(State(state): State<OpsState>) -> (StatusCode, Json<Value>) {
    let database = crate::db::ping(&state.pool).await;
    let storage = state.storage.ping().await.is_ok();
    // The relay only notices a lost broker when it next publishes; the probe notices at once,
    // and says yes while any node of the cluster answers.
    let broker = state.broker.is_up() && state.broker_reachable().await;
    let ready = database && storage && broker;
    let status = if ready { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    (status, Json(json!({ "ready": ready, "database": database, "storage": storage, "broker": broker })))
}

/// The health routes, for any router whose state provides an [`OpsState`].
pub fn health_router<S>() -> Router<S>
where
    S: Clone + Send + Sync + 'static,
    OpsState: FromRef<S>,
{
    Router::new().route("/healthz", get(healthz)).route("/readyz", get(readyz))
}
