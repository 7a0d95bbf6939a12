//! The sender: takes due deliveries from PostgreSQL, signs and posts them, logs every attempt
//! and schedules retries. Every process runs one; PostgreSQL arbitrates between them.

mod record;

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::Duration,
};

use anyhow::Context;
use chrono::Utc;
use reqwest::{StatusCode, header};
use sqlx::{PgPool, postgres::PgListener};
use tokio::{
    sync::{Notify, OwnedSemaphorePermit, Semaphore, mpsc},
    time::Instant,
};
use tokio_util::{sync::CancellationToken, task::TaskTracker};
use tracing::Instrument;

use super::{
    AddressPolicy, EndpointHandle, NOTIFY_CHANNEL, Secret,
    guard::{GuardedResolver, Refused},
    signing::signature_header,
};
use crate::{
    config::WebhookSettings,
    db::webhooks::{self as store, Claimed, Delivered},
    domain::schedule::{RetrySchedule, retry_after},
};

/// The sender looks for due deliveries at least this often (lease expiries, missed wake-ups).
const POLL: Duration = Duration::from_secs(1);
/// Bytes of a response body kept in the attempt log.
const EXCERPT_BYTES: usize = 1024;
/// How often old messages are pruned.
const PRUNE_EVERY: Duration = Duration::from_secs(3600);
/// Messages deleted per statement, so pruning never holds long locks.
const PRUNE_BATCH: i64 = 5000;
/// How long past the longest a claimed delivery can take (three response deadlines: its turn at
/// the endpoint's gate, its turn at a slot, its own request) a sender holds it before another
/// may take it.
const LEASE_MARGIN: Duration = Duration::from_secs(30);
/// Shortest time between claims that new messages (not freed capacity) ask for. Every copy that
/// ends announces its event; at bulk rates most claims would find every endpoint at its
/// concurrency limit and cost PostgreSQL a lock and a query for nothing.
const NEW_MESSAGE_CLAIM_INTERVAL: Duration = Duration::from_millis(5);

/// Delivers webhook messages.
///
/// A sender holds up to twice an endpoint's concurrency of its deliveries and posts at most the
/// concurrency at once (the endpoint's gate): the next ones are claimed while the current ones
/// are in flight, so an answer is followed by the next request without a wait on PostgreSQL.
#[derive(Clone)]
pub struct Sender {
    /// This sender, as the holder of the deliveries it claims.
    id: uuid::Uuid,
    /// Each endpoint's in-flight requests from this sender, at most `per_endpoint`.
    gates: Arc<Mutex<HashMap<i64, Arc<Semaphore>>>>,
    pool: PgPool,
    client: reqwest::Client,
    policy: AddressPolicy,
    schedule: RetrySchedule,
    timeout: Duration,
    per_endpoint: u32,
    slots: usize,
    disable_after: Duration,
    retention_days: f64,
}

/// What one attempt got back.
#[derive(Debug, Default)]
struct Response {
    status: Option<StatusCode>,
    excerpt: Option<String>,
    error: Option<String>,
    retry_after: Option<Duration>,
    /// The receiver's `webhook-delivery` control header (`abort-message` or `disable`).
    control: Option<String>,
}

