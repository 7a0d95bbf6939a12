//! What `ipscopy bench` reads of its own company's jobs, and the webhook backlog it queues.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgExecutor};

use crate::{db::webhooks::NOTIFY_CHANNEL, domain::JobState};

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

/// When each of the company's succeeded jobs finished.
pub async fn succeeded_at(
    db: impl PgExecutor<'_>,
    company_id: i64,
) -> sqlx::Result<Vec<(i64, DateTime<Utc>)>> {
    let rows = sqlx::query!(
        r#"select job_id, finished_at as "finished_at!" from jobs
           where company_id = $1 and state = 'succeeded' and finished_at is not null"#,
        company_id
    )
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(|r| (r.job_id, r.finished_at)).collect())
}

/// Queues `count` synthetic copy.succeeded messages naming jobs 1 to `count` (there are no
/// such rows: `job_id` stays null), one delivery each to `endpoint_id`, and wakes the senders
/// when the caller's transaction commits. Returns the transaction's start, the messages'
/// `created_at`. `tag` keeps the webhook-ids of two runs apart.
pub async fn queue_backlog(
    tx: &mut PgConnection,
    company_id: i64,
    endpoint_id: i64,
    count: i64,
    tag: &str,
) -> sqlx::Result<DateTime<Utc>> {
    // One statement for both tables: 20,000 single inserts would time the bench, not the sender.
    sqlx::query!(
        r#"with m as (
             insert into webhook_messages (msg_key, company_id, event_type, payload)
             select 'msg_bench_' || $4::text || '_' || i, $1::bigint, 'copy.succeeded',
                    json_build_object(
                        'type', 'copy.succeeded',
                        'timestamp', to_char(now() at time zone 'utc', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
                        'data', json_build_object(
                            'jobHandle', format('j|%s||copyImage-%s|%s', $1::bigint, i, i),
                            'companyHandle', 'c|' || $1::bigint,
                            'assetHandle', format('a|%s|1|%s', i, i),
                            'sourceAssetHandle', 'a|1|1|1',
                            'state', 'succeeded',
                            'error', null,
                            'imageInfo', json_build_object('width', 32, 'height', 32, 'fileSize', 1000, 'format', 'png')
                        )
                    )::text
             from generate_series(1, $3::bigint) i
             returning message_id
         )
         insert into webhook_deliveries (message_id, endpoint_id) select message_id, $2 from m"#,
        company_id,
        endpoint_id,
        count,
        tag
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!("select pg_notify($1, '')", NOTIFY_CHANNEL).execute(&mut *tx).await?;
    now(&mut *tx).await
}
