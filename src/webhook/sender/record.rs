//! What the sender writes after an attempt: accepted deliveries in batches, a failure with
//! what comes next (a retry, the message's end, or the endpoint's).

use std::time::Duration;

use chrono::Utc;
use reqwest::StatusCode;
use sqlx::PgPool;
use uuid::Uuid;

use super::{Response, Sender};
use crate::{
    db::webhooks::{self as store, AttemptRecord, Claimed, Delivered},
    domain::{DeliveryTrigger, EndpointKind},
    webhook::{EndpointHandle, events},
};

/// Most accepted deliveries one statement records.
pub(super) const BATCH: usize = 512;

impl Sender {
    /// Logs a failed attempt and decides what comes next, in one transaction: a retry on the
    /// schedule, the message's end, or the endpoint's.
    pub(super) async fn record_failure(
        &self,
        delivery: &Claimed,
        response: &Response,
        elapsed: Duration,
    ) -> anyhow::Result<()> {
        let mut tx = self.pool.begin().await?;
        store::insert_attempt(
            &mut *tx,
            &AttemptRecord {
                delivery_id: delivery.delivery_id,
                trigger: delivery.trigger,
                succeeded: false,
                response_status: response.status.map(|s| s.as_u16()),
                response_excerpt: response.excerpt.as_deref(),
                error: response.error.as_deref(),
                duration_ms: elapsed.as_millis().min(i32::MAX as u128) as i32,
            },
        )
        .await?;
        let is_endpoint = delivery.kind == EndpointKind::Endpoint;
        let gone = response.status == Some(StatusCode::GONE);
        let disable_asked = response.control.as_deref() == Some("disable");
        let scheduled = delivery.trigger == DeliveryTrigger::Scheduled;
        let mut retry_in = None;
        if is_endpoint && (gone || disable_asked) {
            let reason =
                if gone { "the endpoint answered 410 Gone" } else { "the endpoint asked to be disabled" };
            store::set_enabled(&mut *tx, delivery.endpoint_id, false, Some(reason)).await?;
            tracing::warn!(status = ?response.status, reason, "webhook endpoint disabled at its own request");
        } else {
            let abort = gone || response.control.as_deref() == Some("abort-message");
            if scheduled && !abort {
                retry_in = self.next_delay(delivery, response);
                if retry_in.is_none() {
                    tracing::warn!("webhook message failed: every scheduled attempt failed");
                }
            }
            if let Some(disabled) =
                store::endpoint_failed(&mut tx, delivery.endpoint_id, self.disable_after.as_secs_f64())
                    .await?
            {
                let reason = disabled.disabled_reason.clone().unwrap_or_default();
                tracing::warn!(reason, "webhook endpoint disabled after failing continuously");
                let handle = EndpointHandle(disabled.endpoint_id);
                let url = disabled.url.as_deref();
                let payload = || events::endpoint_disabled_payload(handle, url, &reason, Utc::now());
                crate::webhook::emit(&mut tx, disabled.company_id, "endpoint.disabled", payload, None, None)
                    .await?;
            }
        }
        if store::finish_failed(&mut *tx, self.id, delivery.delivery_id, retry_in, scheduled).await? {
            tx.commit().await?;
            tracing::info!(
                status = response.status.map(|s| s.as_u16()),
                error = response.error.as_deref(),
                elapsed_ms = elapsed.as_millis() as u64,
                retry_in_s = retry_in,
                "webhook attempt"
            );
        } else {
            tracing::warn!("webhook delivery was taken over by another sender; attempt not recorded");
        }
        Ok(())
    }

    /// The wait before the next scheduled attempt, stretched to what `Retry-After` asks on a
    /// 429 or 503; `None` when the schedule is exhausted.
    fn next_delay(&self, delivery: &Claimed, response: &Response) -> Option<f64> {
        let failed = usize::try_from(delivery.scheduled_steps).unwrap_or(0) + 1;
        let mut delay = self.schedule.delay_after(failed, rand::random())?;
        let slow_down =
            matches!(response.status, Some(StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE));
        if let (true, Some(asked)) = (slow_down, response.retry_after) {
            delay = delay.max(asked);
        }
        Some(delay.as_secs_f64())
    }
}

/// Records a batch of accepted deliveries in one statement and empties it.
pub(super) async fn delivered(pool: &PgPool, me: Uuid, batch: &mut Vec<Delivered>) {
    match store::finish_delivered(pool, me, batch).await {
        Ok(held) if held < batch.len() as u64 => tracing::warn!(
            taken_over = batch.len() as u64 - held,
            "webhook deliveries were taken over by another sender; their attempts not recorded"
        ),
        Ok(_) => {}
        // Their leases run out and they are sent again: receivers dedupe on webhook-id.
        Err(e) => tracing::warn!(error = %e, deliveries = batch.len(), "recording webhook attempts failed"),
    }
    batch.clear();
}