impl Sender {
    /// Builds the HTTP client: guarded resolver, no redirects, no proxy, the response deadline.
    pub fn new(pool: PgPool, settings: &WebhookSettings) -> anyhow::Result<Self> {
        // The S3 client already builds rustls with aws-lc-rs; reqwest uses the process default.
        let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
        let policy = AddressPolicy::new(settings.webhook_allowed_networks.clone());
        let timeout = Duration::from_secs_f64(settings.webhook_timeout_secs.max(0.1));
        let client = reqwest::Client::builder()
            .dns_resolver(Arc::new(GuardedResolver { policy: policy.clone() }))
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(10)))
            .user_agent(concat!("ipscopy-webhooks/", env!("CARGO_PKG_VERSION")))
            .build()
            .context("building the webhook HTTP client")?;
        Ok(Self {
            id: uuid::Uuid::new_v4(),
            gates: Arc::default(),
            pool,
            client,
            policy,
            schedule: settings.webhook_retry_schedule.clone(),
            timeout,
            per_endpoint: settings.webhook_endpoint_concurrency.max(1),
            slots: settings.webhook_senders.max(1),
            disable_after: Duration::from_secs_f64(settings.webhook_disable_after_hours.max(0.0) * 3600.0),
            retention_days: settings.webhook_retention_days,
        })
    }

    /// Runs until `shutdown`, then lets in-flight deliveries finish (each is bounded by the
    /// response deadline).
    pub async fn run(self, shutdown: CancellationToken) {
        // `slots`: requests in flight; `holds`: deliveries claimed and not yet ended, the ones
        // in flight and the ones claimed ahead behind them, so claiming ahead stays bounded.
        let slots = Arc::new(Semaphore::new(self.slots));
        let holds = Arc::new(Semaphore::new(2 * self.slots));
        // `wake`: a slot or an endpoint's capacity came free; `announced`: new messages.
        let wake = Arc::new(Notify::new());
        let announced = Arc::new(Notify::new());
        let tasks = TaskTracker::new();
        tasks.spawn(listen(self.pool.clone(), announced.clone(), shutdown.clone()));
        // Accepted deliveries come back here and are recorded in batches, one statement each
        // (a transaction per delivery would cost PostgreSQL more than the sending), by this
        // loop itself, which then claims for the capacity they freed without another hop.
        let (delivered, mut accepted) = mpsc::unbounded_channel();
        let mut batch = Vec::with_capacity(record::BATCH);
        let mut next_prune = Instant::now();
        while !shutdown.is_cancelled() {
            if self.retention_days > 0.0 && Instant::now() >= next_prune {
                next_prune = Instant::now() + PRUNE_EVERY;
                self.prune().await;
            }
            let wait = match self.dispatch(&holds, &slots, &wake, &tasks, &delivered).await {
                Ok(wait) => wait,
                Err(e) => {
                    tracing::warn!(error = format!("{e:#}"), "webhook sender could not read its queue");
                    POLL
                }
            };
            let claimed_at = Instant::now();
            tokio::select! {
                () = shutdown.cancelled() => {}
                _ = accepted.recv_many(&mut batch, record::BATCH) => record::delivered(&self.pool, self.id, &mut batch).await,
                () = wake.notified() => {}
                () = announced.notified() => {
                    // Capacity freed meanwhile still claims at once.
                    let ready = claimed_at + NEW_MESSAGE_CLAIM_INTERVAL;
                    tokio::select! {
                        _ = accepted.recv_many(&mut batch, record::BATCH) => record::delivered(&self.pool, self.id, &mut batch).await,
                        () = wake.notified() => {}
                        () = tokio::time::sleep_until(ready.min(claimed_at + wait)) => {}
                    }
                }
                () = tokio::time::sleep(wait) => {}
            }
        }
        tasks.close();
        // Deliveries in flight finish and report; once the last has ended (and dropped its
        // handle) the channel closes and every accepted one is recorded.
        drop(delivered);
        while accepted.recv_many(&mut batch, record::BATCH).await > 0 {
            record::delivered(&self.pool, self.id, &mut batch).await;
        }
        tasks.wait().await;
        tracing::info!("webhook sender stopped");
    }

    /// Deletes finished messages past the retention time, a batch at a time.
    async fn prune(&self) {
        let mut pruned = 0;
        loop {
            match store::prune(&self.pool, self.retention_days, PRUNE_BATCH).await {
                Ok(n) => {
                    pruned += n;
                    if n < PRUNE_BATCH as u64 {
                        break;
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, "pruning old webhook messages failed");
                    break;
                }
            }
        }
        if pruned > 0 {
            tracing::info!(pruned, retention_days = self.retention_days, "old webhook messages pruned");
        }
    }

    /// Claims what the free holds can take and starts it; returns how long to wait before
    /// looking again.
    async fn dispatch(
        &self,
        holds: &Arc<Semaphore>,
        slots: &Arc<Semaphore>,
        wake: &Arc<Notify>,
        tasks: &TaskTracker,
        delivered: &mpsc::UnboundedSender<Delivered>,
    ) -> anyhow::Result<Duration> {
        let free = holds.available_permits();
        if free == 0 {
            return Ok(POLL);
        }
        // A delivery claimed ahead waits for at most one answer ahead of it at its endpoint's
        // gate (half its endpoint's holds send) and one at the slots (half the holds do).
        let lease = (self.timeout * 3 + LEASE_MARGIN).as_secs_f64();
        let per_endpoint_held = 2 * i64::from(self.per_endpoint);
        let mut conn = self.pool.acquire().await?;
        let claimed = store::claim(&mut conn, self.id, free as i64, per_endpoint_held, lease).await?;
        drop(conn);
        let (full, none) = (claimed.len() == free, claimed.is_empty());
        for delivery in claimed {
            let hold = holds.clone().try_acquire_owned().context("a sender hold")?;
            let (sender, slots, wake, delivered) =
                (self.clone(), slots.clone(), wake.clone(), delivered.clone());
            tasks.spawn(async move { sender.deliver(delivery, hold, slots, wake, delivered).await });
        }
        if full {
            return Ok(Duration::ZERO);
        }
        // Deliveries that end wake the loop again; only an idle sender needs the next due time.
        if !none {
            return Ok(POLL);
        }
        let next = store::next_due_in(&self.pool).await?;
        Ok(next.map_or(POLL, |secs| Duration::from_secs_f64(secs.max(0.0)).min(POLL)))
    }

    async fn deliver(
        self,
        delivery: Claimed,
        _hold: OwnedSemaphorePermit,
        slots: Arc<Semaphore>,
        wake: Arc<Notify>,
        delivered: mpsc::UnboundedSender<Delivered>,
    ) {
        let span = tracing::info_span!(
            "webhook",
            msg = %delivery.msg_key,
            endpoint = %EndpointHandle(delivery.endpoint_id),
            trigger = %delivery.trigger,
        );
        async {
            // The endpoint's place first, then the process's: a delivery claimed ahead waits
            // for its endpoint without holding a slot another endpoint could use. Neither
            // semaphore is ever closed.
            let gate = self.gate(delivery.endpoint_id);
            let Ok(_endpoint_place) = gate.acquire_owned().await else { return };
            let Ok(_slot) = slots.acquire_owned().await else { return };
            let started = Instant::now();
            let response = self.post(&delivery).await;
            let elapsed = started.elapsed();
            if let Some(status) = response.status.filter(StatusCode::is_success) {
                // At bulk rates a line per accepted delivery costs more than sending it; the
                // attempt log in PostgreSQL keeps every one, and failures log at INFO.
                tracing::debug!(
                    status = status.as_u16(),
                    elapsed_ms = elapsed.as_millis() as u64,
                    "webhook attempt"
                );
                let accepted = Delivered {
                    delivery_id: delivery.delivery_id,
                    trigger: delivery.trigger,
                    response_status: status.as_u16(),
                    response_excerpt: response.excerpt.unwrap_or_default(),
                    duration_ms: elapsed.as_millis().min(i32::MAX as u128) as i32,
                };
                // The dispatch loop records it with others, then claims for the freed capacity.
                // It outlives every delivery task, so the send only fails if it panicked; the
                // lease then runs out and the delivery is sent again.
                let _ = delivered.send(accepted);
                return;
            }
            if let Err(e) = self.record_failure(&delivery, &response, elapsed).await {
                // The lease runs out and the delivery is taken again; receivers dedupe on webhook-id.
                tracing::warn!(error = format!("{e:#}"), "recording a webhook attempt failed");
            }
            // A slot and maybe an endpoint's concurrency came free.
            wake.notify_one();
        }
        .instrument(span)
        .await;
    }

    /// The endpoint's gate: its concurrency, for this sender's requests.
    fn gate(&self, endpoint_id: i64) -> Arc<Semaphore> {
        let mut gates = self.gates.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let per_endpoint = self.per_endpoint as usize;
        gates.entry(endpoint_id).or_insert_with(|| Arc::new(Semaphore::new(per_endpoint))).clone()
    }

    /// One signed POST.
    async fn post(&self, delivery: &Claimed) -> Response {
        let url = match self.policy.check_url(&delivery.url) {
            Ok(url) => url,
            Err(refused) => {
                return Response {
                    error: Some(format!("refused: the URL {refused}")),
                    ..Response::default()
                };
            }
        };
        let secrets: Vec<Secret> = [Some(&delivery.secret), delivery.previous_secret.as_ref()]
            .into_iter()
            .flatten()
            .filter_map(|s| Secret::parse(s))
            .collect();
        let timestamp = Utc::now().timestamp();
        let body = delivery.payload.as_bytes();
        let request = self
            .client
            .post(url)
            .header(header::CONTENT_TYPE, "application/json")
            .header("webhook-id", &delivery.msg_key)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signature_header(&secrets, &delivery.msg_key, timestamp, body))
            .body(delivery.payload.clone());
        match request.send().await {
            Ok(mut response) => {
                let status = response.status();
                let header_text =
                    |name| response.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_string);
                let retry_after =
                    header_text(header::RETRY_AFTER.as_str()).and_then(|v| retry_after(&v, Utc::now()));
                let control = header_text("webhook-delivery").map(|v| v.trim().to_ascii_lowercase());
                let mut kept = Vec::new();
                while kept.len() < EXCERPT_BYTES {
                    match response.chunk().await {
                        Ok(Some(chunk)) => kept.extend_from_slice(&chunk),
                        _ => break,
                    }
                }
                kept.truncate(EXCERPT_BYTES);
                let excerpt = String::from_utf8_lossy(&kept).into_owned();
                Response { status: Some(status), excerpt: Some(excerpt), error: None, retry_after, control }
            }
            Err(e) => Response { error: Some(describe(&e, self.timeout)), ..Response::default() },
        }
    }
}

