//! The bench's webhook receivers: HTTP servers on loopback ports of this process that answer
//! 200 (the slow ones after a delay) and log every POST.

use std::{
    collections::HashSet,
    sync::{Arc, Mutex, PoisonError},
    time::Duration,
};

use anyhow::Context;
use axum::{Router, body::Bytes, extract::State, http::HeaderMap, http::StatusCode, routing::post};
use chrono::Utc;
use tokio_util::sync::CancellationToken;

use super::report::{self, Receipt};

#[derive(Default)]
struct Log {
    receipts: Vec<Receipt>,
    jobs: HashSet<i64>,
}

struct Shared {
    log: Mutex<Log>,
    delay: Option<Duration>,
}

/// A running receiver.
pub struct Receiver {
    pub url: String,
    shared: Arc<Shared>,
}

impl Receiver {
    /// Starts a receiver on an ephemeral loopback port; it stops at `shutdown`.
    pub async fn start(delay: Option<Duration>, shutdown: &CancellationToken) -> anyhow::Result<Self> {
        let listener =
            tokio::net::TcpListener::bind("127.0.0.1:0").await.context("binding a webhook receiver")?;
        let url = format!("http://{}/", listener.local_addr()?);
        let shared = Arc::new(Shared { log: Mutex::default(), delay });
        let app = Router::new().route("/", post(receive)).with_state(shared.clone());
        let stop = shutdown.clone().cancelled_owned();
        tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, app).with_graceful_shutdown(stop).await {
                eprintln!("webhook receiver stopped: {e}");
            }
        });
        Ok(Self { url, shared })
    }

    /// Distinct jobs received so far.
    pub fn jobs(&self) -> usize {
        self.shared.log.lock().unwrap_or_else(PoisonError::into_inner).jobs.len()
    }

    /// Every POST received so far, in arrival order.
    pub fn receipts(&self) -> Vec<Receipt> {
        self.shared.log.lock().unwrap_or_else(PoisonError::into_inner).receipts.clone()
    }
}

async fn receive(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let at = Utc::now();
    let webhook_id = headers.get("webhook-id").and_then(|v| v.to_str().ok()).map(str::to_string);
    let job_id = report::job_id(&body);
    {
        let mut log = shared.log.lock().unwrap_or_else(PoisonError::into_inner);
        log.receipts.push(Receipt { at, job_id, webhook_id });
        log.jobs.extend(job_id);
    }
    if let Some(delay) = shared.delay {
        tokio::time::sleep(delay).await;
    }
    StatusCode::OK
}

/// Waits until every receiver has an event for `want` distinct jobs, or until `stall` passes
/// without a new one anywhere; true when all arrived.
pub async fn wait_for(receivers: &[Receiver], want: usize, stall: Duration) -> bool {
    let mut seen = usize::MAX;
    let mut last_progress = tokio::time::Instant::now();
    loop {
        let counts: Vec<usize> = receivers.iter().map(Receiver::jobs).collect();
        if counts.iter().all(|&n| n >= want) {
            return true;
        }
        let total = counts.iter().sum();
        if total != seen {
            seen = total;
            last_progress = tokio::time::Instant::now();
        } else if last_progress.elapsed() >= stall {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
