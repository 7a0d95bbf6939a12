//! Copy and import jobs: reading them, claiming and ending attempts, rescue and republishing, and the
//! final-state announcements.

mod success;

use chrono::{DateTime, Utc};
use sqlx::PgExecutor;
pub use success::{QuietSuccess, SuccessEvent, succeed_at_once};

use crate::domain::{JobFailure, JobKind, JobState};

/// A job as stored.
#[derive(Debug, Clone)]
pub struct JobRow {
    pub job_id: i64,
    pub company_id: i64,
    pub kind: JobKind,
    pub state: JobState,
    /// What a copy renders; `None` for an import.
    pub source_asset_id: Option<i64>,
    /// What an import fetches; `None` for a copy.
    pub source_url: Option<String>,
    /// The batch (or import) the job belongs to.
    pub batch_id: Option<i64>,
    pub target_asset_id: i64,
    pub url_modifier: String,
    pub attempts: i32,
    pub max_attempts: i32,
    pub error_code: Option<String>,
    pub error_reason: Option<String>,
    pub attempt_errors: serde_json::Value,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
    pub cancel_requested: bool,
}

impl JobRow {
    /// The job's last recorded failure: why it failed, or why its last attempt did.
    pub fn failure(&self) -> Option<JobFailure> {
        Some(JobFailure::recorded(self.error_code.as_deref()?, self.error_reason.clone()?))
    }
}

pub async fn find(db: impl PgExecutor<'_>, job_id: i64) -> sqlx::Result<Option<JobRow>> {
    sqlx::query_as!(
        JobRow,
        r#"select job_id, company_id, kind as "kind: JobKind", state as "state: JobState", source_asset_id,
                  source_url, batch_id, target_asset_id,
                  url_modifier, attempts, max_attempts, error_code, error_reason, attempt_errors,
                  next_attempt_at, created_at, started_at, finished_at, updated_at, cancel_requested
           from jobs where job_id = $1"#,
        job_id
    )
    .fetch_optional(db)
    .await
}

/// A job taken for one attempt, with what the attempt reads first.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub job: JobRow,
    /// The source image's object key; `None` unless the source is a ready asset of the job's
    /// company.
    pub source_key: Option<String>,
}

/// Takes a queued job for one attempt. `None` means the job is finished, running elsewhere or
/// not due yet: the message that asked for it is stale and can be dropped. The source lookup
/// rides in the same statement: one round trip fewer per job.
pub async fn claim(db: impl PgExecutor<'_>, job_id: i64) -> sqlx::Result<Option<Claimed>> {
    let row = sqlx::query!(
        r#"update jobs j set state = 'running', attempts = attempts + 1,
                  started_at = coalesce(started_at, now()), heartbeat_at = now(), next_attempt_at = null,
                  updated_at = now()
           where job_id = $1 and state = 'queued' and (next_attempt_at is null or next_attempt_at <= now())
           returning job_id, company_id, kind as "kind: JobKind", state as "state: JobState", source_asset_id,
                     source_url, batch_id, target_asset_id,
                     url_modifier, attempts, max_attempts, error_code, error_reason, attempt_errors,
                     next_attempt_at, created_at, started_at, finished_at, updated_at, cancel_requested,
                     (select a.object_key from assets a
                      where a.asset_id = j.source_asset_id and a.company_id = j.company_id
                        and a.state = 'ready') as source_key"#,
        job_id
    )
    .fetch_optional(db)
    .await?;
    Ok(row.map(|r| Claimed {
        job: JobRow {
            job_id: r.job_id,
            company_id: r.company_id,
            kind: r.kind,
            state: r.state,
            source_asset_id: r.source_asset_id,
            source_url: r.source_url,
            batch_id: r.batch_id,
            target_asset_id: r.target_asset_id,
            url_modifier: r.url_modifier,
            attempts: r.attempts,
            max_attempts: r.max_attempts,
            error_code: r.error_code,
            error_reason: r.error_reason,
            attempt_errors: r.attempt_errors,
            next_attempt_at: r.next_attempt_at,
            created_at: r.created_at,
            started_at: r.started_at,
            finished_at: r.finished_at,
            updated_at: r.updated_at,
            cancel_requested: r.cancel_requested,
        },
        source_key: r.source_key,
    }))
}

