//! The worker role: consumes job messages, runs each job, acks after the outcome is committed.

mod decodes;
mod execute;
pub mod finalize;
mod import;
mod render;
mod rescue;
mod sources;

use std::{
    sync::{
        Arc,
        atomic::{AtomicI64, Ordering},
    },
    time::Duration,
};

use futures::StreamExt;
use ipscopy_render::Limits;
use lapin::{
    Channel, Consumer,
    message::Delivery,
    options::{BasicAckOptions, BasicConsumeOptions, BasicQosOptions, BasicRejectOptions},
    types::FieldTable,
};
use sqlx::PgPool;
use tokio_util::{sync::CancellationToken, task::TaskTracker};

pub use decodes::DecodeCache;
pub use execute::{Outcome, Timing};
pub use import::Fetcher;
pub use rescue::rescue_stale_jobs;
pub use sources::SourceCache;

use crate::{
    queue::{JobMessage, Relay, Session, SessionLog, Topology, bounded},
    storage::Storage,
};

/// How many deliveries this process's worker holds now.
#[derive(Clone, Default)]
pub struct Busy(Arc<AtomicI64>);

impl Busy {
    /// Counts one delivery in until the guard drops.
    pub fn slot(&self) -> SlotGuard {
        self.0.fetch_add(1, Ordering::Relaxed);
        SlotGuard(self.0.clone())
    }

    /// Deliveries in flight now.
    pub fn now(&self) -> i64 {
        self.0.load(Ordering::Relaxed).max(0)
    }
}

/// A delivery counted in [`Busy`] until dropped.
#[must_use = "the slot is released when the guard is dropped"]
pub struct SlotGuard(Arc<AtomicI64>);

impl Drop for SlotGuard {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

const RECONNECT_DELAY: Duration = Duration::from_secs(1);

/// What a job needs to run.
#[derive(Clone)]
pub struct JobContext {
    pub pool: PgPool,
    pub storage: Storage,
    pub limits: Arc<Limits>,
    /// Woken when a retry is scheduled, so the relay sees it.
    pub relay: Relay,
    pub timing: Timing,
    /// Renders allowed at once: CPU-bound work is capped at the cores, while many more jobs
    /// wait on S3 and PostgreSQL.
    pub render_permits: Arc<tokio::sync::Semaphore>,
    /// Masters fetched recently, for the next copies of them.
    pub sources: SourceCache,
    /// Masters decoded recently, for the next copies that decode them alike.
    pub decodes: DecodeCache,
    /// Fetches the sources of imports.
    pub fetcher: Fetcher,
}

/// Consumes the jobs queue with a bounded number of jobs in flight.
pub struct Worker {
    pub ctx: JobContext,
    pub amqp_url: crate::config::BrokerUrls,
    /// Deliveries in flight now, which the registry heartbeat and `/metrics` report.
    pub busy: Busy,
    pub topology: Topology,
    /// Jobs run at once; also the RabbitMQ prefetch, so the broker never hands this worker more
    /// than it can start.
    pub slots: usize,
    /// How long in-flight jobs may take to finish at shutdown.
    pub shutdown_timeout: Duration,
}

impl Worker {
    /// Runs until `shutdown`; then stops taking deliveries and finishes the jobs in flight.
    pub async fn run(self, shutdown: CancellationToken) {
        let in_flight = TaskTracker::new();
        let mut log = SessionLog::new("worker");
        let mut open = None;
        while !shutdown.is_cancelled() {
            match self.session(&shutdown, &in_flight, &mut log).await {
                Ok(session) => {
                    open = session;
                    break;
                }
                Err(e) => {
                    log.failed(&e);
                    tokio::select! {
                        () = shutdown.cancelled() => {}
                        () = tokio::time::sleep(RECONNECT_DELAY) => {}
                    }
                }
            }
        }
        // One drain, whichever way the consuming ended; the connection stays open meanwhile so
        // the jobs can acknowledge their deliveries.
        in_flight.close();
        tracing::info!(jobs = in_flight.len(), "worker draining in-flight jobs");
        if tokio::time::timeout(self.shutdown_timeout, in_flight.wait()).await.is_err() {
            // Their deliveries go back to the queue when the connection closes; the rescuer
            // re-runs their jobs once their heartbeats stop.
            tracing::warn!(
                jobs = in_flight.len(),
                "worker stopped with jobs unfinished; they will run again"
            );
        }
        if let Some(Consuming { session, .. }) = open {
            crate::queue::close(session.connection).await;
        }
        tracing::info!("worker stopped");
    }

