//! Exchanges and queues, declared idempotently by every role at start-up.

use lapin::{
    Channel, ExchangeKind,
    options::{ExchangeDeclareOptions, QueueBindOptions, QueueDeclareOptions},
    types::{AMQPValue, FieldTable, LongString},
};

use crate::config::{AmqpSettings, BrokerUrls};

/// The names of one deployment's exchanges and queues.
#[derive(Debug, Clone)]
pub struct Topology {
    /// Quorum queue of copy jobs.
    pub jobs_queue: String,
    /// Fanout exchange receiving dead-lettered job messages.
    pub dead_exchange: String,
    /// Queue keeping dead-lettered job messages for operators.
    pub dead_queue: String,
    /// Redeliveries of one message before RabbitMQ dead-letters it: the crash-loop backstop.
    /// Retries proper are scheduled in PostgreSQL, so this is only reached by a job that keeps
    /// crashing or killing its worker.
    pub delivery_limit: u32,
    /// Replicas of each quorum queue when first declared; 0 leaves it to RabbitMQ.
    pub group_size: u32,
}

impl Topology {
    /// The names under `prefix`, with the default queue arguments.
    pub fn new(prefix: &str) -> Self {
        Self::of(&AmqpSettings::new(BrokerUrls::from(""), prefix))
    }

    /// The names and queue arguments the settings give.
    pub fn of(settings: &AmqpSettings) -> Self {
        let prefix = &settings.queue_prefix;
        Self {
            jobs_queue: format!("{prefix}.copy-jobs"),
            dead_exchange: format!("{prefix}.dead-letter"),
            dead_queue: format!("{prefix}.copy-jobs.dead"),
            delivery_limit: settings.delivery_limit,
            group_size: settings.quorum_group_size,
        }
    }

    /// Declares everything; safe to call from many processes at once.
    pub async fn declare(&self, channel: &Channel) -> lapin::Result<()> {
        let durable = QueueDeclareOptions { durable: true, ..QueueDeclareOptions::default() };
        channel
            .exchange_declare(
                self.dead_exchange.as_str().into(),
                ExchangeKind::Fanout,
                ExchangeDeclareOptions { durable: true, ..ExchangeDeclareOptions::default() },
                FieldTable::default(),
            )
            .await?;
        channel.queue_declare(self.dead_queue.as_str().into(), durable, self.quorum()).await?;
        channel
            .queue_bind(
                self.dead_queue.as_str().into(),
                self.dead_exchange.as_str().into(),
                "".into(),
                QueueBindOptions::default(),
                FieldTable::default(),
            )
            .await?;
        let mut args = self.quorum();
        let limit = i32::try_from(self.delivery_limit).unwrap_or(i32::MAX);
        args.insert("x-delivery-limit".into(), AMQPValue::LongInt(limit));
        args.insert(
            "x-dead-letter-exchange".into(),
            AMQPValue::LongString(LongString::from(self.dead_exchange.as_str())),
        );
        channel.queue_declare(self.jobs_queue.as_str().into(), durable, args).await?;
        Ok(())
    }

    fn quorum(&self) -> FieldTable {
        let mut args = FieldTable::default();
        args.insert("x-queue-type".into(), AMQPValue::LongString("quorum".into()));
        if self.group_size > 0 {
            let size = i32::try_from(self.group_size).unwrap_or(i32::MAX);
            args.insert("x-quorum-initial-group-size".into(), AMQPValue::LongInt(size));
        }
        args
    }
}
