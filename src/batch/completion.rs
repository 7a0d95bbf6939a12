//! Batch completion: a background pass in every process marks batches whose jobs have all ended
//! as completed and writes their `batch.completed` (or, for an import, `import.completed`)
//! event, exactly once per batch.
//!
//! It runs apart from the jobs' finalize transactions on purpose: doing it there locked the
//! batch row and counted the batch's jobs once per job, which serialised a batch's finalizes.

use std::time::Duration;

use sqlx::PgPool;
use tokio::sync::broadcast::{self, error::TryRecvError};
use tokio_util::sync::CancellationToken;

use crate::{
    db::{self, batches::Completed},
    domain::{BatchHandle, CompanyHandle, JobKind},
};

/// A burst of job completions is coalesced into one pass after this pause.
const SETTLE: Duration = Duration::from_millis(100);
/// A pass runs at least this often, for notifications lost while a listener reconnected.
const BACKSTOP: Duration = Duration::from_secs(5);
/// Batches completed per transaction.
const PER_PASS: i64 = 100;

/// Completes finished batches whenever jobs reach a final state, until `shutdown`.
pub async fn run_completer(pool: PgPool, finals: broadcast::Sender<i64>, shutdown: CancellationToken) {
    let mut events = finals.subscribe();
    let mut backstop = tokio::time::interval(BACKSTOP);
    loop {
        tokio::select! {
            () = shutdown.cancelled() => return,
            _ = backstop.tick() => {}
            _ = events.recv() => {
                tokio::time::sleep(SETTLE).await;
                while !matches!(events.try_recv(), Err(TryRecvError::Empty | TryRecvError::Closed)) {}
            }
        }
        if let Err(e) = complete_finished(&pool).await {
            tracing::warn!(error = %e, "batch completion pass failed; will try again");
        }
    }
}

async fn complete_finished(pool: &PgPool) -> sqlx::Result<()> {
    loop {
        let mut tx = pool.begin().await?;
        let done = db::batches::complete_finished(&mut tx, PER_PASS).await?;
        for batch in &done {
            announce(&mut tx, batch).await?;
        }
        tx.commit().await?;
        if (done.len() as i64) < PER_PASS {
            return Ok(());
        }
    }
}

async fn announce(tx: &mut sqlx::PgConnection, done: &Completed) -> sqlx::Result<()> {
    let handle = BatchHandle { company_id: done.company_id, batch_id: done.batch_id };
    let (event_type, handle_field) = match done.kind {
        JobKind::Copy => ("batch.completed", "batchHandle"),
        JobKind::Import => ("import.completed", "importHandle"),
    };
    tracing::info!(batch = %handle, kind = %done.kind, succeeded = done.succeeded, failed = done.failed, "batch completed");
    let payload = || {
        crate::webhook::events::envelope(
            event_type,
            chrono::Utc::now(),
            serde_json::json!({
                handle_field: handle.to_string(),
                "companyHandle": CompanyHandle(done.company_id).to_string(),
                "acceptedCount": done.accepted,
                "rejectedCount": done.rejected,
                "counts": { "succeeded": done.succeeded, "failed": done.failed, "cancelled": done.cancelled },
            }),
        )
    };
    crate::webhook::emit(tx, done.company_id, event_type, payload, done.callback_url.as_deref(), None).await
}
