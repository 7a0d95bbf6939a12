//! The figures an operator watches, computed when asked: queue depth from the broker, jobs by
//! state, the oldest waiting job, outbox lag and webhook backlog from PostgreSQL, and the workers.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::PgPool;
use utoipa::ToSchema;

use super::{OpsState, workers};
use crate::{
    db::{self, figures::Waiting},
    domain::{CompanyHandle, DeliveryState, JobHandle, JobState},
    webhook::EndpointHandle,
};

/// Most failed jobs listed.
const RECENT_FAILURES: i64 = 20;

/// Everything `/v1/queues` answers and `/metrics` exports as gauges.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Figures {
    /// The jobs queue's name.
    pub queue: String,
    pub broker: BrokerFigures,
    /// Jobs by state (every state is present, zero when none).
    pub jobs: BTreeMap<String, i64>,
    /// Queued jobs whose retry is scheduled later.
    pub scheduled_retries: i64,
    /// How long the oldest due queued job has been waiting, in seconds (`null` when none waits).
    pub oldest_queued_age_seconds: Option<f64>,
    pub outbox: OutboxFigures,
    pub webhooks: WebhookFigures,
    pub fleet: FleetFigures,
    pub workers: Vec<workers::WorkerRow>,
    /// The last failed jobs, newest first.
    pub recent_failures: Vec<Failure>,
    /// When these figures were taken.
    pub at: DateTime<Utc>,
}

/// The jobs queue as RabbitMQ reports it.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BrokerFigures {
    /// Whether the broker answered the passive declares.
    pub reachable: bool,
    /// Messages waiting for a consumer.
    pub ready: Option<u32>,
    /// Messages delivered to workers and not acknowledged yet (from worker heartbeats, since a
    /// passive declare does not count them).
    pub unacked: i64,
    pub consumers: Option<u32>,
    /// Messages in the dead-letter queue (crash loops, malformed messages).
    pub dead_lettered: Option<u32>,
}

/// Jobs written but not yet handed to the broker.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OutboxFigures {
    /// Rows waiting, due or scheduled.
    pub rows: i64,
    /// Rows due now.
    pub due: i64,
    /// Age of the oldest due row, in seconds: how far the relay is behind.
    pub lag_seconds: f64,
}

/// The webhook sender's backlog and outcomes.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WebhookFigures {
    /// Deliveries by state.
    pub deliveries: BTreeMap<String, i64>,
    /// Age of the oldest due pending delivery, in seconds.
    pub oldest_due_age_seconds: f64,
    /// The endpoints with due deliveries, most first: at most `IPSCOPY_METRICS_ENDPOINT_LABELS`
    /// of them, then one entry without a handle summing the rest.
    pub endpoints: Vec<EndpointBacklog>,
}

/// One endpoint's backlog: deliveries due and not yet delivered (in flight included).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EndpointBacklog {
    /// The endpoint, or `null` for the endpoints past the bound, summed.
    pub webhook_handle: Option<EndpointHandle>,
    pub due_deliveries: i64,
    /// Age of the endpoint's oldest due delivery, in seconds.
    pub oldest_due_age_seconds: f64,
}

/// The live workers, added up.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct FleetFigures {
    pub workers: i64,
    pub slots: i64,
    pub busy: i64,
}

/// A job that failed for good.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Failure {
    pub job_handle: String,
    pub company_handle: String,
    pub code: Option<String>,
    pub reason: Option<String>,
    pub attempts: i32,
    pub finished_at: Option<DateTime<Utc>>,
}

/// Takes the figures of the deployment.
pub async fn take(state: &OpsState) -> sqlx::Result<Figures> {
    let (pool, deployment) = (&state.pool, &state.deployment);
    let (counts, jobs, waiting, outbox, webhooks, workers, recent_failures) = tokio::join!(
        deployment.probe.counts(&deployment.amqp_url, &deployment.topology),
        db::figures::job_states(pool),
        db::figures::waiting(pool),
        db::figures::outbox(pool),
        webhooks(pool, deployment.endpoint_labels),
        workers::list(pool),
        failures(pool),
    );
    let jobs = by_name(JobState::ALL, jobs?);
    let Waiting { scheduled_retries, oldest_due_age_seconds: oldest_queued_age_seconds } = waiting?;
    let outbox = outbox?;
    let workers = workers?;
    let live = workers.iter().filter(|w| w.alive);
    let fleet = FleetFigures {
        workers: live.clone().count() as i64,
        slots: live.clone().map(|w| i64::from(w.slots)).sum(),
        busy: live.map(|w| i64::from(w.busy)).sum(),
    };
    Ok(Figures {
        queue: deployment.topology.jobs_queue.clone(),
        broker: BrokerFigures {
            reachable: counts.is_some(),
            ready: counts.map(|c| c.ready),
            unacked: fleet.busy,
            consumers: counts.map(|c| c.consumers),
            dead_lettered: counts.map(|c| c.dead_lettered),
        },
        jobs,
        scheduled_retries,
        oldest_queued_age_seconds,
        outbox: OutboxFigures { rows: outbox.rows, due: outbox.due, lag_seconds: outbox.lag_seconds },
        webhooks: webhooks?,
        fleet,
        workers,
        recent_failures: recent_failures?,
        at: Utc::now(),
    })
}

/// Counts keyed by name, with every one of `all` present (zero when none).
fn by_name<T: std::fmt::Display>(all: &[T], counts: Vec<(T, i64)>) -> BTreeMap<String, i64> {
    let mut named: BTreeMap<String, i64> = all.iter().map(|s| (s.to_string(), 0)).collect();
    for (state, n) in counts {
        named.insert(state.to_string(), n);
    }
    named
}

async fn webhooks(pool: &PgPool, endpoint_labels: i64) -> sqlx::Result<WebhookFigures> {
    let deliveries = by_name(DeliveryState::ALL, db::figures::delivery_states(pool).await?);
    let oldest_due_age_seconds = db::figures::oldest_due_delivery_age(pool).await?;
    let endpoints = db::figures::endpoint_backlogs(pool, endpoint_labels)
        .await?
        .into_iter()
        .map(|e| EndpointBacklog {
            webhook_handle: e.endpoint_id.map(EndpointHandle),
            due_deliveries: e.due,
            oldest_due_age_seconds: e.oldest_due_age_seconds,
        })
        .collect();
    Ok(WebhookFigures { deliveries, oldest_due_age_seconds, endpoints })
}

async fn failures(pool: &PgPool) -> sqlx::Result<Vec<Failure>> {
    let rows = db::figures::recent_failures(pool, RECENT_FAILURES).await?;
    Ok(rows
        .into_iter()
        .map(|f| Failure {
            job_handle: JobHandle { company_id: f.company_id, job_id: f.job_id }.to_string(),
            company_handle: CompanyHandle(f.company_id).to_string(),
            code: f.error_code,
            reason: f.error_reason,
            attempts: f.attempts,
            finished_at: f.finished_at,
        })
        .collect())
}
