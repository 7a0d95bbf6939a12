//! What operators watch, read from the jobs, the outbox and the webhook deliveries: counts by
//! state, backlogs and their ages, the last failures, and the last hour minute by minute.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::PgExecutor;
use utoipa::ToSchema;

use crate::domain::{DeliveryState, JobState};

/// Jobs by state; a state no job is in is missing.
pub async fn job_states(db: impl PgExecutor<'_>) -> sqlx::Result<Vec<(JobState, i64)>> {
    let rows =
        sqlx::query!(r#"select state as "state: JobState", count(*) as "n!" from jobs group by state"#)
            .fetch_all(db)
            .await?;
    Ok(rows.into_iter().map(|r| (r.state, r.n)).collect())
}

/// Queued jobs: how many wait for a retry scheduled later, and how long the oldest due one has
/// waited, in seconds.
#[derive(Debug, Clone, Copy)]
pub struct Waiting {
    pub scheduled_retries: i64,
    pub oldest_due_age_seconds: Option<f64>,
}

/// A retry waits from the time it came due, a fresh job from its submission.
pub async fn waiting(db: impl PgExecutor<'_>) -> sqlx::Result<Waiting> {
    sqlx::query_as!(
        Waiting,
        r#"select count(*) filter (where next_attempt_at > now()) as "scheduled_retries!",
                  extract(epoch from now() - min(coalesce(next_attempt_at, created_at))
                      filter (where next_attempt_at is null or next_attempt_at <= now()))::float8
                      as oldest_due_age_seconds
           from jobs where state = 'queued'"#
    )
    .fetch_one(db)
    .await
}

/// Outbox rows waiting, those due now, and the age of the oldest due one in seconds.
#[derive(Debug, Clone, Copy)]
pub struct Outbox {
    pub rows: i64,
    pub due: i64,
    pub lag_seconds: f64,
}

pub async fn outbox(db: impl PgExecutor<'_>) -> sqlx::Result<Outbox> {
    sqlx::query_as!(
        Outbox,
        r#"select count(*) as "rows!", count(*) filter (where available_at <= now()) as "due!",
                  coalesce(extract(epoch from now() - min(available_at) filter (where available_at <= now())),
                           0)::float8 as "lag_seconds!"
           from outbox"#
    )
    .fetch_one(db)
    .await
}

/// Webhook deliveries by state; a state no delivery is in is missing.
pub async fn delivery_states(db: impl PgExecutor<'_>) -> sqlx::Result<Vec<(DeliveryState, i64)>> {
    let rows = sqlx::query!(
        r#"select state as "state: DeliveryState", count(*) as "n!" from webhook_deliveries group by state"#
    )
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(|r| (r.state, r.n)).collect())
}

/// Age of the oldest due delivery still being attempted, in seconds; 0 when none is due.
pub async fn oldest_due_delivery_age(db: impl PgExecutor<'_>) -> sqlx::Result<f64> {
    sqlx::query_scalar!(
        r#"select coalesce(extract(epoch from now() - min(next_attempt_at)), 0)::float8 as "age!"
           from webhook_deliveries where state in ('pending', 'sending') and next_attempt_at <= now()"#
    )
    .fetch_one(db)
    .await
}

/// One endpoint's due deliveries, or (`endpoint_id` `None`) those of every endpoint past the bound.
#[derive(Debug, Clone, Copy)]
pub struct EndpointBacklog {
    pub endpoint_id: Option<i64>,
    pub due: i64,
    pub oldest_due_age_seconds: f64,
}

/// The due deliveries still being attempted, per endpoint: the `bound` endpoints with the most,
/// most first, then one row summing the rest when there are more. Endpoints with none are left out.
pub async fn endpoint_backlogs(db: impl PgExecutor<'_>, bound: i64) -> sqlx::Result<Vec<EndpointBacklog>> {
    sqlx::query_as!(
        EndpointBacklog,
        r#"with due as (
               select endpoint_id, count(*) as n, min(next_attempt_at) as oldest from webhook_deliveries
               where state in ('pending', 'sending') and next_attempt_at <= now()
               group by endpoint_id),
           ranked as (
               select endpoint_id, n, oldest, row_number() over (order by n desc, oldest, endpoint_id) as rank
               from due),
           bounded as (
               select case when rank <= $1 then endpoint_id end as endpoint_id, sum(n)::int8 as due,
                      extract(epoch from now() - min(oldest))::float8 as age
               from ranked group by 1)
           select endpoint_id as "endpoint_id?", due as "due!", age as "oldest_due_age_seconds!"
           from bounded order by endpoint_id is null, due desc, endpoint_id"#,
        bound
    )
    .fetch_all(db)
    .await
}

