//! Webhook messages: the events recorded, their per-endpoint log, and pruning.

use chrono::{DateTime, Utc};
use sqlx::PgExecutor;

use crate::domain::DeliveryState;

/// The PostgreSQL channel a committed message is announced on, so senders wake at once.
pub const NOTIFY_CHANNEL: &str = "ipscopy_webhooks";

/// Wakes every sender when the caller's transaction commits.
pub async fn notify(db: impl PgExecutor<'_>) -> sqlx::Result<()> {
    sqlx::query!("select pg_notify($1, '')", NOTIFY_CHANNEL).execute(db).await?;
    Ok(())
}

/// Records an event; returns the message id.
pub async fn insert_message(
    db: impl PgExecutor<'_>,
    msg_key: &str,
    company_id: i64,
    event_type: &str,
    payload: &str,
    job_id: Option<i64>,
) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        "insert into webhook_messages (msg_key, company_id, event_type, payload, job_id)
         values ($1, $2, $3, $4, $5) returning message_id",
        msg_key,
        company_id,
        event_type,
        payload,
        job_id
    )
    .fetch_one(db)
    .await
}

/// Deletes up to `limit` messages older than `days` whose every delivery is finished, with
/// their deliveries and attempts; returns how many.
pub async fn prune(db: impl PgExecutor<'_>, days: f64, limit: i64) -> sqlx::Result<u64> {
    let done = sqlx::query!(
        "delete from webhook_messages where message_id in (
             select m.message_id from webhook_messages m
             where m.created_at < now() - make_interval(secs => $1::float8 * 86400)
               and not exists (select 1 from webhook_deliveries d
                               where d.message_id = m.message_id and d.state in ('pending', 'sending'))
             order by m.message_id limit $2)",
        days,
        limit
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected())
}

/// A message as one endpoint sees it: the event and how its delivery went.
#[derive(Debug, Clone)]
pub struct MessageLogRow {
    pub msg_key: String,
    pub event_type: String,
    pub payload: String,
    pub url: Option<String>,
    pub state: DeliveryState,
    pub attempts: i32,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

/// The endpoint's messages, newest first.
pub async fn list_messages(
    db: impl PgExecutor<'_>,
    endpoint_id: i64,
    since: Option<DateTime<Utc>>,
    limit: i64,
) -> sqlx::Result<Vec<MessageLogRow>> {
    sqlx::query_as!(
        MessageLogRow,
        r#"select m.msg_key, m.event_type, m.payload, d.url, d.state as "state: DeliveryState", d.attempts,
                  case when d.state in ('pending', 'sending') then d.next_attempt_at end as next_attempt_at,
                  m.created_at
           from webhook_deliveries d join webhook_messages m using (message_id)
           where d.endpoint_id = $1 and ($2::timestamptz is null or m.created_at >= $2)
           order by d.delivery_id desc limit $3"#,
        endpoint_id,
        since,
        limit
    )
    .fetch_all(db)
    .await
}
