//! What RabbitMQ says about the jobs queue, from passive declares on a cached channel: ready
//! messages and consumers. (The passive declare does not count unacknowledged messages; those
//! are the deliveries workers hold, which they report in their heartbeats.)

use std::{sync::Arc, time::Duration};

use lapin::{Channel, Connection, options::QueueDeclareOptions, types::FieldTable};
use tokio::sync::Mutex;

use crate::{config::BrokerUrls, queue::Topology};

/// A broker that does not answer within this is reported unreachable.
const TIMEOUT: Duration = Duration::from_secs(2);

/// The jobs queue and its dead-letter queue as the broker sees them.
#[derive(Debug, Clone, Copy, Default)]
pub struct QueueCounts {
    pub ready: u32,
    pub consumers: u32,
    pub dead_lettered: u32,
}

/// A cached probe session: a scrape or a readiness check reuses it rather than opening a
/// connection each time. One per deployment, since each test app runs on its own runtime, which
/// owns the connection's I/O.
#[derive(Default)]
pub struct Probe(Mutex<Option<Arc<(Connection, Channel)>>>);

impl Probe {
    /// Asks the broker for the queue counts; `None` when no node can be reached.
    pub async fn counts(&self, urls: &BrokerUrls, topology: &Topology) -> Option<QueueCounts> {
        // One retry: a cached session may have died since the last probe (a node's loss).
        for _ in 0..2 {
            let session = self.session(urls).await?;
            match tokio::time::timeout(TIMEOUT, declare_both(&session.1, topology)).await {
                Ok(Ok(counts)) => return Some(counts),
                Ok(Err(e)) => tracing::debug!(error = %e, "broker probe failed"),
                Err(_) => tracing::debug!("broker probe timed out"),
            }
            self.0.lock().await.take();
        }
        None
    }

    async fn session(&self, urls: &BrokerUrls) -> Option<Arc<(Connection, Channel)>> {
        let mut cached = self.0.lock().await;
        if let Some(s) = cached.as_ref()
            && s.0.status().connected()
            && s.1.status().connected()
        {
            return Some(s.clone());
        }
        cached.take();
        // Each node gets the timeout, so that a dead first node does not hide a live second one.
        let nodes = u32::try_from(urls.all().len()).unwrap_or(u32::MAX).max(1);
        let opened = tokio::time::timeout(TIMEOUT * nodes, async {
            let session = crate::queue::connect(urls, "ipscopy-ops-probe").await?;
            let channel = session.connection.create_channel().await?;
            Ok::<_, lapin::Error>((session.connection, channel))
        })
        .await;
        match opened {
            Ok(Ok(s)) => {
                let s = Arc::new(s);
                *cached = Some(s.clone());
                Some(s)
            }
            Ok(Err(e)) => {
                tracing::debug!(error = %e, "broker unreachable for the ops probe");
                None
            }
            Err(_) => None,
        }
    }
}

async fn declare_both(channel: &Channel, topology: &Topology) -> lapin::Result<QueueCounts> {
    let jobs = passive(channel, &topology.jobs_queue).await?;
    let dead = passive(channel, &topology.dead_queue).await?;
    Ok(QueueCounts { ready: jobs.0, consumers: jobs.1, dead_lettered: dead.0 })
}

async fn passive(channel: &Channel, queue: &str) -> lapin::Result<(u32, u32)> {
    let options = QueueDeclareOptions { passive: true, ..QueueDeclareOptions::default() };
    let declared = channel.queue_declare(queue.into(), options, FieldTable::default()).await?;
    Ok((declared.message_count(), declared.consumer_count()))
}
