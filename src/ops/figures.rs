//! The figures an operator watches, computed when asked: queue depth from the broker, jobs by
//! state, the oldest waiting job, outbox lag and webhook backlog from PostgreSQL, and the workers.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::PgPool;
use utoipa::ToSchema;

use super::{OpsState, workers};
use crate::domain::{CompanyHandle, JobHandle};

/// Job states, in the order they are shown.
pub const JOB_STATES: [&str; 5] = ["queued", "running", "succeeded", "failed", "cancelled"];
/// Webhook delivery states.
pub const DELIVERY_STATES: [&str; 4] = ["pending", "sending", "succeeded", "failed"];

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
    let (counts, mut jobs, waiting, outbox, webhooks, workers, recent_failures) = tokio::join!(
        deployment.probe.counts(&deployment.amqp_url, &deployment.topology),
        states(pool),
        waiting(pool),
        outbox(pool),
        webhooks(pool),
        workers::list(pool),
        failures(pool),
    );
    let jobs = {
        for state in JOB_STATES {
            if let Ok(j) = jobs.as_mut() {
                j.entry(state.to_string()).or_insert(0);
            }
        }
        jobs?
    };
    let (scheduled_retries, oldest_queued_age_seconds) = waiting?;
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
        outbox: outbox?,
        webhooks: webhooks?,
        fleet,
        workers,
        recent_failures: recent_failures?,
        at: Utc::now(),
    })
}

async fn states(pool: &PgPool) -> sqlx::Result<BTreeMap<String, i64>> {
    let rows: Vec<(String, i64)> =
        sqlx::query_as("select state, count(*) from jobs group by state").fetch_all(pool).await?;
    Ok(rows.into_iter().collect())
}

/// Scheduled retries, and the age of the oldest queued job that is due: a retry waits from the
/// time it came due, a fresh job from its submission.
async fn waiting(pool: &PgPool) -> sqlx::Result<(i64, Option<f64>)> {
    sqlx::query_as(
        "select count(*) filter (where next_attempt_at > now()),
                extract(epoch from now() - min(coalesce(next_attempt_at, created_at))
                    filter (where next_attempt_at is null or next_attempt_at <= now()))::float8
         from jobs where state = 'queued'",
    )
    .fetch_one(pool)
    .await
}

async fn outbox(pool: &PgPool) -> sqlx::Result<OutboxFigures> {
    let (rows, due, lag_seconds) = sqlx::query_as(
        "select count(*), count(*) filter (where available_at <= now()),
                coalesce(extract(epoch from now() - min(available_at) filter (where available_at <= now())), 0)::float8
         from outbox",
    )
    .fetch_one(pool)
    .await?;
    Ok(OutboxFigures { rows, due, lag_seconds })
}

async fn webhooks(pool: &PgPool) -> sqlx::Result<WebhookFigures> {
    let rows: Vec<(String, i64)> =
        sqlx::query_as("select state, count(*) from webhook_deliveries group by state")
            .fetch_all(pool)
            .await?;
    let mut deliveries: BTreeMap<String, i64> = rows.into_iter().collect();
    for state in DELIVERY_STATES {
        deliveries.entry(state.to_string()).or_insert(0);
    }
    let oldest_due_age_seconds = sqlx::query_scalar(
        "select coalesce(extract(epoch from now() - min(next_attempt_at)), 0)::float8
         from webhook_deliveries where state in ('pending', 'sending') and next_attempt_at <= now()",
    )
    .fetch_one(pool)
    .await?;
    Ok(WebhookFigures { deliveries, oldest_due_age_seconds })
}

/// company, job, code, reason, attempts, finished.
type FailureRow = (i64, i64, Option<String>, Option<String>, i32, Option<DateTime<Utc>>);

async fn failures(pool: &PgPool) -> sqlx::Result<Vec<Failure>> {
    let rows: Vec<FailureRow> = sqlx::query_as(
        "select company_id, job_id, error_code, error_reason, attempts, finished_at
         from jobs where state = 'failed' and finished_at is not null
         order by finished_at desc limit 20",
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(company_id, job_id, code, reason, attempts, finished_at)| Failure {
            job_handle: JobHandle { company_id, job_id }.to_string(),
            company_handle: CompanyHandle(company_id).to_string(),
            code,
            reason,
            attempts,
            finished_at,
        })
        .collect())
}
