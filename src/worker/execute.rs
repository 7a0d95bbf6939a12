//! One attempt of one copy job: claim, fetch, render, store, finalize — with a heartbeat that
//! also carries cancel requests, checked at each stage boundary.

use std::time::{Duration, Instant};

use chrono::Utc;
use sqlx::PgConnection;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use super::JobContext;
use crate::{
    db::{
        self,
        assets::ImageFacts,
        jobs::{Claimed, JobRow, QuietSuccess},
    },
    domain::{AssetHandle, JobHandle, retry::backoff},
    metrics::Final,
    storage::{StorageError, asset_key},
    webhook::{self, JobEvent},
};

/// How a delivered job message ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Succeeded,
    Failed,
    Cancelled,
    RetryScheduled,
    /// The job was finished, running elsewhere or not due: the message was stale.
    Skipped,
    /// No such job: the message is poison and goes to the dead-letter queue.
    Unknown,
}

impl Outcome {
    /// The final state the job reached, if this attempt ended it.
    fn final_state(self) -> Option<Final> {
        match self {
            Self::Succeeded => Some(Final::Succeeded),
            Self::Failed => Some(Final::Failed),
            Self::Cancelled => Some(Final::Cancelled),
            Self::RetryScheduled | Self::Skipped | Self::Unknown => None,
        }
    }
}

/// Why an attempt did not produce a copy.
#[derive(Debug)]
enum JobError {
    /// Retrying cannot help: fail the job now.
    Abort { code: &'static str, reason: String },
    /// A dependency is unavailable: try again later.
    Retry { code: &'static str, reason: String },
    /// A cancel was requested while the job ran.
    Cancelled,
}

/// A copy written to the store, waiting to be recorded.
struct Stored {
    key: String,
    width: u32,
    height: u32,
    file_size: u64,
    format: &'static str,
}

impl Stored {
    fn facts(&self) -> ImageFacts<'_> {
        ImageFacts {
            object_key: &self.key,
            width: self.width,
            height: self.height,
            file_size: self.file_size,
            format: self.format,
        }
    }
}

/// Runs one attempt of `job_id`. An `Err` means the outcome could not be recorded (the
/// database is unreachable); the message is then redelivered.
pub async fn run(ctx: JobContext, job_id: i64) -> anyhow::Result<Outcome> {
    let Some(Claimed { job, source_key }) = db::jobs::claim(&ctx.pool, job_id).await? else {
        if db::jobs::find(&ctx.pool, job_id).await?.is_none() {
            return Ok(Outcome::Unknown);
        }
        tracing::debug!(job_id, "job not claimable; message dropped");
        return Ok(Outcome::Skipped);
    };
    let span = tracing::info_span!(
        "job",
        company = %crate::domain::CompanyHandle(job.company_id),
        job = %JobHandle { company_id: job.company_id, job_id },
        asset = %AssetHandle(job.target_asset_id),
        attempt = job.attempts,
    );
    async move {
        let started = Instant::now();
        let cancel = CancellationToken::new();
        let heartbeat = tokio::spawn(heartbeat(ctx.clone(), job.job_id, job.attempts, cancel.clone()));
        let result = if job.cancel_requested {
            Err(JobError::Cancelled)
        } else if job.attempts > job.max_attempts {
            Err(JobError::Abort {
                code: "RetriesExhausted",
                reason: format!("gave up after {} attempts", job.max_attempts),
            })
        } else {
            attempt(&ctx, &job, source_key, &cancel).await
        };
        heartbeat.abort();
        let outcome = record(&ctx, &job, result).await?;
        tracing::info!(outcome = ?outcome, elapsed_ms = started.elapsed().as_millis() as u64, "job attempt ended");
        Ok(outcome)
    }
    .instrument(span)
    .await
}

/// Keeps the job's heartbeat fresh and fires `cancel` when a cancel is requested.
async fn heartbeat(ctx: JobContext, job_id: i64, attempt: i32, cancel: CancellationToken) {
    let mut tick = tokio::time::interval(ctx.timing.heartbeat_interval);
    tick.tick().await;
    loop {
        tick.tick().await;
        match db::jobs::heartbeat(&ctx.pool, job_id, attempt).await {
            Ok(Some(true)) => cancel.cancel(),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "heartbeat not recorded"),
        }
    }
}

fn check(cancel: &CancellationToken) -> Result<(), JobError> {
    if cancel.is_cancelled() { Err(JobError::Cancelled) } else { Ok(()) }
}

