//! A success in one statement: the job, its asset, its event and the announcements.

use sqlx::PgExecutor;

use super::FINAL_CHANNEL;
use crate::db::assets::ImageFacts;

/// What [`succeed_at_once`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuietSuccess {
    /// The job succeeded, its asset is ready, its success event is queued for every
    /// endpoint that wants it, and its end is announced on [`FINAL_CHANNEL`].
    Recorded,
    /// The job was no longer in this attempt: nothing changed.
    Stale,
    /// The job has a callbackUrl, whose delivery needs the company's callback endpoint: nothing
    /// changed, so the caller records the success in a transaction that writes the event too.
    Callback,
}

/// A success event (`copy.succeeded`, `asset.imported`) made before the success is written:
/// the statement stores it only if an endpoint wants it.
#[derive(Debug, Clone)]
pub struct SuccessEvent {
    pub msg_key: String,
    pub event_type: &'static str,
    pub payload: String,
}

/// Records the success of attempt `attempt` in one statement: job, asset, the event with one
/// delivery per endpoint that wants it (and the senders' wake-up), and the final-state
/// announcement. Bulk copies end here, observed or not: one autocommitted statement costs
/// PostgreSQL far less than a transaction of ten.
pub async fn succeed_at_once(
    db: impl PgExecutor<'_>,
    job_id: i64,
    attempt: i32,
    facts: &ImageFacts<'_>,
    event: &SuccessEvent,
) -> sqlx::Result<QuietSuccess> {
    let row = sqlx::query!(
        r#"with callback as (
             select j.callback_url is not null as yes from jobs j where j.job_id = $1),
         done as (
             update jobs set state = 'succeeded', finished_at = now(), updated_at = now(),
                    error_code = null, error_reason = null
             where job_id = $1 and state = 'running' and attempts = $2 and not (select yes from callback)
             returning company_id, target_asset_id, pg_notify($8, job_id::text)),
         ready as (
             update assets a set state = 'ready', object_key = $3, width = $4, height = $5, file_size = $6,
                    format = $7, updated_at = now()
             from done where a.asset_id = done.target_asset_id and a.state = 'pending'),
         wanting as (
             select e.endpoint_id from webhook_endpoints e join done on e.company_id = done.company_id
             where endpoint_wants(e, $12)),
         message as (
             insert into webhook_messages (msg_key, company_id, event_type, payload, job_id)
             select $9, done.company_id, $12, $10, $1 from done
             where exists (select 1 from wanting)
             returning message_id),
         queued as (
             insert into webhook_deliveries (message_id, endpoint_id)
             select message.message_id, wanting.endpoint_id from message cross join wanting),
         woken as (select pg_notify($11, '') from message)
         select (select yes from callback) as callback, exists (select 1 from done) as "recorded!",
                (select count(*) from woken) as "woken!""#,
        job_id,
        attempt,
        facts.object_key,
        facts.width as i32,
        facts.height as i32,
        facts.file_size as i64,
        facts.format,
        FINAL_CHANNEL,
        event.msg_key,
        event.payload,
        crate::db::webhooks::NOTIFY_CHANNEL,
        event.event_type
    )
    .fetch_one(db)
    .await?;
    Ok(match (row.callback, row.recorded) {
        (_, true) => QuietSuccess::Recorded,
        (Some(true), false) => QuietSuccess::Callback,
        _ => QuietSuccess::Stale,
    })
}
