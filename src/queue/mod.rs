//! RabbitMQ: topology, the outbox relay that publishes jobs, and the job message.

pub mod relay;
pub mod topology;

use lapin::{Connection, ConnectionProperties};
use serde::{Deserialize, Serialize};

pub use relay::Relay;
pub use topology::Topology;

/// The body of a job message: only the id; PostgreSQL holds everything else.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct JobMessage {
    pub job_id: i64,
}

/// Opens a connection to the broker.
pub async fn connect(url: &str, name: &str) -> lapin::Result<Connection> {
    let props = ConnectionProperties::default().with_connection_name(name.into());
    Connection::connect(url, props).await
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
