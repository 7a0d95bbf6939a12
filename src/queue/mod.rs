//! RabbitMQ: topology, the outbox relay that publishes jobs, and the job message.

pub mod relay;
pub mod topology;

use std::{future::Future, time::Duration};

use anyhow::Context;
use lapin::{Connection, ConnectionProperties};
use serde::{Deserialize, Serialize};

pub use relay::Relay;
pub use topology::Topology;

use crate::{config::BrokerUrls, secret::SecretUrl};

/// The body of a job message: only the id; PostgreSQL holds everything else.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct JobMessage {
    pub job_id: i64,
}

/// A connection and the node it is on.
pub struct Session {
    pub connection: Connection,
    /// `host:port` of the node, for logs.
    pub node: String,
}

/// Opens a connection to the first node of `urls` that answers, trying each once in turn from
/// the node after the one that served last; the error is the last node's.
pub async fn connect(urls: &BrokerUrls, name: &str) -> lapin::Result<Session> {
    let mut last = None;
    for (index, url) in urls.rotation() {
        let node = node_of(url);
        let props = ConnectionProperties::default().with_connection_name(name.into());
        let connected = tokio::time::timeout(BROKER_CALL_TIMEOUT, Connection::connect(url.expose(), props))
            .await
            .unwrap_or_else(|_| Err(timed_out("connecting").into()));
        match connected {
            Ok(connection) => {
                urls.served_by(index);
                return Ok(Session { connection, node });
            }
            Err(e) => {
                tracing::debug!(%node, error = %e, "RabbitMQ node did not accept a connection");
                last = Some(e);
            }
        }
    }
    Err(last.unwrap_or(lapin::Error::from(lapin::ErrorKind::InvalidConnectionState(
        lapin::ConnectionState::Closed,
    ))))
}

/// How long one broker call may take before its session is given up as broken. RabbitMQ answers
/// in milliseconds; a node that accepts the socket but stalls (blocked by a resource alarm, a
/// half-open connection before the heartbeat notices) would otherwise hold a role, and its
/// shutdown, forever.
pub const BROKER_CALL_TIMEOUT: Duration = Duration::from_secs(30);

/// Awaits a broker call for at most [`BROKER_CALL_TIMEOUT`]; `what` names it in the error.
pub async fn bounded<T>(
    what: &'static str,
    call: impl Future<Output = lapin::Result<T>>,
) -> anyhow::Result<T> {
    match tokio::time::timeout(BROKER_CALL_TIMEOUT, call).await {
        Ok(result) => result.context(what),
        Err(_) => Err(timed_out(what).into()),
    }
}

/// Connects as `role` (the connection's name carries the jobs queue), opens a channel and
/// declares the topology on it, each step bounded.
pub async fn open(
    urls: &BrokerUrls,
    role: &str,
    topology: &Topology,
) -> anyhow::Result<(Session, lapin::Channel)> {
    let session = connect(urls, &format!("ipscopy {role} {}", topology.jobs_queue))
        .await
        .context("connecting to RabbitMQ")?;
    let channel = bounded("opening a channel", session.connection.create_channel()).await?;
    bounded("declaring the topology", topology.declare(&channel)).await?;
    Ok((session, channel))
}

/// Closes a connection at shutdown, waiting briefly: the broker forgets it either way once the
/// process ends.
pub async fn close(connection: Connection) {
    let _ = tokio::time::timeout(CLOSE_TIMEOUT, connection.close(200, "shutdown".into())).await;
}

/// How long a clean close waits for the broker's answer.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(5);

fn timed_out(what: &str) -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::TimedOut,
        format!("{what}: RabbitMQ did not answer within {} s", BROKER_CALL_TIMEOUT.as_secs()),
    )
}

/// How a role's broker sessions are logged: a loss once at WARN with the node it was on, failed
/// reconnects at DEBUG, the next connection at INFO with its node. An outage is then a few lines,
/// not an ERROR a second.
pub struct SessionLog {
    role: &'static str,
    node: Option<String>,
    lost: bool,
}

impl SessionLog {
    pub fn new(role: &'static str) -> Self {
        Self { role, node: None, lost: false }
    }

    /// A session is up on `node`.
    pub fn connected(&mut self, node: &str) {
        tracing::info!(role = self.role, node, "connected to RabbitMQ");
        self.node = Some(node.to_string());
        self.lost = false;
    }

    /// A session ended or could not start.
    pub fn failed(&mut self, error: &anyhow::Error) {
        let node = self.node.take();
        if self.lost {
            tracing::debug!(role = self.role, error = format!("{error:#}"), "RabbitMQ still unreachable");
        } else {
            tracing::warn!(
                role = self.role,
                node = node.as_deref().unwrap_or("none"),
                error = format!("{error:#}"),
                "RabbitMQ session lost; reconnecting, to the next node first"
            );
            self.lost = true;
        }
    }
}

/// The `host:port` a URL names (no credentials), for logs.
fn node_of(url: &SecretUrl) -> String {
    url::Url::parse(url.expose())
        .ok()
        .and_then(|u| Some(format!("{}:{}", u.host_str()?, u.port().unwrap_or(5672))))
        .unwrap_or_else(|| "<unparseable URL>".into())
}

/// Whether this process currently holds a working broker session (for `/readyz`).
#[derive(Clone, Default)]
pub struct BrokerHealth(std::sync::Arc<std::sync::atomic::AtomicBool>);

impl BrokerHealth {
    pub fn is_up(&self) -> bool {
        self.0.load(std::sync::atomic::Ordering::Relaxed)
    }

    fn set(&self, up: bool) {
        self.0.store(up, std::sync::atomic::Ordering::Relaxed);
    }
}
