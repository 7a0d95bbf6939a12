//! Webhook endpoints, messages, deliveries and the attempt log.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgExecutor};

/// A webhook endpoint. No `Debug`: it holds secrets.
#[derive(Clone, sqlx::FromRow)]
pub struct EndpointRow {
    pub endpoint_id: i64,
    pub company_id: i64,
    pub kind: String,
    pub url: Option<String>,
    pub events: Vec<String>,
    pub description: String,
    pub secret: String,
    pub previous_secret: Option<String>,
    pub previous_secret_expires_at: Option<DateTime<Utc>>,
    pub state: String,
    pub disabled_reason: Option<String>,
    pub failing_since: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

const ENDPOINT_COLUMNS: &str =
    "endpoint_id, company_id, kind, url, events, description, secret, previous_secret,
    previous_secret_expires_at, state, disabled_reason, failing_since, created_at, updated_at";

/// A new client-registered endpoint.
pub struct NewEndpoint<'a> {
    pub company_id: i64,
    pub url: &'a str,
    pub events: &'a [String],
    pub description: &'a str,
    pub secret: &'a str,
    pub created_by: i64,
}

pub async fn insert_endpoint(db: impl PgExecutor<'_>, new: &NewEndpoint<'_>) -> sqlx::Result<EndpointRow> {
    sqlx::query_as(&format!(
        "insert into webhook_endpoints (company_id, url, events, description, secret, created_by)
         values ($1, $2, $3, $4, $5, $6) returning {ENDPOINT_COLUMNS}"
    ))
    .bind(new.company_id)
    .bind(new.url)
    .bind(new.events)
    .bind(new.description)
    .bind(new.secret)
    .bind(new.created_by)
    .fetch_one(db)
    .await
}

/// The company's callback endpoint, created with `secret` if it does not exist yet.
pub async fn callback_endpoint(
    db: &mut PgConnection,
    company_id: i64,
    secret: &str,
    created_by: Option<i64>,
) -> sqlx::Result<EndpointRow> {
    sqlx::query(
        "insert into webhook_endpoints (company_id, kind, secret, description, created_by)
         values ($1, 'callback', $2, 'signs deliveries to per-request callbackUrls', $3)
         on conflict (company_id) where kind = 'callback' do nothing",
    )
    .bind(company_id)
    .bind(secret)
    .bind(created_by)
    .execute(&mut *db)
    .await?;
    sqlx::query_as(&format!(
        "select {ENDPOINT_COLUMNS} from webhook_endpoints where company_id = $1 and kind = 'callback'"
    ))
    .bind(company_id)
    .fetch_one(db)
    .await
}

pub async fn find_endpoint(db: impl PgExecutor<'_>, endpoint_id: i64) -> sqlx::Result<Option<EndpointRow>> {
    sqlx::query_as(&format!("select {ENDPOINT_COLUMNS} from webhook_endpoints where endpoint_id = $1"))
        .bind(endpoint_id)
        .fetch_optional(db)
        .await
}

pub async fn list_endpoints(db: impl PgExecutor<'_>, company_id: i64) -> sqlx::Result<Vec<EndpointRow>> {
    sqlx::query_as(&format!(
        "select {ENDPOINT_COLUMNS} from webhook_endpoints where company_id = $1 order by endpoint_id"
    ))
    .bind(company_id)
    .fetch_all(db)
    .await
}

/// Changes the given fields; `None` leaves a field as it is.
pub async fn update_endpoint(
    db: impl PgExecutor<'_>,
    endpoint_id: i64,
    url: Option<&str>,
    events: Option<&[String]>,
    description: Option<&str>,
) -> sqlx::Result<Option<EndpointRow>> {
    sqlx::query_as(&format!(
        "update webhook_endpoints set url = coalesce($2, url), events = coalesce($3, events),
                description = coalesce($4, description), updated_at = now()
         where endpoint_id = $1 returning {ENDPOINT_COLUMNS}"
    ))
    .bind(endpoint_id)
    .bind(url)
    .bind(events)
    .bind(description)
    .fetch_optional(db)
    .await
}

