//! Webhook deliveries: queueing a message to endpoints, claims by senders, resends and recovery.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgExecutor, Row};
use uuid::Uuid;

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

/// Takes up to `limit` due deliveries for `lease_secs` for the sender `me`, each endpoint's
/// oldest first and the endpoints in turn (every endpoint's first, then every second, …, so a
/// backlog of one cannot take every free slot), at most `per_endpoint` held per endpoint. An
/// endpoint whose deliveries another sender holds is left to that sender, so one sender at a
/// time holds an endpoint: it may hold more than it sends at once (see `Sender`), and the
/// endpoint's concurrency still holds across every process. Each endpoint's backlog is read through its own index range, so a claim costs
/// the same with ten or a hundred thousand deliveries waiting.
///
/// Claims are serialised by an advisory lock so two senders cannot both see an endpoint idle
/// and take it. The lock and the claim go as one simple-query message, which PostgreSQL runs
/// as one implicit transaction (the claim reads with a snapshot taken after the lock), in one
/// round trip instead of four: under load the sender's cycle is mostly round trips. Simple
/// queries take no parameters, so the numbers and the sender's id are written into the text,
/// and this is the one query the macros cannot check: every webhook test runs it.
pub async fn claim(
    db: &mut PgConnection,
    me: Uuid,
    limit: i64,
    per_endpoint: i64,
    lease_secs: f64,
) -> sqlx::Result<Vec<Claimed>> {
    let sql = claim_sql(me, limit, per_endpoint, lease_secs);
    let rows = sqlx::Executor::fetch_all(&mut *db, sql.as_str()).await?;
    rows.iter()
        // The lock's own row has one column.
        .filter(|row| row.len() > 1)
        .map(|row| {
            Ok(Claimed {
                delivery_id: row.try_get("delivery_id")?,
                endpoint_id: row.try_get("endpoint_id")?,
                kind: row.try_get("kind")?,
                url: row.try_get("url")?,
                trigger: row.try_get("trigger")?,
                scheduled_steps: row.try_get("scheduled_steps")?,
                secret: row.try_get("secret")?,
                previous_secret: row.try_get("previous_secret")?,
                msg_key: row.try_get("msg_key")?,
                payload: row.try_get("payload")?,
            })
        })
        .collect()
}

fn claim_sql(me: Uuid, limit: i64, per_endpoint: i64, lease_secs: f64) -> String {
    format!(
        "select pg_advisory_xact_lock(hashtext('ipscopy.webhook.claim'));
         with picked as (
             select due.delivery_id from webhook_endpoints e
             cross join lateral (
                 select count(*) filter (where s.locked_by = '{me}') as mine,
                        count(*) filter (where s.locked_by is distinct from '{me}') as theirs
                 from webhook_deliveries s
                 where s.endpoint_id = e.endpoint_id and s.state = 'sending' and s.locked_until >= now()) busy
             cross join lateral (
                 select d.delivery_id, d.next_attempt_at,
                        row_number() over (order by d.next_attempt_at, d.delivery_id) as rank
                 from webhook_deliveries d
                 where d.endpoint_id = e.endpoint_id and d.next_attempt_at <= now()
                   and (d.state = 'pending' or (d.state = 'sending' and d.locked_until < now()))
                 order by d.next_attempt_at, d.delivery_id
                 limit case when busy.theirs > 0 then 0 else greatest({per_endpoint} - busy.mine, 0) end) due
             where e.state = 'enabled'
             order by due.rank, due.next_attempt_at, due.delivery_id limit {limit}
         )
         update webhook_deliveries d
            set state = 'sending', locked_by = '{me}', locked_until = now() + make_interval(secs => {lease_secs:.3}),
                updated_at = now()
           from picked, webhook_endpoints e, webhook_messages m
          where d.delivery_id = picked.delivery_id and e.endpoint_id = d.endpoint_id and m.message_id = d.message_id
         returning d.delivery_id, d.endpoint_id, e.kind, coalesce(d.url, e.url) as url, d.trigger,
                   d.scheduled_steps, e.secret,
                   case when e.previous_secret_expires_at > now() then e.previous_secret end as previous_secret,
                   m.msg_key, m.payload"
    )
}

/// A delivery the receiver accepted, as the sender logs it.
#[derive(Debug, Clone)]
pub struct Delivered {
    pub delivery_id: i64,
    pub trigger: DeliveryTrigger,
    pub response_status: u16,
    pub response_excerpt: String,
    pub duration_ms: i32,
}

/// Ends every delivery of `delivered` that the sender `me` still holds as succeeded, logs its
/// attempt and clears its endpoint's failing streak, in one statement; returns how many it
/// still held (the rest were taken over by another sender, whose attempt counts instead).
pub async fn finish_delivered(
    db: impl PgExecutor<'_>,
    me: Uuid,
    delivered: &[Delivered],
) -> sqlx::Result<u64> {
    let ids: Vec<i64> = delivered.iter().map(|d| d.delivery_id).collect();
    let triggers: Vec<String> = delivered.iter().map(|d| d.trigger.to_string()).collect();
    let statuses: Vec<i32> = delivered.iter().map(|d| i32::from(d.response_status)).collect();
    let excerpts: Vec<String> = delivered.iter().map(|d| d.response_excerpt.clone()).collect();
    let durations: Vec<i32> = delivered.iter().map(|d| d.duration_ms).collect();
    let held = sqlx::query_scalar!(
        r#"with outcome as (
             select * from unnest($1::int8[], $2::text[], $3::int4[], $4::text[], $5::int4[])
                 as o(delivery_id, trigger, status, excerpt, duration_ms)),
         finished as (
             update webhook_deliveries d
                set state = 'succeeded', next_attempt_at = null, trigger = 'scheduled', attempts = attempts + 1,
                    locked_until = null, updated_at = now()
               from outcome o
              where d.delivery_id = o.delivery_id and d.state = 'sending' and d.locked_by = $6
             returning d.delivery_id, d.endpoint_id),
         logged as (
             insert into webhook_attempts
                 (delivery_id, trigger, succeeded, response_status, response_excerpt, error, duration_ms)
             select o.delivery_id, o.trigger, true, o.status, o.excerpt, null, o.duration_ms
             from outcome o join finished f using (delivery_id)),
         recovered as (
             update webhook_endpoints e set failing_since = null
             where e.endpoint_id in (select endpoint_id from finished) and e.failing_since is not null)
         select count(*) as "held!" from finished"#,
        &ids,
        &triggers,
        &statuses,
        &excerpts,
        &durations,
        me
    )
    .fetch_one(db)
    .await?;
    Ok(held as u64)
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

/// Ends the sender `me`'s hold on a delivery whose attempt failed: with `retry_in_secs` it is
/// pending again, due after that long, otherwise it has failed. False if another sender took
/// it over meanwhile.
pub async fn finish_failed(
    db: impl PgExecutor<'_>,
    me: Uuid,
    delivery_id: i64,
    retry_in_secs: Option<f64>,
    scheduled_step: bool,
) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        "update webhook_deliveries
            set state = case when $2::float8 is null then 'failed' else 'pending' end,
                next_attempt_at = case when $2::float8 is null then null else now() + make_interval(secs => $2) end,
                trigger = 'scheduled', attempts = attempts + 1,
                scheduled_steps = scheduled_steps + case when $3 then 1 else 0 end,
                locked_until = null, updated_at = now()
          where delivery_id = $1 and state = 'sending' and locked_by = $4",
        delivery_id,
        retry_in_secs,
        scheduled_step,
        me
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
