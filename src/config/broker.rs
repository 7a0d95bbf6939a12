//! The RabbitMQ settings and the broker's node list.

use std::{
    fmt,
    str::FromStr,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
};

use clap::Args;

use super::check_url;
use crate::secret::SecretUrl;

/// RabbitMQ settings.
#[derive(Args, Clone)]
pub struct AmqpSettings {
    /// AMQP 0-9-1 URL of the broker, or a comma-separated list of full URLs, one per node of a
    /// cluster: each connection tries them in turn from a random start and moves to the next
    /// when a node fails.
    #[arg(long, env = "AMQP_URL", default_value = "amqp://guest:guest@127.0.0.1:5672/%2f")]
    pub amqp_url: BrokerUrls,
    /// Prefix of every exchange and queue name, so deployments and tests can share a broker.
    #[arg(long, env = "IPSCOPY_QUEUE_PREFIX", default_value = "ipscopy")]
    pub queue_prefix: String,
    /// Most jobs handed to the broker and not yet finished; the rest wait in PostgreSQL and are
    /// published round-robin across companies, so no backlog starves another company.
    #[arg(long, env = "IPSCOPY_BROKER_WINDOW", default_value_t = 256)]
    pub broker_window: u32,
    /// Replicas of the jobs quorum queue when it is first declared (`x-quorum-initial-group-size`);
    /// 0 lets RabbitMQ choose (every node of the cluster, up to its default).
    #[arg(long, env = "IPSCOPY_QUORUM_GROUP_SIZE", default_value_t = 0)]
    pub quorum_group_size: u32,
    /// Redeliveries of one job message before RabbitMQ dead-letters it (`x-delivery-limit`): the
    /// crash-loop backstop, since retries proper are scheduled in PostgreSQL.
    #[arg(long, env = "IPSCOPY_DELIVERY_LIMIT", default_value_t = AmqpSettings::DELIVERY_LIMIT)]
    pub delivery_limit: u32,
}

impl AmqpSettings {
    const DELIVERY_LIMIT: u32 = 5;

    /// The settings for one broker with the default queue arguments.
    pub fn new(amqp_url: BrokerUrls, queue_prefix: impl Into<String>) -> Self {
        Self {
            amqp_url,
            queue_prefix: queue_prefix.into(),
            broker_window: 256,
            quorum_group_size: 0,
            delivery_limit: Self::DELIVERY_LIMIT,
        }
    }
}

/// The broker's nodes, each a full AMQP URL, and which one a new connection tries first.
#[derive(Clone)]
pub struct BrokerUrls {
    urls: Arc<[SecretUrl]>,
    /// Index of the node the next connection tries first; clones share it.
    next: Arc<AtomicUsize>,
}

impl BrokerUrls {
    /// The nodes in the order a connection should try them now: from the node after the last one
    /// that served (a random one at first, so processes spread across the cluster), round the list.
    pub fn rotation(&self) -> impl Iterator<Item = (usize, &SecretUrl)> {
        let start = self.next.load(Ordering::Relaxed);
        (0..self.urls.len()).map(move |i| {
            let index = (start + i) % self.urls.len();
            (index, &self.urls[index])
        })
    }

    /// Records that node `index` served a connection: the next one starts after it, so a
    /// connection lost with its node moves on at once.
    pub fn served_by(&self, index: usize) {
        self.next.store((index + 1) % self.urls.len(), Ordering::Relaxed);
    }

    /// Every node, in the configured order.
    pub fn all(&self) -> &[SecretUrl] {
        &self.urls
    }

    /// The list as `AMQP_URL` takes it, passwords included: only for handing to another process.
    pub fn expose(&self) -> String {
        self.urls.iter().map(SecretUrl::expose).collect::<Vec<_>>().join(",")
    }

    fn from_urls(urls: Vec<SecretUrl>) -> Self {
        let start = rand::random_range(0..urls.len().max(1));
        Self { urls: urls.into(), next: Arc::new(AtomicUsize::new(start)) }
    }
}

impl From<String> for BrokerUrls {
    fn from(urls: String) -> Self {
        Self::from(urls.as_str())
    }
}

impl From<&str> for BrokerUrls {
    fn from(urls: &str) -> Self {
        Self::from_urls(urls.split(',').map(|u| SecretUrl::from(u.trim())).collect())
    }
}

/// Splits the list without checking it, so that a parse error cannot echo a password:
/// [`Settings::check`](super::Settings::check) says what is wrong.
impl FromStr for BrokerUrls {
    type Err = std::convert::Infallible;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Ok(Self::from(text))
    }
}

impl BrokerUrls {
    /// Each entry is an `amqp://` or `amqps://` URL with a host.
    pub(super) fn check(&self) -> Result<(), String> {
        for (i, url) in self.urls.iter().enumerate() {
            let entry = || if self.urls.len() > 1 { format!("entry {}: ", i + 1) } else { String::new() };
            if url.expose().is_empty() {
                return Err(format!("{}empty", entry()));
            }
            check_url(url.expose(), &["amqp", "amqps"]).map_err(|e| format!("{}{e}", entry()))?;
        }
        Ok(())
    }
}

impl fmt::Debug for BrokerUrls {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.urls.iter()).finish()
    }
}

#[cfg(test)]
mod tests {
    #[derive(clap::Parser)]
    struct Cli {
        #[command(flatten)]
        amqp: super::AmqpSettings,
    }

    #[test]
    fn a_broker_list_gives_every_node_and_each_connection_moves_past_the_one_that_served() {
        use clap::Parser;
        let cli = Cli::parse_from([
            "ipscopy",
            "--amqp-url",
            "amqp://u:pw-1@mq-0:5672/%2f, amqp://u:pw-1@mq-1:5672/%2f,amqps://u:pw-1@mq-2/%2f",
        ]);
        let urls = &cli.amqp.amqp_url;
        assert_eq!(urls.all().len(), 3);
        let first: Vec<usize> = urls.rotation().map(|(i, _)| i).collect();
        assert_eq!(first.len(), 3, "every node is tried once");
        urls.served_by(first[0]);
        let after: Vec<usize> = urls.rotation().map(|(i, _)| i).collect();
        assert_eq!(after[0], (first[0] + 1) % 3, "the next connection starts after the node that served");
        assert!(!format!("{urls:?}").contains("pw-1"), "{urls:?}");
    }
}
