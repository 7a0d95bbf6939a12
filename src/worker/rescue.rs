//! Rescues jobs whose worker vanished (crash, kill -9, lost machine): a running job without a
//! heartbeat past the threshold goes back to the queue with a fresh outbox row. Also re-publishes
//! queued jobs whose message never reached a worker.

use std::time::Duration;

use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

use crate::{db, queue::Relay};

/// Looks for stale running jobs, and for published jobs no worker claimed within
/// `republish_after`, until `shutdown`.
pub async fn rescue_stale_jobs(
    pool: PgPool,
    relay: Relay,
    stale_after: Duration,
    republish_after: Duration,
    shutdown: CancellationToken,
) {
    let period =
        (stale_after.min(republish_after) / 4).clamp(Duration::from_millis(100), Duration::from_secs(15));
    loop {
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = tokio::time::sleep(period) => {}
        }
        match db::jobs::rescue_stale(&pool, stale_after.as_millis() as i64).await {
            Ok(0) => {}
            Ok(rescued) => {
                tracing::warn!(rescued, "re-queued running jobs whose worker stopped sending heartbeats");
                relay.wake();
            }
            Err(e) => tracing::warn!(error = %e, "stale-job rescue failed; will try again"),
        }
        match db::jobs::republish_unclaimed(&pool, republish_after.as_millis() as i64).await {
            Ok(0) => {}
            Ok(republished) => {
                tracing::warn!(republished, "re-publishing queued jobs whose message no worker received");
                relay.wake();
            }
            Err(e) => tracing::warn!(error = %e, "re-publishing unclaimed jobs failed; will try again"),
        }
    }
}