async fn attempt(
    ctx: &JobContext,
    job: &JobRow,
    source_key: Option<String>,
    cancel: &CancellationToken,
) -> Result<Stored, JobError> {
    let Some(source_key) = source_key else {
        return Err(JobError::Abort {
            code: "SourceMissing",
            reason: "the source asset no longer exists".into(),
        });
    };
    let modifier = ipscopy_render::parse(&job.url_modifier)
        .map_err(|e| JobError::Abort { code: "InvalidModifier", reason: format!("urlModifier {e}") })?;
    let bytes = ctx.storage.get(&source_key).await.map_err(|e| match e {
        StorageError::NotFound(_) => JobError::Abort {
            code: "SourceMissing",
            reason: "the source image is missing from storage".into(),
        },
        StorageError::Unavailable(detail) => {
            tracing::warn!(error = %detail, "reading the source failed");
            JobError::Retry {
                code: "StorageUnavailable",
                reason: "the object store could not be read".into(),
            }
        }
    })?;
    check(cancel)?;
    let limits = ctx.limits.clone();
    // The permit moves into the render thread: a render abandoned at its time limit keeps its
    // slot until it really ends, so memory stays bounded by render threads × per-render budget.
    let permit = ctx.render_permits.clone().acquire_owned().await.map_err(|_| JobError::Retry {
        code: "WorkerStopping",
        reason: "the worker is shutting down".into(),
    })?;
    check(cancel)?;
    let render_started = Instant::now();
    let render = tokio::task::spawn_blocking(move || {
        let _permit = permit;
        ipscopy_render::render(&bytes, &modifier, &limits)
    });
    // A render past its time limit is abandoned: its thread finishes on its own, its result is dropped.
    let rendered = tokio::time::timeout(ctx.timing.render_timeout, render)
        .await
        .map_err(|_| JobError::Abort {
            code: "RenderTimeout",
            reason: format!("the render took longer than {} s", ctx.timing.render_timeout.as_secs_f64()),
        })?
        .map_err(|e| JobError::Abort {
            code: "RenderCrashed",
            reason: format!("the render engine failed: {e}"),
        })?
        .map_err(|e| JobError::Abort { code: e.code(), reason: e.to_string() })?;
    crate::metrics::rendered(render_started.elapsed());
    check(cancel)?;
    let stored = Stored {
        key: asset_key(job.company_id, job.target_asset_id),
        width: rendered.width,
        height: rendered.height,
        file_size: rendered.bytes.len() as u64,
        format: rendered.format.as_str(),
    };
    ctx.storage.put(&stored.key, rendered.bytes, rendered.format.mime()).await.map_err(|e| {
        tracing::warn!(error = %e, "storing the copy failed");
        JobError::Retry { code: "StorageUnavailable", reason: "the object store could not be written".into() }
    })?;
    check(cancel)?;
    Ok(stored)
}

/// Commits the attempt's outcome: asset, job and webhook event change together or not at all.
async fn record(ctx: &JobContext, job: &JobRow, result: Result<Stored, JobError>) -> anyhow::Result<Outcome> {
    let _timer = crate::metrics::db_timer("finalize");
    if let Ok(stored) = &result {
        let quiet =
            db::jobs::succeed_unobserved(&ctx.pool, job.job_id, job.attempts, &stored.facts()).await?;
        if quiet != QuietSuccess::Observed {
            crate::metrics::finished(job.company_id, Final::Succeeded, job.created_at);
            return Ok(Outcome::Succeeded);
        }
    }
    let mut tx = ctx.pool.begin().await?;
    let outcome = match result {
        Ok(stored) => {
            if db::jobs::succeed(&mut *tx, job.job_id, job.attempts).await? {
                db::assets::mark_ready(&mut *tx, job.target_asset_id, &stored.facts()).await?;
                webhook::job_finished(&mut tx, job, JobEvent::Succeeded).await?;
            }
            Outcome::Succeeded
        }
        Err(JobError::Cancelled) => {
            if db::jobs::finish_cancelled(&mut *tx, job.job_id, job.attempts).await? {
                db::assets::mark_failed(&mut *tx, job.target_asset_id).await?;
                webhook::job_finished(&mut tx, job, JobEvent::Cancelled).await?;
            }
            tracing::info!("job cancelled while running");
            Outcome::Cancelled
        }
        Err(JobError::Retry { code, reason }) if job.attempts < job.max_attempts => {
            let delay = backoff(job.attempts as u32, rand::random()).mul_f64(ctx.timing.retry_delay_scale);
            let at = Utc::now() + delay;
            if db::jobs::schedule_retry(&mut *tx, job.job_id, job.attempts, at, code, &reason).await? {
                db::outbox::insert(&mut *tx, job.job_id, Some(at)).await?;
            }
            tracing::warn!(
                code,
                reason,
                retry_in_ms = delay.as_millis() as u64,
                "attempt failed; retry scheduled"
            );
            crate::metrics::retried(job.company_id, code);
            Outcome::RetryScheduled
        }
        Err(JobError::Retry { code, reason }) => {
            let reason = format!("{reason} (gave up after {} attempts)", job.attempts);
            fail(&mut tx, job, code, &reason).await?;
            crate::metrics::failed(job.company_id, code);
            Outcome::Failed
        }
        Err(JobError::Abort { code, reason }) => {
            fail(&mut tx, job, code, &reason).await?;
            crate::metrics::failed(job.company_id, code);
            Outcome::Failed
        }
    };
    let final_state = outcome.final_state();
    if final_state.is_some() {
        db::jobs::notify_final(&mut *tx, job.job_id).await?;
    }
    tx.commit().await?;
    if let Some(final_state) = final_state {
        crate::metrics::finished(job.company_id, final_state, job.created_at);
    }
    if outcome == Outcome::RetryScheduled {
        ctx.relay.wake();
    }
    Ok(outcome)
}

async fn fail(tx: &mut PgConnection, job: &JobRow, code: &str, reason: &str) -> sqlx::Result<()> {
    tracing::warn!(code, reason, "job failed");
    if db::jobs::fail(&mut *tx, job.job_id, job.attempts, code, reason).await? {
        db::assets::mark_failed(&mut *tx, job.target_asset_id).await?;
        webhook::job_finished(tx, job, JobEvent::Failed).await?;
    }
    Ok(())
}

/// The worker's clocks, from its settings.
#[derive(Debug, Clone)]
pub struct Timing {
    pub heartbeat_interval: Duration,
    pub render_timeout: Duration,
    pub retry_delay_scale: f64,
}
