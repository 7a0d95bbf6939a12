//! Webhooks: events for finished jobs, written in the transaction that finalizes the job, then
//! signed (Standard Webhooks 1.0), delivered, retried and logged by the sender.

pub mod events;
pub mod guard;
pub mod handle;
pub mod sender;
pub mod signing;

use chrono::Utc;
use sqlx::PgConnection;

pub use guard::AddressPolicy;
pub use handle::EndpointHandle;
pub use sender::Sender;
pub use signing::Secret;

pub use crate::db::webhooks::NOTIFY_CHANNEL;
use crate::{
    db::{
        self,
        assets::ImageFacts,
        jobs::{JobRow, SuccessEvent},
    },
    domain::{EndpointState, JobKind, JobState},
};

/// How a job ended, as a webhook event type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobEvent {
    Succeeded,
    Failed,
    Cancelled,
}

impl JobEvent {
    /// The event type name sent to endpoints for a job of `kind`. An import cancelled before it
    /// fetched is, for its subscribers, an import that failed (its state says why).
    pub fn event_type(self, kind: JobKind) -> &'static str {
        match (kind, self) {
            (JobKind::Copy, JobEvent::Succeeded) => "copy.succeeded",
            (JobKind::Copy, JobEvent::Failed) => "copy.failed",
            (JobKind::Copy, JobEvent::Cancelled) => "copy.cancelled",
            (JobKind::Import, JobEvent::Succeeded) => "asset.imported",
            (JobKind::Import, JobEvent::Failed | JobEvent::Cancelled) => "asset.import_failed",
        }
    }
}

/// A new `webhook-id`: unique, and reused by every attempt of the message.
pub fn new_msg_key() -> String {
    format!("msg_{}", uuid::Uuid::new_v4().simple())
}

/// Whether `text` has the shape of a `webhook-id` we issue: anything else names no message, and
/// is not worth a query (text with a NUL byte would not even reach PostgreSQL).
pub fn is_msg_key(text: &str) -> bool {
    text.strip_prefix("msg_").is_some_and(|hex| hex.len() == 32 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// Records the event of a job that just reached a final state, inside the caller's
/// transaction, so no finished job misses its event (see [`emit`]).
pub async fn job_finished(tx: &mut PgConnection, job: &JobRow, event: JobEvent) -> sqlx::Result<()> {
    let event_type = event.event_type(job.kind);
    let facts = db::jobs::facts(&mut *tx, job.job_id).await?;
    let ids = events::JobIds::of(job);
    let payload = || events::job_payload(&ids, event, &facts, Utc::now());
    let callback = facts.callback_url.as_deref();
    emit(tx, job.company_id, event_type, payload, callback, Some(job.job_id)).await
}

/// The success event (`copy.succeeded` or `asset.imported`) of `job` whose copy `facts` describe, ready for the one-statement
/// success ([`db::jobs::succeed_at_once`]), which stores it only if an endpoint wants it.
pub fn success_event(job: &JobRow, facts: &ImageFacts<'_>) -> SuccessEvent {
    let facts = events::JobFacts {
        state: JobState::Succeeded,
        error_code: None,
        error_reason: None,
        callback_url: None,
        width: Some(facts.width as i32),
        height: Some(facts.height as i32),
        file_size: Some(facts.file_size as i64),
        format: Some(facts.format.to_string()),
    };
    let payload = events::job_payload(&events::JobIds::of(job), JobEvent::Succeeded, &facts, Utc::now());
    SuccessEvent { msg_key: new_msg_key(), event_type: JobEvent::Succeeded.event_type(job.kind), payload }
}

/// Records an event of `company` in the caller's transaction: one message, one pending
/// delivery per enabled endpoint that wants `event_type`, and one for `callback_url`. The
/// payload (a whole `{type, timestamp, data}` body) is only built when someone will get it.
pub async fn emit(
    tx: &mut PgConnection,
    company_id: i64,
    event_type: &str,
    payload: impl FnOnce() -> String,
    callback_url: Option<&str>,
    job_id: Option<i64>,
) -> sqlx::Result<()> {
    let subscribed = db::webhooks::any_wants(&mut *tx, company_id, event_type).await?;
    // Most events of companies without webhooks end here, at the cost of one indexed lookup.
    if !subscribed && callback_url.is_none() {
        return Ok(());
    }
    let message_id =
        db::webhooks::insert_message(&mut *tx, &new_msg_key(), company_id, event_type, &payload(), job_id)
            .await?;
    db::webhooks::fan_out(&mut *tx, message_id, company_id, event_type).await?;
    if let Some(url) = callback_url {
        let secret = Secret::generate();
        let callback = db::webhooks::callback_endpoint(tx, company_id, secret.expose(), None).await?;
        if callback.state == EndpointState::Enabled {
            db::webhooks::insert_callback_delivery(&mut *tx, message_id, callback.endpoint_id, url).await?;
        }
    }
    notify(tx).await
}

/// Wakes every sender when the transaction commits.
pub async fn notify(tx: &mut PgConnection) -> sqlx::Result<()> {
    db::webhooks::notify(tx).await
}