/// A finished job's state and outcome, as its `copy.*` event reports them.
#[derive(Debug, Clone)]
pub struct JobFacts {
    pub state: JobState,
    pub error_code: Option<String>,
    pub error_reason: Option<String>,
    pub callback_url: Option<String>,
    pub width: Option<i32>,
    pub height: Option<i32>,
    pub file_size: Option<i64>,
    pub format: Option<String>,
}

/// The facts of a job and its copy; read in the finalizing transaction, they are the ones it wrote.
pub async fn facts(db: impl PgExecutor<'_>, job_id: i64) -> sqlx::Result<JobFacts> {
    sqlx::query_as!(
        JobFacts,
        r#"select j.state as "state: JobState", j.error_code, j.error_reason, j.callback_url,
                  a.width, a.height, a.file_size, a.format
           from jobs j join assets a on a.asset_id = j.target_asset_id where j.job_id = $1"#,
        job_id
    )
    .fetch_one(db)
    .await
}

/// Ends the running attempt `attempt` as succeeded; false if the job was no longer in it.
pub async fn succeed(db: impl PgExecutor<'_>, job_id: i64, attempt: i32) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        "update jobs set state = 'succeeded', finished_at = now(), updated_at = now(),
                error_code = null, error_reason = null
         where job_id = $1 and state = 'running' and attempts = $2",
        job_id,
        attempt
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Ends the running attempt as failed for good; false if the job was no longer in it.
pub async fn fail(
    db: impl PgExecutor<'_>,
    job_id: i64,
    attempt: i32,
    failure: &JobFailure,
) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        "update jobs set state = 'failed', finished_at = now(), updated_at = now(),
                error_code = $3, error_reason = $4,
                attempt_errors = attempt_errors || jsonb_build_array(jsonb_build_object(
                    'attempt', $2::int4, 'code', $3::text, 'reason', $4::text, 'at', now()))
         where job_id = $1 and state = 'running' and attempts = $2",
        job_id,
        attempt,
        failure.code(),
        failure.reason()
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Puts the running attempt back in the queue, due at `at`, keeping its error.
pub async fn schedule_retry(
    db: impl PgExecutor<'_>,
    job_id: i64,
    attempt: i32,
    at: DateTime<Utc>,
    failure: &JobFailure,
) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        "update jobs set state = 'queued', next_attempt_at = $3, updated_at = now(), published_at = null,
                error_code = $4, error_reason = $5,
                attempt_errors = attempt_errors || jsonb_build_array(jsonb_build_object(
                    'attempt', $2::int4, 'code', $4::text, 'reason', $5::text, 'at', now()))
         where job_id = $1 and state = 'running' and attempts = $2",
        job_id,
        attempt,
        at,
        failure.code(),
        failure.reason()
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Records that the running attempt is alive; returns whether a cancel was requested, or
/// `None` if the job is no longer in that attempt.
pub async fn heartbeat(db: impl PgExecutor<'_>, job_id: i64, attempt: i32) -> sqlx::Result<Option<bool>> {
    sqlx::query_scalar!(
        "update jobs set heartbeat_at = now() where job_id = $1 and state = 'running' and attempts = $2
         returning cancel_requested",
        job_id,
        attempt
    )
    .fetch_optional(db)
    .await
}

/// Locks a job's row for the caller's transaction and returns its state, so no worker's
/// claim slips between a check of the state and a change made on it.
pub async fn lock_state(db: impl PgExecutor<'_>, job_id: i64) -> sqlx::Result<Option<JobState>> {
    sqlx::query_scalar!(r#"select state as "state: JobState" from jobs where job_id = $1 for update"#, job_id)
        .fetch_optional(db)
        .await
}

/// Asks a running job to stop at its next stage boundary; the heartbeat carries the request.
pub async fn request_cancel(db: impl PgExecutor<'_>, job_id: i64) -> sqlx::Result<()> {
    sqlx::query!("update jobs set cancel_requested = true, updated_at = now() where job_id = $1", job_id)
        .execute(db)
        .await?;
    Ok(())
}

/// Ends a queued job as cancelled and drops its outbox rows, so the relay never publishes it;
/// false if it was not queued.
pub async fn cancel_queued(db: &mut sqlx::PgConnection, job_id: i64) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        "update jobs set state = 'cancelled', finished_at = now(), updated_at = now(), next_attempt_at = null
         where job_id = $1 and state = 'queued'",
        job_id
    )
    .execute(&mut *db)
    .await?;
    if done.rows_affected() != 1 {
        return Ok(false);
    }
    sqlx::query!("delete from outbox where job_id = $1", job_id).execute(db).await?;
    Ok(true)
}

