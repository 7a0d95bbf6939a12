//! `--webhook-backlog`: queues deliveries of a synthetic event to one receiver straight in
//! PostgreSQL and times how fast the running server's sender drains them.

use std::{collections::HashMap, time::Duration};

use sqlx::PgPool;

use super::{receiver, receiver::Receiver, report};
use crate::{db, domain::CompanyHandle};

/// Queues `count` deliveries to `endpoint_id` (served by `receiver`), waits for them, and
/// prints the figures.
pub async fn run(
    pool: &PgPool,
    company: CompanyHandle,
    endpoint_id: i64,
    receiver: &Receiver,
    count: u32,
    tag: &str,
    stall: Duration,
) -> anyhow::Result<()> {
    let mut tx = pool.begin().await?;
    let queued_at = db::bench::queue_backlog(&mut tx, company.0, endpoint_id, count.into(), tag).await?;
    tx.commit().await?;
    eprintln!("queued {count} deliveries to {}", receiver.url);
    // The synthetic messages name jobs 1 to `count`; each one's latency runs from the queueing.
    let expected: HashMap<i64, _> = (1..=i64::from(count)).map(|job| (job, queued_at)).collect();
    if !receiver::wait_for(std::slice::from_ref(receiver), expected.len(), stall).await {
        eprintln!("gave up waiting for webhook events: none came for {stall:?}");
    }
    let figures = report::summarise(&[receiver.receipts()], &expected);
    println!("backlog queued     {count}");
    println!("{}", figures.line("backlog", "queued→receipt"));
    // The last first receipt of a job, from the commit's start: NaN unless every one arrived.
    let drained = if figures.missing == 0 { figures.max_ms() / 1000.0 } else { f64::NAN };
    println!("backlog drained s  {drained:.1}");
    Ok(())
}