/// Wakes the sender whenever a transaction announces new messages.
async fn listen(pool: PgPool, wake: Arc<Notify>, shutdown: CancellationToken) {
    let session = async {
        let mut listener = PgListener::connect_with(&pool).await?;
        listener.listen(NOTIFY_CHANNEL).await?;
        loop {
            listener.recv().await?;
            wake.notify_one();
        }
    };
    tokio::select! {
        () = shutdown.cancelled() => {}
        result = session => {
            let result: sqlx::Result<()> = result;
            if let Err(e) = result {
                // The sender still polls every second.
                tracing::warn!(error = %e, "webhook notifications unavailable; polling only");
            }
        }
    }
}

/// An attempt's transport error in words for the attempt log.
fn describe(error: &reqwest::Error, timeout: Duration) -> String {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = source {
        if let Some(refused) = e.downcast_ref::<Refused>() {
            return format!("refused before connecting: {refused}");
        }
        source = e.source();
    }
    if error.is_timeout() {
        format!("no response within {} s", timeout.as_secs_f64())
    } else if error.is_connect() {
        let mut cause = std::error::Error::source(error);
        let mut innermost = None;
        while let Some(e) = cause {
            innermost = Some(e.to_string());
            cause = e.source();
        }
        format!("the connection failed: {}", innermost.unwrap_or_default())
    } else {
        "the request failed".to_string()
    }
}
