//! How a copy job ends, whichever way it ends: the job's final state, its asset, its webhook
//! event and its final-state announcement change in one transaction, or nothing changes.
//! The worker ends jobs it ran; the cancel request ends queued ones.

use sqlx::{PgConnection, PgPool};

use crate::{
    db::{
        self,
        assets::ImageFacts,
        jobs::{JobRow, QuietSuccess},
    },
    domain::{JobFailure, JobState},
    metrics::{self, Final},
    webhook::{self, JobEvent},
};

/// The way a job ends.
#[derive(Debug, Clone)]
pub enum Ending<'a> {
    /// The attempt stored the copy described by these facts.
    Succeeded(ImageFacts<'a>),
    /// The attempt failed for good.
    Failed(JobFailure),
    /// A cancel was requested while the attempt ran; it stopped at a stage boundary.
    CancelledWhileRunning,
    /// A cancel was requested before any worker claimed the job.
    CancelledWhileQueued,
}

impl Ending<'_> {
    fn event(&self) -> JobEvent {
        match self {
            Ending::Succeeded(_) => JobEvent::Succeeded,
            Ending::Failed(_) => JobEvent::Failed,
            Ending::CancelledWhileRunning | Ending::CancelledWhileQueued => JobEvent::Cancelled,
        }
    }

    fn final_state(&self) -> Final {
        match self {
            Ending::Succeeded(_) => Final::Succeeded,
            Ending::Failed(_) => Final::Failed,
            Ending::CancelledWhileRunning | Ending::CancelledWhileQueued => Final::Cancelled,
        }
    }
}

/// Ends `job`'s current attempt (or, for [`Ending::CancelledWhileQueued`], the queued job).
/// Returns false when the job had already moved on (another attempt, a rescue, a cancel):
/// nothing changed then.
pub async fn finish(pool: &PgPool, job: &JobRow, ending: Ending<'_>) -> sqlx::Result<bool> {
    let _timer = metrics::db_timer("finalize");
    if let Ending::Succeeded(facts) = &ending {
        let event = webhook::success_event(job, facts);
        match db::jobs::succeed_at_once(pool, job.job_id, job.attempts, facts, &event).await? {
            QuietSuccess::Recorded => {
                count(job, &ending);
                return Ok(true);
            }
            QuietSuccess::Stale => return Ok(false),
            QuietSuccess::Callback => {}
        }
    }
    let mut tx = pool.begin().await?;
    let ended = end(&mut tx, job, &ending).await?;
    tx.commit().await?;
    if ended {
        count(job, &ending);
    }
    Ok(ended)
}

/// What a cancel request did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CancelOutcome {
    /// The job was queued and is now cancelled.
    Cancelled,
    /// The job is running; it stops at its next stage boundary.
    Requested,
    /// The job had already ended in this state.
    AlreadyFinal(JobState),
}

/// Cancels a queued job at once, or asks a running one to stop. The job row stays locked from
/// the look at its state to the commit, so a worker's claim cannot slip in between.
pub async fn cancel(pool: &PgPool, job: &JobRow) -> sqlx::Result<CancelOutcome> {
    let mut tx = pool.begin().await?;
    let state = db::jobs::lock_state(&mut *tx, job.job_id).await?;
    let ending = Ending::CancelledWhileQueued;
    let outcome = match state {
        Some(JobState::Queued) => {
            end(&mut tx, job, &ending).await?;
            CancelOutcome::Cancelled
        }
        Some(JobState::Running) => {
            db::jobs::request_cancel(&mut *tx, job.job_id).await?;
            CancelOutcome::Requested
        }
        Some(final_state) => CancelOutcome::AlreadyFinal(final_state),
        None => CancelOutcome::AlreadyFinal(JobState::Cancelled),
    };
    tx.commit().await?;
    if outcome == CancelOutcome::Cancelled {
        count(job, &ending);
    }
    Ok(outcome)
}

/// The one place a job's end is written; the caller commits.
async fn end(tx: &mut PgConnection, job: &JobRow, ending: &Ending<'_>) -> sqlx::Result<bool> {
    let ended = match ending {
        Ending::Succeeded(_) => db::jobs::succeed(&mut *tx, job.job_id, job.attempts).await?,
        Ending::Failed(failure) => db::jobs::fail(&mut *tx, job.job_id, job.attempts, failure).await?,
        Ending::CancelledWhileRunning => {
            db::jobs::finish_cancelled(&mut *tx, job.job_id, job.attempts).await?
        }
        Ending::CancelledWhileQueued => db::jobs::cancel_queued(tx, job.job_id).await?,
    };
    if !ended {
        return Ok(false);
    }
    match ending {
        Ending::Succeeded(facts) => {
            db::assets::mark_ready(&mut *tx, job.target_asset_id, facts).await?;
        }
        // A failed or cancelled copy releases its reserved name.
        _ => db::assets::mark_failed(&mut *tx, job.target_asset_id).await?,
    }
    webhook::job_finished(tx, job, ending.event()).await?;
    db::jobs::notify_final(&mut *tx, job.job_id).await?;
    Ok(true)
}

/// Counts a committed end; failures with their code.
fn count(job: &JobRow, ending: &Ending<'_>) {
    if let Ending::Failed(failure) = ending {
        tracing::warn!(code = failure.code(), reason = failure.reason(), "job failed");
        metrics::failed(job.company_id, failure.code());
    }
    metrics::finished(job.company_id, ending.final_state(), job.created_at);
}
