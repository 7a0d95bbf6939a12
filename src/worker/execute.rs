//! One attempt of one job: claim, fetch, render (a copy) or check (an import), store,
//! finalize — with a heartbeat that also carries cancel requests, checked at each stage boundary.

use std::time::{Duration, Instant};

use chrono::Utc;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use super::{
    JobContext,
    finalize::{self, Ending},
};
use crate::{
    db::{
        self,
        assets::ImageFacts,
        jobs::{Claimed, JobRow},
    },
    domain::{AssetHandle, JobFailure, JobHandle, JobKind, retry::backoff},
    storage::{StorageError, asset_key},
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

/// Why an attempt stopped before producing a copy.
#[derive(Debug)]
pub(super) enum Stop {
    /// It failed; [`JobFailure::is_transient`] says whether another attempt may help.
    Failed(JobFailure),
    /// A cancel was requested while the job ran.
    Cancelled,
}

impl From<JobFailure> for Stop {
    fn from(failure: JobFailure) -> Self {
        Self::Failed(failure)
    }
}

/// A copy or an imported master written to the store, waiting to be recorded.
pub(super) struct Stored {
    pub key: String,
    pub width: u32,
    pub height: u32,
    pub file_size: u64,
    pub format: &'static str,
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
        asset = %AssetHandle::new(job.company_id, job.target_asset_id),
        attempt = job.attempts,
    );
    async move {
        let started = Instant::now();
        let cancel = CancellationToken::new();
        let heartbeat = tokio::spawn(heartbeat(ctx.clone(), job.job_id, job.attempts, cancel.clone()));
        let result = if job.cancel_requested {
            Err(Stop::Cancelled)
        } else if job.attempts > job.max_attempts {
            Err(JobFailure::retries_exhausted(job.max_attempts).into())
        } else if job.kind == JobKind::Import {
            import(&ctx, &job, &cancel).await
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

/// Stops an attempt whose job was asked to cancel.
pub(super) fn check(cancel: &CancellationToken) -> Result<(), Stop> {
    if cancel.is_cancelled() { Err(Stop::Cancelled) } else { Ok(()) }
}

async fn attempt(
    ctx: &JobContext,
    job: &JobRow,
    source_key: Option<String>,
    cancel: &CancellationToken,
) -> Result<Stored, Stop> {
    let Some(source_key) = source_key else {
        return Err(JobFailure::source_gone().into());
    };
    let modifier = ipscopy_render::parse(&job.url_modifier).map_err(JobFailure::invalid_modifier)?;
    let (key, bytes) = match ctx.sources.get(&ctx.storage, &source_key).await {
        // An upload with `overwrite` replaced the master (and deleted the old one) after the
        // claim read its key: the copy is made from the new one.
        Err(StorageError::NotFound(_)) => {
            let current = match job.source_asset_id {
                Some(asset_id) => db::assets::object_key(&ctx.pool, asset_id).await,
                None => Ok(None),
            };
            match current {
                Ok(Some(current)) if current != source_key => {
                    ctx.sources.get(&ctx.storage, &current).await.map(|bytes| (current, bytes))
                }
                Ok(_) => Err(StorageError::NotFound(source_key)),
                Err(e) => {
                    tracing::warn!(error = %e, "reading the source's current key failed");
                    Err(StorageError::Unavailable(e.to_string()))
                }
            }
        }
        read => read.map(|bytes| (source_key, bytes)),
    }
    .map_err(|e| match e {
        StorageError::NotFound(_) => JobFailure::source_object_missing(),
        StorageError::Unavailable(detail) => {
            tracing::warn!(error = %detail, "reading the source failed");
            JobFailure::storage_read()
        }
    })?;
    check(cancel)?;
    let rendered = super::render::render(ctx, &key, bytes, &modifier, cancel).await?;
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
        JobFailure::storage_write()
    })?;
    check(cancel)?;
    Ok(stored)
}

/// Fetches an import's source into its asset's key.
async fn import(ctx: &JobContext, job: &JobRow, cancel: &CancellationToken) -> Result<Stored, Stop> {
    let source = job.source_url.as_deref().ok_or_else(JobFailure::source_gone)?;
    let key = asset_key(job.company_id, job.target_asset_id);
    let stored = ctx.fetcher.import(source, &key, &ctx.limits).await?;
    if cancel.is_cancelled() {
        // The object was stored for an asset that will not be ready: it goes again.
        if let Err(e) = ctx.storage.delete(&key).await {
            tracing::warn!(error = %e, key, "the object of a cancelled import was not deleted");
        }
        return Err(Stop::Cancelled);
    }
    Ok(stored)
}

/// Commits the attempt's outcome: a transient failure with attempts left is scheduled again;
/// every other outcome ends the job through [`finalize::finish`].
async fn record(ctx: &JobContext, job: &JobRow, result: Result<Stored, Stop>) -> anyhow::Result<Outcome> {
    let failure = match result {
        Ok(stored) => {
            finalize::finish(&ctx.pool, job, Ending::Succeeded(stored.facts())).await?;
            return Ok(Outcome::Succeeded);
        }
        Err(Stop::Cancelled) => {
            tracing::info!("job cancelled while running");
            finalize::finish(&ctx.pool, job, Ending::CancelledWhileRunning).await?;
            return Ok(Outcome::Cancelled);
        }
        Err(Stop::Failed(failure)) => failure,
    };
    if failure.is_transient() && job.attempts < job.max_attempts {
        schedule_retry(ctx, job, &failure).await?;
        return Ok(Outcome::RetryScheduled);
    }
    let failure = if failure.is_transient() { failure.given_up(job.attempts) } else { failure };
    finalize::finish(&ctx.pool, job, Ending::Failed(failure)).await?;
    Ok(Outcome::Failed)
}

/// Puts the job back in the queue with an outbox row due after its backoff.
async fn schedule_retry(ctx: &JobContext, job: &JobRow, failure: &JobFailure) -> sqlx::Result<()> {
    let _timer = crate::metrics::db_timer("finalize");
    let delay = backoff(job.attempts as u32, rand::random()).mul_f64(ctx.timing.retry_delay_scale);
    let at = Utc::now() + delay;
    let mut tx = ctx.pool.begin().await?;
    if db::jobs::schedule_retry(&mut *tx, job.job_id, job.attempts, at, failure).await? {
        db::outbox::insert(&mut *tx, job.job_id, Some(at)).await?;
    }
    tx.commit().await?;
    tracing::warn!(
        code = failure.code(),
        reason = failure.reason(),
        retry_in_ms = delay.as_millis() as u64,
        "attempt failed; retry scheduled"
    );
    crate::metrics::retried(job.company_id, failure.code());
    ctx.relay.wake();
    Ok(())
}

/// The worker's clocks, from its settings.
#[derive(Debug, Clone)]
pub struct Timing {
    pub heartbeat_interval: Duration,
    pub render_timeout: Duration,
    pub retry_delay_scale: f64,
}