/// Enables (forgetting past failures) or disables an endpoint.
pub async fn set_enabled(
    db: impl PgExecutor<'_>,
    endpoint_id: i64,
    enabled: bool,
    reason: Option<&str>,
) -> sqlx::Result<Option<EndpointRow>> {
    sqlx::query_as(&format!(
        "update webhook_endpoints set state = case when $2 then 'enabled' else 'disabled' end,
                disabled_reason = case when $2 then null else $3 end,
                failing_since = case when $2 then null else failing_since end, updated_at = now()
         where endpoint_id = $1 returning {ENDPOINT_COLUMNS}"
    ))
    .bind(endpoint_id)
    .bind(enabled)
    .bind(reason)
    .fetch_optional(db)
    .await
}

/// Deletes an endpoint with its deliveries and attempts; false if it did not exist.
pub async fn delete_endpoint(db: impl PgExecutor<'_>, endpoint_id: i64) -> sqlx::Result<bool> {
    let done = sqlx::query("delete from webhook_endpoints where endpoint_id = $1")
        .bind(endpoint_id)
        .execute(db)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Replaces the secret; the old one keeps signing for `overlap_secs`.
pub async fn rotate_secret(
    db: impl PgExecutor<'_>,
    endpoint_id: i64,
    secret: &str,
    overlap_secs: f64,
) -> sqlx::Result<Option<EndpointRow>> {
    sqlx::query_as(&format!(
        "update webhook_endpoints set previous_secret = secret, secret = $2,
                previous_secret_expires_at = now() + make_interval(secs => $3), updated_at = now()
         where endpoint_id = $1 returning {ENDPOINT_COLUMNS}"
    ))
    .bind(endpoint_id)
    .bind(secret)
    .bind(overlap_secs)
    .fetch_optional(db)
    .await
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
    sqlx::query_scalar(
        "insert into webhook_messages (msg_key, company_id, event_type, payload, job_id)
         values ($1, $2, $3, $4, $5) returning message_id",
    )
    .bind(msg_key)
    .bind(company_id)
    .bind(event_type)
    .bind(payload)
    .bind(job_id)
    .fetch_one(db)
    .await
}

/// Queues a message for every enabled endpoint of the company that wants its type; returns
/// how many deliveries were queued.
pub async fn fan_out(
    db: impl PgExecutor<'_>,
    message_id: i64,
    company_id: i64,
    event_type: &str,
) -> sqlx::Result<u64> {
    let done = sqlx::query(
        "insert into webhook_deliveries (message_id, endpoint_id)
         select $1, e.endpoint_id from webhook_endpoints e
         where e.company_id = $2 and endpoint_wants(e, $3)",
    )
    .bind(message_id)
    .bind(company_id)
    .bind(event_type)
    .execute(db)
    .await?;
    Ok(done.rows_affected())
}

/// Queues a message for one endpoint only.
pub async fn insert_delivery(db: impl PgExecutor<'_>, message_id: i64, endpoint_id: i64) -> sqlx::Result<()> {
    sqlx::query("insert into webhook_deliveries (message_id, endpoint_id) values ($1, $2)")
        .bind(message_id)
        .bind(endpoint_id)
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
    sqlx::query("insert into webhook_deliveries (message_id, endpoint_id, url) values ($1, $2, $3)")
        .bind(message_id)
        .bind(endpoint_id)
        .bind(url)
        .execute(db)
        .await?;
    Ok(())
}

/// Records the callbackUrl a job was submitted with.
pub async fn set_job_callback_url(db: impl PgExecutor<'_>, job_id: i64, url: &str) -> sqlx::Result<()> {
    sqlx::query("update jobs set callback_url = $2 where job_id = $1")
        .bind(job_id)
        .bind(url)
        .execute(db)
        .await?;
    Ok(())
}

/// The callback URL a job was submitted with, if any.
pub async fn job_callback_url(db: impl PgExecutor<'_>, job_id: i64) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar("select callback_url from jobs where job_id = $1").bind(job_id).fetch_one(db).await
}

/// A delivery taken by a sender, with what it needs to send it. No `Debug`: it holds secrets.
#[derive(Clone, sqlx::FromRow)]
pub struct Claimed {
    pub delivery_id: i64,
    pub endpoint_id: i64,
    pub kind: String,
    pub url: String,
    pub trigger: String,
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
    sqlx::query("select pg_advisory_xact_lock(hashtext('ipscopy.webhook.claim'))").execute(&mut *db).await?;
    sqlx::query_as(
        "with busy as (
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
         returning d.delivery_id, d.endpoint_id, e.kind, coalesce(d.url, e.url) as url, d.trigger,
                   d.scheduled_steps, e.secret,
                   case when e.previous_secret_expires_at > now() then e.previous_secret end as previous_secret,
                   m.msg_key, m.payload",
    )
    .bind(limit)
    .bind(per_endpoint)
    .bind(lease_secs)
    .fetch_all(db)
    .await
}

/// How long until the next pending delivery of an enabled endpoint comes due, in seconds, if
/// one waits. Deliveries already due but held back by their endpoint's concurrency limit are
/// left out: a finishing delivery wakes the sender for those.
pub async fn next_due_in(db: impl PgExecutor<'_>) -> sqlx::Result<Option<f64>> {
    sqlx::query_scalar(
        "select extract(epoch from min(d.next_attempt_at) - now())::float8
         from webhook_deliveries d join webhook_endpoints e using (endpoint_id)
         where e.state = 'enabled' and d.state = 'pending' and d.next_attempt_at > now()",
    )
    .fetch_one(db)
    .await
}

/// One attempt's result, as logged.
pub struct AttemptRecord<'a> {
    pub delivery_id: i64,
    pub trigger: &'a str,
    pub succeeded: bool,
    pub response_status: Option<u16>,
    pub response_excerpt: Option<&'a str>,
    pub error: Option<&'a str>,
    pub duration_ms: i32,
}

