//! The outbox relay: publishes due outbox rows to RabbitMQ with publisher confirms and deletes
//! them only once every message of the batch is confirmed. A crash between publish and delete
//! publishes again; the worker's conditional claim makes the duplicate harmless.

use std::{sync::Arc, time::Duration};

use anyhow::bail;
use futures::future::try_join_all;
use lapin::{
    BasicProperties, Channel,
    options::{BasicPublishOptions, ConfirmSelectOptions},
};
use sqlx::PgPool;
use tokio::sync::{Notify, broadcast};
use tokio_util::sync::CancellationToken;

use super::{BrokerHealth, JobMessage, SessionLog, Topology, bounded};
use crate::{config::BrokerUrls, db::outbox};

/// Rows published per transaction.
const BATCH: i64 = 500;
/// The relay looks at the outbox at least this often, for retries that come due and for rows
/// written by other processes.
const POLL: Duration = Duration::from_secs(1);
/// After a job finishes, the relay waits this long for more to finish before refilling the
/// window: under load hundreds finish per second, and one publish round per finished job costs
/// PostgreSQL a transaction each. The window holds far more than this pause's worth of work.
const SETTLE: Duration = Duration::from_millis(50);
/// Pause after a failed broker or database session before trying again.
const RECONNECT_DELAY: Duration = Duration::from_secs(1);

/// Moves jobs from the PostgreSQL outbox to the jobs queue.
#[derive(Clone)]
pub struct Relay {
    pool: PgPool,
    amqp_url: BrokerUrls,
    topology: Topology,
    wake: Arc<Notify>,
    health: BrokerHealth,
    window: i64,
    finals: broadcast::Sender<i64>,
}

impl Relay {
    /// A relay keeping at most `window` unfinished jobs in the broker; `finals` announces
    /// finished jobs, each of which frees room in the window.
    pub fn new(
        pool: PgPool,
        amqp_url: BrokerUrls,
        topology: Topology,
        window: u32,
        finals: broadcast::Sender<i64>,
    ) -> Self {
        Self {
            pool,
            amqp_url,
            topology,
            wake: Arc::new(Notify::new()),
            health: BrokerHealth::default(),
            window: i64::from(window.max(1)),
            finals,
        }
    }

    /// Whether the relay's broker session is up.
    pub fn health(&self) -> BrokerHealth {
        self.health.clone()
    }

    /// Asks the relay to look at the outbox now (called after a submit commits).
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// Runs until `shutdown`, reconnecting after broker or database failures.
    pub async fn run(self, shutdown: CancellationToken) {
        let mut log = SessionLog::new("outbox relay");
        while !shutdown.is_cancelled() {
            let result = self.session(&shutdown, &mut log).await;
            self.health.set(false);
            match result {
                Ok(()) => break,
                Err(e) => {
                    log.failed(&e);
                    tokio::select! {
                        () = shutdown.cancelled() => break,
                        () = tokio::time::sleep(RECONNECT_DELAY) => {}
                    }
                }
            }
        }
        tracing::info!("outbox relay stopped");
    }

    async fn session(&self, shutdown: &CancellationToken, log: &mut SessionLog) -> anyhow::Result<()> {
        let opened = tokio::select! {
            () = shutdown.cancelled() => return Ok(()),
            opened = self.open() => opened?,
        };
        let (session, channel) = opened;
        self.publish_until(shutdown, &channel, log, &session.node).await?;
        super::close(session.connection).await;
        Ok(())
    }

    /// Connects and opens a confirming channel.
    async fn open(&self) -> anyhow::Result<(super::Session, Channel)> {
        let (session, channel) = super::open(&self.amqp_url, "relay", &self.topology).await?;
        bounded("turning on publisher confirms", channel.confirm_select(ConfirmSelectOptions::default()))
            .await?;
        Ok((session, channel))
    }

    async fn publish_until(
        &self,
        shutdown: &CancellationToken,
        channel: &Channel,
        log: &mut SessionLog,
        node: &str,
    ) -> anyhow::Result<()> {
        self.health.set(true);
        log.connected(node);
        let mut finals = self.finals.subscribe();
        loop {
            while self.publish_batch(channel).await? == BATCH as usize && !shutdown.is_cancelled() {}
            tokio::select! {
                () = shutdown.cancelled() => return Ok(()),
                () = self.wake.notified() => {}
                _ = finals.recv() => {
                    tokio::select! {
                        () = shutdown.cancelled() => return Ok(()),
                        () = tokio::time::sleep(SETTLE) => {}
                    }
                    while finals.try_recv().is_ok() {}
                }
                () = tokio::time::sleep(POLL) => {}
            }
        }
    }

    /// Publishes one batch of due rows; returns how many were published.
    async fn publish_batch(&self, channel: &Channel) -> anyhow::Result<usize> {
        let mut tx = self.pool.begin().await?;
        let room = (self.window - outbox::in_broker(&mut tx).await?).min(BATCH);
        if room <= 0 {
            return Ok(0);
        }
        let rows = outbox::lock_due_fairly(&mut tx, room, room).await?;
        if rows.is_empty() {
            return Ok(0);
        }
        let confirms = rows.iter().map(|&(_, job_id)| async move {
            let body = serde_json::to_vec(&JobMessage { job_id })?;
            // Unbounded, a broker that stops confirming (a resource alarm blocks publishers)
            // would hold this transaction open for ever; given up, the rows stay due.
            let confirm = bounded("publishing a job message", async {
                channel
                    .basic_publish(
                        "".into(),
                        self.topology.jobs_queue.as_str().into(),
                        BasicPublishOptions { mandatory: true, ..BasicPublishOptions::default() },
                        &body,
                        BasicProperties::default()
                            .with_delivery_mode(2)
                            .with_content_type("application/json".into()),
                    )
                    .await?
                    .await
            })
            .await?;
            if !confirm.is_ack() || confirm.take_message().is_some() {
                bail!("RabbitMQ did not accept the message for job {job_id}");
            }
            Ok(())
        });
        try_join_all(confirms).await?;
        let ids: Vec<i64> = rows.iter().map(|&(id, _)| id).collect();
        let jobs: Vec<i64> = rows.iter().map(|&(_, job)| job).collect();
        outbox::delete(&mut tx, &ids).await?;
        outbox::mark_published(&mut tx, &jobs).await?;
        tx.commit().await?;
        crate::metrics::published(rows.len());
        tracing::debug!(count = rows.len(), "published jobs");
        Ok(rows.len())
    }
}
