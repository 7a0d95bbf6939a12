//! Webhook deliveries: queueing a message to endpoints, claims by senders, resends and recovery.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgExecutor};

use crate::domain::{DeliveryState, DeliveryTrigger, EndpointKind};

/// Queues a message for every enabled endpoint of the company that wants its type; returns
/// how many deliveries were queued.
pub async fn fan_out(
    db: impl PgExecutor<'_>,
    message_id: i64,
    company_id: i64,
    event_type: &str,
) -> sqlx::Result<u64> {
    let done = sqlx::query!(
        "insert into webhook_deliveries (message_id, endpoint_id)
         select $1, e.endpoint_id from webhook_endpoints e
         where e.company_id = $2 and endpoint_wants(e, $3)",
        message_id,
        company_id,
        event_type
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected())
}

/// Queues a message for one endpoint only.
pub async fn insert_delivery(db: impl PgExecutor<'_>, message_id: i64, endpoint_id: i64) -> sqlx::Result<()> {
    sqlx::query!(
        "insert into webhook_deliveries (message_id, endpoint_id) values ($1, $2)",
        message_id,
        endpoint_id
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Queues a message for a per-request callback URL, signed by the callback endpoint.
pub async fn insert_callback_delivery(
    db: impl PgExecutor<'_>,
    message_id: i64,
    endpoint_id: i64,
    url: &str,
) -> sqlx::Result<()> {
    sqlx::query!(
        "insert into webhook_deliveries (message_id, endpoint_id, url) values ($1, $2, $3)",
        message_id,
        endpoint_id,
        url
    )
    .execute(db)
    .await?;
    Ok(())
}

/// A delivery taken by a sender, with what it needs to send it. No `Debug`: it holds secrets.
#[derive(Clone)]
pub struct Claimed {
    pub delivery_id: i64,
    pub endpoint_id: i64,
    pub kind: EndpointKind,
    /// The callback URL of the delivery, or else the endpoint's.
    pub url: String,
    pub trigger: DeliveryTrigger,
    pub scheduled_steps: i32,
    pub secret: String,
    pub previous_secret: Option<String>,
    pub msg_key: String,
    pub payload: String,
}

/// Takes up to `limit` due deliveries for `lease_secs`, at most `per_endpoint` in flight per
/// endpoint across every sender. Claims are serialised by an advisory lock so two senders
/// cannot both see an endpoint idle and overshoot its limit.
pub async fn claim(
    db: &mut PgConnection,
    limit: i64,
    per_endpoint: i64,
    lease_secs: f64,
) -> sqlx::Result<Vec<Claimed>> {
    sqlx::query!("select pg_advisory_xact_lock(hashtext('ipscopy.webhook.claim'))").execute(&mut *db).await?;
    sqlx::query_as!(
        Claimed,
        r#"with busy as (
             select endpoint_id, count(*) as n from webhook_deliveries
             where state = 'sending' and locked_until >= now() group by endpoint_id
         ), due as (
             select d.delivery_id, d.endpoint_id, d.next_attempt_at,
                    row_number() over (partition by d.endpoint_id order by d.next_attempt_at, d.delivery_id) as rn
             from webhook_deliveries d join webhook_endpoints e using (endpoint_id)
             where e.state = 'enabled' and d.next_attempt_at <= now()
               and (d.state = 'pending' or (d.state = 'sending' and d.locked_until < now()))
         ), picked as (
             select due.delivery_id from due left join busy using (endpoint_id)
             where due.rn + coalesce(busy.n, 0) <= $2
             order by due.next_attempt_at, due.delivery_id limit $1
         )
         update webhook_deliveries d
            set state = 'sending', locked_until = now() + make_interval(secs => $3), updated_at = now()
           from picked, webhook_endpoints e, webhook_messages m
          where d.delivery_id = picked.delivery_id and e.endpoint_id = d.endpoint_id and m.message_id = d.message_id
         returning d.delivery_id, d.endpoint_id, e.kind as "kind: EndpointKind",
                   coalesce(d.url, e.url) as "url!", d.trigger as "trigger: DeliveryTrigger",
                   d.scheduled_steps, e.secret,
                   case when e.previous_secret_expires_at > now() then e.previous_secret end as previous_secret,
                   m.msg_key, m.payload"#,
        limit,
        per_endpoint,
        lease_secs
    )
    .fetch_all(db)
    .await
}

/// How long until the next pending delivery of an enabled endpoint comes due, in seconds, if
/// one waits. Deliveries already due but held back by their endpoint's concurrency limit are
/// left out: a finishing delivery wakes the sender for those.
pub async fn next_due_in(db: impl PgExecutor<'_>) -> sqlx::Result<Option<f64>> {
    sqlx::query_scalar!(
        "select extract(epoch from min(d.next_attempt_at) - now())::float8
         from webhook_deliveries d join webhook_endpoints e using (endpoint_id)
         where e.state = 'enabled' and d.state = 'pending' and d.next_attempt_at > now()"
    )
    .fetch_one(db)
    .await
}

/// Ends the sender's hold on a delivery: with `retry_in_secs` it is pending again, due after
/// that long, otherwise it ends in `final_state`. False if another sender took it over meanwhile.
pub async fn finish_delivery(
    db: impl PgExecutor<'_>,
    delivery_id: i64,
    final_state: DeliveryState,
    retry_in_secs: Option<f64>,
    scheduled_step: bool,
) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        "update webhook_deliveries
            set state = case when $3::float8 is null then $2::text else 'pending' end,
                next_attempt_at = case when $3::float8 is null then null else now() + make_interval(secs => $3) end,
                trigger = 'scheduled', attempts = attempts + 1,
                scheduled_steps = scheduled_steps + case when $4 then 1 else 0 end,
                locked_until = null, updated_at = now()
          where delivery_id = $1 and state = 'sending'",
        delivery_id,
        final_state as DeliveryState,
        retry_in_secs,
        scheduled_step
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// What a resend request found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resend {
    Queued,
    /// The message is still being delivered on its schedule.
    InProgress,
    NotFound,
}

/// Queues one more attempt of a finished delivery, outside the schedule.
pub async fn resend(db: &mut PgConnection, endpoint_id: i64, msg_key: &str) -> sqlx::Result<Resend> {
    let state = sqlx::query_scalar!(
        r#"select d.state as "state: DeliveryState"
           from webhook_deliveries d join webhook_messages m using (message_id)
           where d.endpoint_id = $1 and m.msg_key = $2 for update of d"#,
        endpoint_id,
        msg_key
    )
    .fetch_optional(&mut *db)
    .await?;
    match state {
        None => Ok(Resend::NotFound),
        Some(state) if state.in_progress() => Ok(Resend::InProgress),
        Some(_) => {
            sqlx::query!(
                "update webhook_deliveries d set state = 'pending', trigger = 'manual', next_attempt_at = now(),
                        updated_at = now()
                 from webhook_messages m
                 where m.message_id = d.message_id and d.endpoint_id = $1 and m.msg_key = $2",
                endpoint_id,
                msg_key
            )
            .execute(db)
            .await?;
            Ok(Resend::Queued)
        }
    }
}

/// Queues one more attempt of every failed delivery of the endpoint created since `since`;
/// returns how many.
pub async fn recover(db: impl PgExecutor<'_>, endpoint_id: i64, since: DateTime<Utc>) -> sqlx::Result<u64> {
    let done = sqlx::query!(
        "update webhook_deliveries set state = 'pending', trigger = 'recovery', next_attempt_at = now(),
                updated_at = now()
         where endpoint_id = $1 and state = 'failed' and created_at >= $2",
        endpoint_id,
        since
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected())
}