pub async fn insert_attempt(db: impl PgExecutor<'_>, a: &AttemptRecord<'_>) -> sqlx::Result<()> {
    sqlx::query(
        "insert into webhook_attempts
             (delivery_id, trigger, succeeded, response_status, response_excerpt, error, duration_ms)
         values ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(a.delivery_id)
    .bind(a.trigger)
    .bind(a.succeeded)
    .bind(a.response_status.map(i32::from))
    .bind(a.response_excerpt)
    .bind(a.error)
    .bind(a.duration_ms)
    .execute(db)
    .await?;
    Ok(())
}

/// Ends the sender's hold on a delivery: with `retry_in_secs` it is pending again, due after
/// that long, otherwise it ends in `final_state`. False if another sender took it over meanwhile.
pub async fn finish_delivery(
    db: impl PgExecutor<'_>,
    delivery_id: i64,
    final_state: &str,
    retry_in_secs: Option<f64>,
    scheduled_step: bool,
) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "update webhook_deliveries
            set state = case when $3::float8 is null then $2 else 'pending' end,
                next_attempt_at = case when $3::float8 is null then null else now() + make_interval(secs => $3) end,
                trigger = 'scheduled', attempts = attempts + 1,
                scheduled_steps = scheduled_steps + case when $4 then 1 else 0 end,
                locked_until = null, updated_at = now()
          where delivery_id = $1 and state = 'sending'",
    )
    .bind(delivery_id)
    .bind(final_state)
    .bind(retry_in_secs)
    .bind(scheduled_step)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Notes a successful attempt: the endpoint is healthy again.
pub async fn endpoint_succeeded(db: impl PgExecutor<'_>, endpoint_id: i64) -> sqlx::Result<()> {
    sqlx::query("update webhook_endpoints set failing_since = null where endpoint_id = $1 and failing_since is not null")
        .bind(endpoint_id)
        .execute(db)
        .await?;
    Ok(())
}

/// Notes a failed attempt; disables a client endpoint that has failed without a break for
/// `disable_after_secs` and returns it when it did so.
pub async fn endpoint_failed(
    db: &mut PgConnection,
    endpoint_id: i64,
    disable_after_secs: f64,
) -> sqlx::Result<Option<EndpointRow>> {
    sqlx::query(
        "update webhook_endpoints set failing_since = coalesce(failing_since, now()) where endpoint_id = $1",
    )
    .bind(endpoint_id)
    .execute(&mut *db)
    .await?;
    sqlx::query_as(&format!(
        "update webhook_endpoints set state = 'disabled', updated_at = now(),
                disabled_reason = 'every delivery failed since ' || to_char(failing_since at time zone 'UTC',
                    'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')
         where endpoint_id = $1 and kind = 'endpoint' and state = 'enabled'
           and failing_since <= now() - make_interval(secs => $2)
         returning {ENDPOINT_COLUMNS}"
    ))
    .bind(endpoint_id)
    .bind(disable_after_secs)
    .fetch_optional(db)
    .await
}

