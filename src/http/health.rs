//! `/healthz` (the process answers) and `/readyz` (its dependencies answer).

use axum::{Json, Router, extract::State, http::StatusCode, routing::get};
use serde_json::{Value, json};

use super::AppState;

async fn healthz() -> &'static str {
    "ok\n"
}

async fn readyz(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    let database = sqlx::query("select 1").execute(&state.pool).await.is_ok();
    let storage = state.storage.ping().await.is_ok();
    // The relay only notices a lost broker when it next publishes; the probe notices at once.
    let broker = state.broker.is_up() && crate::ops::broker_reachable(&state.pool).await;
    let ready = database && storage && broker;
    let status = if ready { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    (status, Json(json!({ "ready": ready, "database": database, "storage": storage, "broker": broker })))
}

pub fn router() -> Router<AppState> {
    Router::new().route("/healthz", get(healthz)).route("/readyz", get(readyz))
}