/// A job that failed for good.
#[derive(Debug, Clone)]
pub struct FailedJob {
    pub company_id: i64,
    pub job_id: i64,
    pub error_code: Option<String>,
    pub error_reason: Option<String>,
    pub attempts: i32,
    pub finished_at: Option<DateTime<Utc>>,
}

/// The last `limit` jobs that failed for good, newest first.
pub async fn recent_failures(db: impl PgExecutor<'_>, limit: i64) -> sqlx::Result<Vec<FailedJob>> {
    sqlx::query_as!(
        FailedJob,
        "select company_id, job_id, error_code, error_reason, attempts, finished_at
         from jobs where state = 'failed' and finished_at is not null
         order by finished_at desc limit $1",
        limit
    )
    .fetch_all(db)
    .await
}

/// One minute of the last hour.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Minute {
    /// Start of the minute.
    pub minute: DateTime<Utc>,
    /// Jobs that succeeded in that minute.
    pub succeeded: i64,
    /// Jobs that failed for good in that minute.
    pub failed: i64,
    /// Median submission-to-finish time of the jobs that succeeded then, in seconds.
    pub p50_seconds: Option<f64>,
    /// 95th percentile of the same.
    pub p95_seconds: Option<f64>,
    /// Jobs submitted and not yet started (or ended) at the end of the minute.
    pub waiting: i64,
}

/// The 60 minutes up to now, oldest first, rebuilt from job timestamps.
pub async fn last_hour(db: impl PgExecutor<'_>) -> sqlx::Result<Vec<Minute>> {
    // Waiting at the end of minute m = now's never-started backlog, plus jobs that left it after
    // m, minus jobs submitted after m. Both sums read only the last hour through indexes.
    sqlx::query_as!(
        Minute,
        r#"with minutes as (
               select generate_series(date_trunc('minute', now()) - interval '59 minutes',
                                      date_trunc('minute', now()), interval '1 minute') as minute),
           finished as (
               select date_trunc('minute', finished_at) as minute,
                      count(*) filter (where state = 'succeeded') as succeeded,
                      count(*) filter (where state = 'failed') as failed,
                      percentile_cont(0.5) within group (order by extract(epoch from finished_at - created_at))
                          filter (where state = 'succeeded') as p50,
                      percentile_cont(0.95) within group (order by extract(epoch from finished_at - created_at))
                          filter (where state = 'succeeded') as p95
               from jobs where finished_at >= date_trunc('minute', now()) - interval '59 minutes'
               group by 1),
           created as (
               select date_trunc('minute', created_at) as minute, count(*) as n from jobs
               where created_at >= date_trunc('minute', now()) - interval '59 minutes' group by 1),
           left_queue as (
               select date_trunc('minute', coalesce(started_at, finished_at)) as minute, count(*) as n from jobs
               where coalesce(started_at, finished_at) >= date_trunc('minute', now()) - interval '59 minutes'
               group by 1),
           backlog as (
               select count(*) as n from jobs where started_at is null and finished_at is null)
           select m.minute as "minute!",
                  coalesce(f.succeeded, 0) as "succeeded!",
                  coalesce(f.failed, 0) as "failed!",
                  f.p50::float8 as p50_seconds,
                  f.p95::float8 as p95_seconds,
                  greatest(0, (select n from backlog)
                      + coalesce((select sum(n) from left_queue l where l.minute > m.minute), 0)
                      - coalesce((select sum(n) from created c where c.minute > m.minute), 0))::int8 as "waiting!"
           from minutes m left join finished f on f.minute = m.minute
           order by m.minute"#
    )
    .fetch_all(db)
    .await
}
