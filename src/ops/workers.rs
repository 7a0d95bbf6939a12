//! The worker registry: each worker process keeps a row in `workers` fresh with its slots and how
//! many are busy, so operators see every worker's heartbeat from any process.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::worker::Busy;

/// One worker process as the registry last heard from it.
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
#[serde(rename_all = "camelCase")]
pub struct WorkerRow {
    pub worker_id: String,
    pub host: String,
    pub pid: i32,
    /// Renders it runs at once (also its prefetch).
    pub slots: i32,
    /// Deliveries it holds now (unacknowledged in the broker).
    pub busy: i32,
    pub started_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    /// Set when it shut down cleanly.
    pub stopped_at: Option<DateTime<Utc>>,
    /// Whether its heartbeat is recent (three intervals) and it did not stop.
    pub alive: bool,
}

/// Workers seen in the last day, live ones first.
pub async fn list(pool: &PgPool) -> sqlx::Result<Vec<WorkerRow>> {
    sqlx::query_as(
        "select worker_id::text as worker_id, host, pid, slots, busy, started_at, last_seen_at, stopped_at,
                (stopped_at is null and last_seen_at > now() - 3 * heartbeat_interval) as alive
         from workers where last_seen_at > now() - interval '1 day'
         order by alive desc, started_at desc limit 200",
    )
    .fetch_all(pool)
    .await
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
        let beat = sqlx::query(
            "insert into workers (worker_id, host, pid, slots, busy, heartbeat_interval)
             values ($1, $2, $3, $4, $5, make_interval(secs => $6))
             on conflict (worker_id) do update set busy = excluded.busy, last_seen_at = now()",
        )
        .bind(worker_id)
        .bind(&host)
        .bind(pid)
        .bind(slots)
        .bind(busy)
        .bind(interval.as_secs_f64())
        .execute(&pool)
        .await;
        if let Err(e) = beat {
            tracing::warn!(error = %e, "worker heartbeat not recorded");
        }
    }
    let stopped = sqlx::query(
        "update workers set stopped_at = now(), busy = 0, last_seen_at = now() where worker_id = $1",
    )
    .bind(worker_id)
    .execute(&pool)
    .await;
    if let Err(e) = stopped {
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
