//! The webhook attempt log: one row per delivery attempt.

use chrono::{DateTime, Utc};
use sqlx::PgExecutor;

use crate::domain::DeliveryTrigger;

/// One attempt's result, as logged.
pub struct AttemptRecord<'a> {
    pub delivery_id: i64,
    pub trigger: DeliveryTrigger,
    pub succeeded: bool,
    pub response_status: Option<u16>,
    pub response_excerpt: Option<&'a str>,
    pub error: Option<&'a str>,
    pub duration_ms: i32,
}

pub async fn insert_attempt(db: impl PgExecutor<'_>, a: &AttemptRecord<'_>) -> sqlx::Result<()> {
    sqlx::query!(
        "insert into webhook_attempts
             (delivery_id, trigger, succeeded, response_status, response_excerpt, error, duration_ms)
         values ($1, $2, $3, $4, $5, $6, $7)",
        a.delivery_id,
        a.trigger as DeliveryTrigger,
        a.succeeded,
        a.response_status.map(i32::from),
        a.response_excerpt,
        a.error,
        a.duration_ms
    )
    .execute(db)
    .await?;
    Ok(())
}

/// One logged attempt.
#[derive(Debug, Clone)]
pub struct AttemptLogRow {
    pub attempt_id: i64,
    pub msg_key: String,
    pub event_type: String,
    pub url: Option<String>,
    pub trigger: DeliveryTrigger,
    pub succeeded: bool,
    pub response_status: Option<i32>,
    pub response_excerpt: Option<String>,
    pub error: Option<String>,
    pub duration_ms: i32,
    pub attempted_at: DateTime<Utc>,
}

/// The endpoint's attempts, oldest first, optionally for one message.
pub async fn list_attempts(
    db: impl PgExecutor<'_>,
    endpoint_id: i64,
    msg_key: Option<&str>,
    limit: i64,
) -> sqlx::Result<Vec<AttemptLogRow>> {
    sqlx::query_as!(
        AttemptLogRow,
        r#"select a.attempt_id, m.msg_key, m.event_type, d.url, a.trigger as "trigger: DeliveryTrigger",
                  a.succeeded, a.response_status, a.response_excerpt, a.error, a.duration_ms, a.attempted_at
           from webhook_attempts a join webhook_deliveries d using (delivery_id)
           join webhook_messages m using (message_id)
           where d.endpoint_id = $1 and ($2::text is null or m.msg_key = $2)
           order by a.attempt_id limit $3"#,
        endpoint_id,
        msg_key,
        limit
    )
    .fetch_all(db)
    .await
}