    /// Consumes until `shutdown` (then hands back the open session) or a broker error.
    async fn session(
        &self,
        shutdown: &CancellationToken,
        in_flight: &TaskTracker,
        log: &mut SessionLog,
    ) -> anyhow::Result<Option<Consuming>> {
        let opened = tokio::select! {
            () = shutdown.cancelled() => return Ok(None),
            opened = self.open() => opened?,
        };
        let Consuming { session, channel, mut consumer } = opened;
        log.connected(&session.node);
        tracing::info!(queue = %self.topology.jobs_queue, slots = self.slots, "worker consuming");
        loop {
            let delivery = tokio::select! {
                () = shutdown.cancelled() => return Ok(Some(Consuming { session, channel, consumer })),
                next = consumer.next() => match next {
                    Some(delivery) => delivery?,
                    None => anyhow::bail!("the broker cancelled the consumer"),
                },
            };
            let ctx = self.ctx.clone();
            in_flight.spawn(handle(ctx, self.busy.slot(), delivery));
        }
    }
}

impl Worker {
    /// Connects, declares the topology and starts consuming with a prefetch of the slots.
    async fn open(&self) -> anyhow::Result<Consuming> {
        let (session, channel) = crate::queue::open(&self.amqp_url, "worker", &self.topology).await?;
        let prefetch = u16::try_from(self.slots).unwrap_or(u16::MAX);
        bounded("setting the prefetch", channel.basic_qos(prefetch, BasicQosOptions::default())).await?;
        let consumer = bounded(
            "starting the consumer",
            channel.basic_consume(
                self.topology.jobs_queue.as_str().into(),
                format!("ipscopy-worker-{}", uuid::Uuid::new_v4()).into(),
                BasicConsumeOptions::default(),
                FieldTable::default(),
            ),
        )
        .await?;
        Ok(Consuming { session, channel, consumer })
    }
}

/// A worker's broker session while it consumes.
struct Consuming {
    session: Session,
    /// Held so the channel outlives the drain at shutdown.
    channel: Channel,
    consumer: Consumer,
}

async fn handle(ctx: JobContext, _slot: SlotGuard, delivery: Delivery) {
    let Ok(JobMessage { job_id }) = serde_json::from_slice(&delivery.data) else {
        tracing::error!(body = %String::from_utf8_lossy(&delivery.data), "dead-lettering a malformed job message");
        let _ = delivery.reject(BasicRejectOptions { requeue: false }).await;
        return;
    };
    // A panic inside the job stays inside its task; the delivery then goes back to the queue
    // and counts towards the delivery limit that dead-letters a crash loop.
    let outcome = tokio::spawn(execute::run(ctx, job_id)).await;
    let acked = match outcome {
        Ok(Ok(Outcome::Unknown)) => {
            tracing::error!(job_id, "dead-lettering a message for a job that does not exist");
            delivery.reject(BasicRejectOptions { requeue: false }).await
        }
        Ok(Ok(_)) => delivery.ack(BasicAckOptions::default()).await,
        Ok(Err(e)) => {
            tracing::warn!(job_id, error = format!("{e:#}"), "job outcome not recorded; requeueing");
            tokio::time::sleep(RECONNECT_DELAY).await;
            delivery.reject(BasicRejectOptions { requeue: true }).await
        }
        Err(panic) => {
            tracing::error!(job_id, error = %panic, "job panicked; requeueing");
            delivery.reject(BasicRejectOptions { requeue: true }).await
        }
    };
    if let Err(e) = acked {
        tracing::warn!(job_id, error = %e, "could not acknowledge the delivery; it will be redelivered");
    }
}
