//! Exchanges and queues, declared idempotently by every role at start-up.

use lapin::{
    Channel, ExchangeKind,
    options::{ExchangeDeclareOptions, QueueBindOptions, QueueDeclareOptions},
    types::{AMQPValue, FieldTable, LongString},
};

/// Redeliveries of one message before RabbitMQ dead-letters it: the crash-loop backstop.
/// Retries proper are scheduled in PostgreSQL, so this is only reached by a job that keeps
/// crashing or killing its worker.
const DELIVERY_LIMIT: i32 = 5;

/// The names of one deployment's exchanges and queues.
#[derive(Debug, Clone)]
pub struct Topology {
    /// Quorum queue of copy jobs.
    pub jobs_queue: String,
    /// Fanout exchange receiving dead-lettered job messages.
    pub dead_exchange: String,
    /// Queue keeping dead-lettered job messages for operators.
    pub dead_queue: String,
}

impl Topology {
    pub fn new(prefix: &str) -> Self {
        Self {
            jobs_queue: format!("{prefix}.copy-jobs"),
            dead_exchange: format!("{prefix}.dead-letter"),
            dead_queue: format!("{prefix}.copy-jobs.dead"),
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
        channel.queue_declare(self.dead_queue.as_str().into(), durable, quorum()).await?;
        channel
            .queue_bind(
                self.dead_queue.as_str().into(),
                self.dead_exchange.as_str().into(),
                "".into(),
                QueueBindOptions::default(),
                FieldTable::default(),
            )
            .await?;
        let mut args = quorum();
        args.insert("x-delivery-limit".into(), AMQPValue::LongInt(DELIVERY_LIMIT));
        args.insert(
            "x-dead-letter-exchange".into(),
            AMQPValue::LongString(LongString::from(self.dead_exchange.as_str())),
        );
        channel.queue_declare(self.jobs_queue.as_str().into(), durable, args).await?;
        Ok(())
    }
}

fn quorum() -> FieldTable {
    let mut args = FieldTable::default();
    args.insert("x-queue-type".into(), AMQPValue::LongString("quorum".into()));
    args
}
