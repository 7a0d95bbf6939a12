//! One attempt of one copy job: claim, fetch, render, store, finalize.

use chrono::Utc;
use tracing::Instrument;

use super::JobContext;
use crate::{
    db::{self, assets::ImageFacts, jobs::JobRow},
    domain::{AssetHandle, JobHandle, retry::backoff},
    storage::{StorageError, asset_key},
};

/// How a delivered job message ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Succeeded,
    Failed,
    RetryScheduled,
    /// The job was finished, running elsewhere or not due: the message was stale.
    Skipped,
}

/// Why an attempt did not produce a copy.
#[derive(Debug)]
enum JobError {
    /// Retrying cannot help: fail the job now.
    Abort { code: &'static str, reason: String },
    /// A dependency is unavailable: try again later.
    Retry { code: &'static str, reason: String },
}

/// Runs one attempt of `job_id`. An `Err` means the outcome could not be recorded (the
/// database is unreachable); the message is then redelivered.
pub async fn run(ctx: JobContext, job_id: i64) -> anyhow::Result<Outcome> {
    let Some(job) = db::jobs::claim(&ctx.pool, job_id).await? else {
        tracing::debug!(job_id, "job not claimable; message dropped");
        return Ok(Outcome::Skipped);
    };
    let span = tracing::info_span!(
        "job",
        job = %JobHandle { company_id: job.company_id, job_id },
        asset = %AssetHandle(job.target_asset_id),
        attempt = job.attempts,
    );
    async move {
        let started = std::time::Instant::now();
        let result = attempt(&ctx, &job).await;
        let outcome = record(&ctx, &job, result).await?;
        tracing::info!(outcome = ?outcome, elapsed_ms = started.elapsed().as_millis() as u64, "job attempt ended");
        Ok(outcome)
    }
    .instrument(span)
    .await
}

/// A copy written to the store, waiting to be recorded.
struct Stored {
    key: String,
    width: u32,
    height: u32,
    file_size: u64,
    format: &'static str,
}

async fn attempt(ctx: &JobContext, job: &JobRow) -> Result<Stored, JobError> {
    let source = db::assets::find(&ctx.pool, job.source_asset_id).await.map_err(database)?;
    let source_key = match source {
        Some(a) if a.state == "ready" && a.company_id == job.company_id => a.object_key,
        _ => None,
    };
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
    let limits = ctx.limits.clone();
    let rendered = tokio::task::spawn_blocking(move || ipscopy_render::render(&bytes, &modifier, &limits))
        .await
        .map_err(|e| JobError::Abort {
            code: "RenderCrashed",
            reason: format!("the render engine failed: {e}"),
        })?
        .map_err(|e| JobError::Abort { code: e.code(), reason: e.to_string() })?;
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
    Ok(stored)
}

fn database(e: sqlx::Error) -> JobError {
    tracing::warn!(error = %e, "database read failed");
    JobError::Retry { code: "DatabaseUnavailable", reason: "the database could not be read".into() }
}

/// Commits the attempt's outcome: asset and job change together or not at all.
async fn record(ctx: &JobContext, job: &JobRow, result: Result<Stored, JobError>) -> anyhow::Result<Outcome> {
    let mut tx = ctx.pool.begin().await?;
    let outcome = match result {
        Ok(stored) => {
            let facts = ImageFacts {
                object_key: &stored.key,
                width: stored.width,
                height: stored.height,
                file_size: stored.file_size,
                format: stored.format,
            };
            if db::jobs::succeed(&mut *tx, job.job_id, job.attempts).await? {
                db::assets::mark_ready(&mut *tx, job.target_asset_id, &facts).await?;
            }
            Outcome::Succeeded
        }
        Err(JobError::Retry { code, reason }) if job.attempts < job.max_attempts => {
            let delay = backoff(job.attempts as u32, rand::random());
            let at = Utc::now() + delay;
            if db::jobs::schedule_retry(&mut *tx, job.job_id, job.attempts, at, code, &reason).await? {
                db::outbox::insert(&mut *tx, job.job_id, Some(at)).await?;
            }
            tracing::warn!(code, reason, retry_in_s = delay.as_secs(), "attempt failed; retry scheduled");
            Outcome::RetryScheduled
        }
        Err(JobError::Retry { code, reason }) => {
            let reason = format!("{reason} (gave up after {} attempts)", job.attempts);
            fail(&mut tx, job, code, &reason).await?;
            Outcome::Failed
        }
        Err(JobError::Abort { code, reason }) => {
            fail(&mut tx, job, code, &reason).await?;
            Outcome::Failed
        }
    };
    tx.commit().await?;
    if outcome == Outcome::RetryScheduled {
        ctx.relay.wake();
    }
    Ok(outcome)
}

async fn fail(tx: &mut sqlx::PgConnection, job: &JobRow, code: &str, reason: &str) -> sqlx::Result<()> {
    tracing::warn!(code, reason, "job failed");
    if db::jobs::fail(&mut *tx, job.job_id, job.attempts, code, reason).await? {
        db::assets::mark_failed(&mut *tx, job.target_asset_id).await?;
    }
    Ok(())
}
