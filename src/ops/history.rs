//! The last hour, minute by minute, rebuilt from job timestamps: throughput, end-to-end latency
//! and how many jobs were waiting. Nothing is sampled, so the charts are full as soon as a page
//! opens and agree across API processes.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::PgPool;
use utoipa::ToSchema;

/// One minute of the last hour.
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
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

/// The 60 minutes up to now, oldest first.
pub async fn last_hour(pool: &PgPool) -> sqlx::Result<Vec<Minute>> {
    // Waiting at the end of minute m = now's never-started backlog, plus jobs that left it after
    // m, minus jobs submitted after m. Both sums read only the last hour through indexes.
    sqlx::query_as(
        "with minutes as (
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
         select m.minute,
                coalesce(f.succeeded, 0) as succeeded,
                coalesce(f.failed, 0) as failed,
                f.p50::float8 as p50_seconds,
                f.p95::float8 as p95_seconds,
                greatest(0, (select n from backlog)
                    + coalesce((select sum(n) from left_queue l where l.minute > m.minute), 0)
                    - coalesce((select sum(n) from created c where c.minute > m.minute), 0))::int8 as waiting
         from minutes m left join finished f on f.minute = m.minute
         order by m.minute",
    )
    .fetch_all(pool)
    .await
}
