//! The worker registry: one row per worker process, kept fresh by its heartbeat.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::PgExecutor;
use utoipa::ToSchema;
use uuid::Uuid;

/// One worker process as the registry last heard from it.
#[derive(Debug, Clone, Serialize, ToSchema)]
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
pub async fn list(db: impl PgExecutor<'_>) -> sqlx::Result<Vec<WorkerRow>> {
    sqlx::query_as!(
        WorkerRow,
        r#"select worker_id::text as "worker_id!", host, pid, slots, busy, started_at, last_seen_at, stopped_at,
                  (stopped_at is null and last_seen_at > now() - 3 * heartbeat_interval) as "alive!"
           from workers where last_seen_at > now() - interval '1 day'
           order by "alive!" desc, started_at desc limit 200"#
    )
    .fetch_all(db)
    .await
}

/// One worker's heartbeat, as it registers or refreshes its row.
#[derive(Debug, Clone, Copy)]
pub struct Beat<'a> {
    pub worker_id: Uuid,
    pub host: &'a str,
    pub pid: i32,
    pub slots: i32,
    pub busy: i32,
    pub interval_secs: f64,
}

/// Registers the worker, or refreshes its row with how busy it is.
pub async fn beat(db: impl PgExecutor<'_>, beat: &Beat<'_>) -> sqlx::Result<()> {
    sqlx::query!(
        "insert into workers (worker_id, host, pid, slots, busy, heartbeat_interval)
         values ($1, $2, $3, $4, $5, make_interval(secs => $6))
         on conflict (worker_id) do update set busy = excluded.busy, last_seen_at = now()",
        beat.worker_id,
        beat.host,
        beat.pid,
        beat.slots,
        beat.busy,
        beat.interval_secs
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Marks a worker stopped, holding nothing.
pub async fn stopped(db: impl PgExecutor<'_>, worker_id: Uuid) -> sqlx::Result<()> {
    sqlx::query!(
        "update workers set stopped_at = now(), busy = 0, last_seen_at = now() where worker_id = $1",
        worker_id
    )
    .execute(db)
    .await?;
    Ok(())
}
