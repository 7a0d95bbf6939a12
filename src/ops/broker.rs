//! What RabbitMQ says about the jobs queue, from passive declares on a cached channel: ready
//! messages and consumers. (The passive declare does not count unacknowledged messages; those
//! are the deliveries workers hold, which they report in their heartbeats.)

use std::{
    collections::HashMap,
    sync::{Arc, LazyLock},
    time::Duration,
};

use lapin::{Channel, Connection, options::QueueDeclareOptions, types::FieldTable};
use tokio::sync::Mutex;

use crate::queue::Topology;

/// A broker that does not answer within this is reported unreachable.
const TIMEOUT: Duration = Duration::from_secs(2);

/// The jobs queue and its dead-letter queue as the broker sees them.
#[derive(Debug, Clone, Copy, Default)]
pub struct QueueCounts {
    pub ready: u32,
    pub consumers: u32,
    pub dead_lettered: u32,
}

type Session = (Connection, Channel);
/// Sessions by (broker URL, deployment).
type Sessions = HashMap<(String, String), Arc<Session>>;

/// One probe session per (broker URL, deployment): a scrape or a status refresh reuses it rather
/// than opening a connection each time. Keyed by deployment too because each test app runs on its
/// own runtime, which owns the connection's I/O.
static SESSIONS: LazyLock<Mutex<Sessions>> = LazyLock::new(Default::default);

/// Asks the broker for the queue counts; `None` when it cannot be reached.
pub async fn counts(amqp_url: &str, deployment: &str, topology: &Topology) -> Option<QueueCounts> {
    let key = (amqp_url.to_string(), deployment.to_string());
    // One retry: a cached session may have died since the last probe (broker restart).
    for _ in 0..2 {
        let session = session(&key).await?;
        match tokio::time::timeout(TIMEOUT, declare_both(&session.1, topology)).await {
            Ok(Ok(counts)) => return Some(counts),
            Ok(Err(e)) => tracing::debug!(error = %e, "broker probe failed"),
            Err(_) => tracing::debug!("broker probe timed out"),
        }
        SESSIONS.lock().await.remove(&key);
    }
    None
}

async fn session(key: &(String, String)) -> Option<Arc<Session>> {
    let mut sessions = SESSIONS.lock().await;
    if let Some(s) = sessions.get(key)
        && s.0.status().connected()
        && s.1.status().connected()
    {
        return Some(s.clone());
    }
    sessions.remove(key);
    let opened = tokio::time::timeout(TIMEOUT, async {
        let connection = crate::queue::connect(&key.0, "ipscopy-ops-probe").await?;
        let channel = connection.create_channel().await?;
        Ok::<_, lapin::Error>((connection, channel))
    })
    .await;
    match opened {
        Ok(Ok(s)) => {
            let s = Arc::new(s);
            sessions.insert(key.clone(), s.clone());
            Some(s)
        }
        Ok(Err(e)) => {
            tracing::debug!(error = %e, "broker unreachable for the ops probe");
            None
        }
        Err(_) => None,
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