/// Deletes up to `limit` messages older than `days` whose every delivery is finished, with
/// their deliveries and attempts; returns how many.
pub async fn prune(db: impl PgExecutor<'_>, days: f64, limit: i64) -> sqlx::Result<u64> {
    let done = sqlx::query(
        "delete from webhook_messages where message_id in (
             select m.message_id from webhook_messages m
             where m.created_at < now() - make_interval(secs => $1 * 86400)
               and not exists (select 1 from webhook_deliveries d
                               where d.message_id = m.message_id and d.state in ('pending', 'sending'))
             order by m.message_id limit $2)",
    )
    .bind(days)
    .bind(limit)
    .execute(db)
    .await?;
    Ok(done.rows_affected())
}

/// A message as one endpoint sees it: the event and how its delivery went.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MessageLogRow {
    pub msg_key: String,
    pub event_type: String,
    pub payload: String,
    pub url: Option<String>,
    pub state: String,
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
    sqlx::query_as(
        "select m.msg_key, m.event_type, m.payload, d.url, d.state, d.attempts,
                case when d.state in ('pending', 'sending') then d.next_attempt_at end as next_attempt_at,
                m.created_at
         from webhook_deliveries d join webhook_messages m using (message_id)
         where d.endpoint_id = $1 and ($2::timestamptz is null or m.created_at >= $2)
         order by d.delivery_id desc limit $3",
    )
    .bind(endpoint_id)
    .bind(since)
    .bind(limit)
    .fetch_all(db)
    .await
}

/// One logged attempt.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AttemptLogRow {
    pub attempt_id: i64,
    pub msg_key: String,
    pub event_type: String,
    pub url: Option<String>,
    pub trigger: String,
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
    sqlx::query_as(
        "select a.attempt_id, m.msg_key, m.event_type, d.url, a.trigger, a.succeeded, a.response_status,
                a.response_excerpt, a.error, a.duration_ms, a.attempted_at
         from webhook_attempts a join webhook_deliveries d using (delivery_id) join webhook_messages m using (message_id)
         where d.endpoint_id = $1 and ($2::text is null or m.msg_key = $2)
         order by a.attempt_id limit $3",
    )
    .bind(endpoint_id)
    .bind(msg_key)
    .bind(limit)
    .fetch_all(db)
    .await
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
    let state: Option<String> = sqlx::query_scalar(
        "select d.state from webhook_deliveries d join webhook_messages m using (message_id)
         where d.endpoint_id = $1 and m.msg_key = $2 for update of d",
    )
    .bind(endpoint_id)
    .bind(msg_key)
    .fetch_optional(&mut *db)
    .await?;
    match state.as_deref() {
        None => Ok(Resend::NotFound),
        Some("pending" | "sending") => Ok(Resend::InProgress),
        Some(_) => {
            sqlx::query(
                "update webhook_deliveries d set state = 'pending', trigger = 'manual', next_attempt_at = now(),
                        updated_at = now()
                 from webhook_messages m
                 where m.message_id = d.message_id and d.endpoint_id = $1 and m.msg_key = $2",
            )
            .bind(endpoint_id)
            .bind(msg_key)
            .execute(db)
            .await?;
            Ok(Resend::Queued)
        }
    }
}

/// Queues one more attempt of every failed delivery of the endpoint created since `since`;
/// returns how many.
pub async fn recover(db: impl PgExecutor<'_>, endpoint_id: i64, since: DateTime<Utc>) -> sqlx::Result<u64> {
    let done = sqlx::query(
        "update webhook_deliveries set state = 'pending', trigger = 'recovery', next_attempt_at = now(),
                updated_at = now()
         where endpoint_id = $1 and state = 'failed' and created_at >= $2",
    )
    .bind(endpoint_id)
    .bind(since)
    .execute(db)
    .await?;
    Ok(done.rows_affected())
}
