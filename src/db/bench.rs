//! What `ipscopy bench` reads of its own company's jobs.

use chrono::{DateTime, Utc};
use sqlx::PgExecutor;

use crate::domain::JobState;

/// The database's clock: the bench measures against the same clock that stamps the jobs.
pub async fn now(db: impl PgExecutor<'_>) -> sqlx::Result<DateTime<Utc>> {
    sqlx::query_scalar!(r#"select now() as "now!""#).fetch_one(db).await
}

/// How many of the company's jobs are final.
pub async fn finished(db: impl PgExecutor<'_>, company_id: i64) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        r#"select count(*) as "n!" from jobs
           where company_id = $1 and state in ('succeeded', 'failed', 'cancelled')"#,
        company_id
    )
    .fetch_one(db)
    .await
}

/// Seconds from `since` to the company's last finished job; `None` when none finished.
pub async fn finished_after(
    db: impl PgExecutor<'_>,
    company_id: i64,
    since: DateTime<Utc>,
) -> sqlx::Result<Option<f64>> {
    sqlx::query_scalar!(
        "select extract(epoch from max(finished_at) - $2)::float8 from jobs where company_id = $1",
        company_id,
        since
    )
    .fetch_one(db)
    .await
}

/// Each job's state and submission-to-finish time in seconds; every job must be finished.
pub async fn latencies(db: impl PgExecutor<'_>, company_id: i64) -> sqlx::Result<Vec<(JobState, f64)>> {
    let rows = sqlx::query!(
        r#"select state as "state: JobState", extract(epoch from finished_at - created_at)::float8 as "secs!"
           from jobs where company_id = $1"#,
        company_id
    )
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(|r| (r.state, r.secs)).collect())
}