/// Ends the running attempt as cancelled; false if the job was no longer in it.
pub async fn finish_cancelled(db: impl PgExecutor<'_>, job_id: i64, attempt: i32) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        "update jobs set state = 'cancelled', finished_at = now(), updated_at = now()
         where job_id = $1 and state = 'running' and attempts = $2",
        job_id,
        attempt
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Puts running jobs whose worker stopped sending heartbeats for `stale_ms` back in the queue,
/// with an outbox row each; returns how many were rescued.
pub async fn rescue_stale(db: impl PgExecutor<'_>, stale_ms: i64) -> sqlx::Result<u64> {
    let lost = JobFailure::worker_lost();
    let rescued = sqlx::query!(
        "with rescued as (
             update jobs set state = 'queued', next_attempt_at = null, updated_at = now(), published_at = null,
                    attempt_errors = attempt_errors || jsonb_build_array(jsonb_build_object(
                        'attempt', attempts, 'code', $2::text, 'reason', $3::text, 'at', now()))
             where state = 'running' and heartbeat_at < now() - make_interval(secs => $1::float8 / 1000.0)
             returning job_id)
         insert into outbox (job_id) select job_id from rescued",
        stale_ms as f64,
        lost.code(),
        lost.reason()
    )
    .execute(db)
    .await?;
    Ok(rescued.rows_affected())
}

/// Gives queued jobs a fresh outbox row when they were published more than `after_ms` ago and
/// no worker has claimed them since: their message is gone (lost by the broker, or dead-lettered
/// after redeliveries that could not reach the database). Returns how many. If the message was
/// only slow, the copy it gets is dropped by the conditional claim.
pub async fn republish_unclaimed(db: impl PgExecutor<'_>, after_ms: i64) -> sqlx::Result<u64> {
    let republished = sqlx::query!(
        "with unclaimed as (
             update jobs set published_at = null, updated_at = now()
             where state = 'queued' and published_at < now() - make_interval(secs => $1::float8 / 1000.0)
             returning job_id)
         insert into outbox (job_id) select job_id from unclaimed",
        after_ms as f64
    )
    .execute(db)
    .await?;
    Ok(republished.rows_affected())
}

/// The channel on which a job id is announced when the job reaches a final state.
pub const FINAL_CHANNEL: &str = "ipscopy_job_final";

/// Announces, on commit of the caller's transaction, that a job reached a final state.
pub async fn notify_final(db: impl PgExecutor<'_>, job_id: i64) -> sqlx::Result<()> {
    sqlx::query!("select pg_notify($1, $2)", FINAL_CHANNEL, job_id.to_string()).execute(db).await?;
    Ok(())
}

/// Forwards final-state announcements to `sender` until `shutdown`, reconnecting as needed.
pub async fn forward_finals(
    pool: sqlx::PgPool,
    sender: tokio::sync::broadcast::Sender<i64>,
    shutdown: tokio_util::sync::CancellationToken,
) {
    while !shutdown.is_cancelled() {
        tokio::select! {
            () = shutdown.cancelled() => return,
            Err(e) = listen_finals(&pool, &sender) => {
                tracing::warn!(error = %e, "job notification listener lost; reconnecting");
                tokio::time::sleep(std::time::Duration::from_secs(1)).await;
            }
        }
    }
}

async fn listen_finals(
    pool: &sqlx::PgPool,
    sender: &tokio::sync::broadcast::Sender<i64>,
) -> sqlx::Result<std::convert::Infallible> {
    let mut listener = sqlx::postgres::PgListener::connect_with(pool).await?;
    listener.listen(FINAL_CHANNEL).await?;
    loop {
        let note = listener.recv().await?;
        if let Ok(id) = note.payload().parse() {
            let _ = sender.send(id);
        }
    }
}
