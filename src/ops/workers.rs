//! The worker registry: each worker process keeps a row in `workers` fresh with its slots and how
//! many are busy, so operators see every worker's heartbeat from any process.

use std::time::Duration;

use sqlx::PgPool;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

pub use crate::db::workers::WorkerRow;
use crate::{
    db::{self, workers::Beat},
    worker::Busy,
};

/// Workers seen in the last day, live ones first.
pub async fn list(pool: &PgPool) -> sqlx::Result<Vec<WorkerRow>> {
    db::workers::list(pool).await
}

/// Registers this process's worker and refreshes its row every `interval` until `shutdown`,
/// then marks it stopped.
pub async fn heartbeat(
    pool: PgPool,
    slots: usize,
    busy: Busy,
    interval: Duration,
    shutdown: CancellationToken,
) {
    let worker_id = Uuid::new_v4();
    let host = hostname();
    let pid = std::process::id() as i32;
    let slots = i32::try_from(slots).unwrap_or(i32::MAX);
    let mut tick = tokio::time::interval(interval);
    loop {
        tokio::select! {
            () = shutdown.cancelled() => break,
            _ = tick.tick() => {}
        }
        let busy = i32::try_from(busy.now()).unwrap_or(i32::MAX);
        let beat = Beat { worker_id, host: &host, pid, slots, busy, interval_secs: interval.as_secs_f64() };
        if let Err(e) = db::workers::beat(&pool, &beat).await {
            tracing::warn!(error = %e, "worker heartbeat not recorded");
        }
    }
    if let Err(e) = db::workers::stopped(&pool, worker_id).await {
        tracing::warn!(error = %e, "worker stop not recorded");
    }
}

fn hostname() -> String {
    std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "unknown".into())
}
