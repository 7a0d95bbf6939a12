//! Builds and runs the roles of one process; shuts them down in order.

use std::{future::Future, net::SocketAddr, sync::Arc, time::Duration};

use anyhow::Context;
use sqlx::PgPool;
use tokio::net::TcpListener;
use tokio_util::{sync::CancellationToken, task::TaskTracker};

use crate::{
    auth::Authenticator,
    config::{S3Settings, Settings},
    copy::Copier,
    db, http,
    import::ImportRules,
    ops::OpsState,
    queue::{Relay, Topology},
    rate_limit::SubmitLimiter,
    secret::ExposeSecret,
    server::{self, Limits},
    state::AppState,
    storage::{EmbeddedStore, Storage},
    upload::Uploader,
    webhook::{self, AddressPolicy},
    worker::{Busy, Fetcher, JobContext, Timing, Worker, rescue_stale_jobs},
};

/// Which roles a process plays.
#[derive(Debug, Clone, Copy)]
pub struct Roles {
    pub api: bool,
    pub worker: bool,
}

/// A started process: its roles run until the shutdown token fires.
pub struct Running {
    /// Where the HTTP API listens, when the process has the api role.
    pub http_addr: Option<SocketAddr>,
    /// Where the operators' listener is (every process has one).
    pub ops_addr: SocketAddr,
    pub pool: PgPool,
    pub storage: Storage,
    pub s3_endpoint: String,
    roster: Roster,
    stop_timeout: Duration,
    store_shutdown: CancellationToken,
}

impl Running {
    /// Waits for every role to finish its in-flight work, then stops the embedded store. Each
    /// role bounds its own drain; should one still overrun, the wait ends after the longest of
    /// those bounds and a margin, and the names of the roles left running come back (and are
    /// logged), so that a stuck shutdown is a line in the log rather than a process that hangs.
    pub async fn wait(self) -> Vec<&'static str> {
        let tasks = &self.roster.tasks;
        tasks.close();
        let left = match tokio::time::timeout(self.stop_timeout, tasks.wait()).await {
            Ok(()) => Vec::new(),
            Err(_) => {
                let left = self.roster.running();
                tracing::error!(
                    roles = ?left,
                    tasks = tasks.len(),
                    "shutdown overran its bound; stopping with these roles still running"
                );
                left
            }
        };
        self.store_shutdown.cancel();
        // sqlx can lose track of a connection returned while the pool closes (sqlx#3217 and
        // later reports) and then waits for it forever: shutdown must not hang on that.
        if tokio::time::timeout(POOL_CLOSE_TIMEOUT, self.pool.close()).await.is_err() {
            tracing::warn!("the database pool did not close in time; its connections end with the process");
        }
        left
    }
}

/// The tasks of a process (its roles, and the requests its listeners hand over), with the
/// roles by name.
#[derive(Default)]
struct Roster {
    tasks: TaskTracker,
    roles: Vec<(&'static str, tokio::task::JoinHandle<()>)>,
}

impl Roster {
    /// Spawns `role` under `name`.
    fn spawn(&mut self, name: &'static str, role: impl Future<Output = ()> + Send + 'static) {
        self.roles.push((name, self.tasks.spawn(role)));
    }

    /// The names of the roles that have not ended.
    fn running(&self) -> Vec<&'static str> {
        self.roles.iter().filter(|(_, role)| !role.is_finished()).map(|(name, _)| *name).collect()
    }
}

/// What a stop may take beyond the longest drain of a role (requests still running on a
/// listener that has drained its connections, a pool closing).
const STOP_MARGIN: Duration = Duration::from_secs(15);

/// How long shutdown waits for the database pool to close its connections.
const POOL_CLOSE_TIMEOUT: Duration = Duration::from_secs(5);

/// Connects to S3 (or starts the embedded store when no endpoint is set) and makes the bucket.
/// The embedded store stops when `store_shutdown` fires.
pub async fn open_storage(
    settings: &S3Settings,
    store_shutdown: CancellationToken,
) -> anyhow::Result<(Storage, String)> {
    let endpoint = match &settings.s3_endpoint {
        Some(endpoint) => endpoint.clone(),
        None => {
            let root = settings.data_dir.join("s3");
            EmbeddedStore::start(
                &root,
                &settings.aws_access_key_id,
                settings.aws_secret_access_key.expose_secret(),
                store_shutdown,
            )
            .await
            .context("starting the embedded S3 store")?
            .endpoint()
        }
    };
    let storage = Storage::connect(settings, &endpoint);
    storage
        .ensure_bucket()
        .await
        .with_context(|| format!("opening bucket {:?} at {endpoint}", settings.s3_bucket))?;
    Ok((storage, endpoint))
}

/// Starts the given roles. Every role also runs an outbox relay, so jobs and retries flow
/// whichever processes are up.
pub async fn start(
    settings: &Settings,
    roles: Roles,
    shutdown: CancellationToken,
) -> anyhow::Result<Running> {
    settings.check().map_err(|e| anyhow::anyhow!(e))?;
    tracing::info!(?settings, ?roles, "starting");
    let pool = db::connect(&settings.db, roles.api).await?;
    let store_shutdown = CancellationToken::new();
    let (storage, s3_endpoint) = open_storage(&settings.s3, store_shutdown.clone()).await?;
    let topology = Topology::of(&settings.amqp);
    let mut roster = Roster::default();
    let (job_events, _) = tokio::sync::broadcast::channel(1024);
    roster.spawn(
        "final-job forwarder",
        db::jobs::forward_finals(pool.clone(), job_events.clone(), shutdown.clone()),
    );
    roster.spawn(
        "batch completer",
        crate::batch::run_completer(pool.clone(), job_events.clone(), shutdown.clone()),
    );
    let relay = Relay::new(
        pool.clone(),
        settings.amqp.amqp_url.clone(),
        topology.clone(),
        settings.amqp.broker_window,
        job_events.clone(),
    );
    roster.spawn("outbox relay", relay.clone().run(shutdown.clone()));
    let stale_after = Duration::from_millis(settings.worker.stale_after_ms);
    let republish_after = Duration::from_millis(settings.worker.republish_after_ms);
    roster.spawn(
        "stale-job rescuer",
        rescue_stale_jobs(pool.clone(), relay.clone(), stale_after, republish_after, shutdown.clone()),
    );
    // Like the relay, every process sends webhooks, so events flow whichever processes are up.
    let sender = webhook::Sender::new(pool.clone(), &settings.webhook)?;
    roster.spawn("webhook sender", sender.run(shutdown.clone()));

    let limits = Limits::of(&settings.http);
    let slots = settings.worker.slots();
    let busy = Busy::default();
    let ops = OpsState::new(
        pool.clone(),
        storage.clone(),
        relay.health(),
        settings,
        roles.worker.then(|| (slots, busy.clone())),
    );
    let ops_listener = bind(settings.http.ops_addr, "the operators' listener (IPSCOPY_OPS_ADDR)").await?;
    let ops_addr = ops_listener.local_addr()?;
    let router = crate::ops::listener_router(ops.clone());
    roster.spawn(
        "operators' listener",
        server::serve(ops_listener, router, limits, roster.tasks.clone(), shutdown.clone()),
    );
    tracing::info!(addr = %ops_addr, "operators' listener up");

    let mut http_addr = None;
    if roles.api {
        let listener = bind(settings.http.http_addr, "the HTTP API (IPSCOPY_HTTP_ADDR)").await?;
        http_addr = Some(listener.local_addr()?);
        let state = AppState {
            pool: pool.clone(),
            storage: storage.clone(),
            copier: Copier {
                pool: pool.clone(),
                relay: relay.clone(),
                max_attempts: settings.worker.max_attempts,
                webhook_policy: AddressPolicy::new(settings.webhook.webhook_allowed_networks.clone()),
                limiter: SubmitLimiter::new(
                    settings.http.company_submit_rate,
                    settings.http.company_submit_burst,
                )
                .map(Arc::new),
                import_rules: ImportRules {
                    policy: AddressPolicy::for_imports(settings.import.import_allowed_networks.clone()),
                    buckets: settings.import.import_s3_buckets.clone(),
                },
            },
            uploader: Uploader {
                pool: pool.clone(),
                storage: storage.clone(),
                limits: Arc::new(settings.worker.render_limits()),
                max_bytes: settings.http.upload_max_bytes,
            },
            auth: Authenticator::new(pool.clone(), &settings.login),
            job_events: job_events.clone(),
            ops,
        };
        let router = http::router(state);
        let (tracker, token) = (roster.tasks.clone(), shutdown.clone());
        roster.spawn("HTTP API", async move {
            server::serve(listener, router, limits, tracker, token).await;
            tracing::info!("HTTP API stopped");
        });
        tracing::info!(addr = %http_addr.unwrap_or(settings.http.http_addr), "HTTP API listening");
    }
    if roles.worker {
        let worker = Worker {
            ctx: JobContext {
                pool: pool.clone(),
                storage: storage.clone(),
                limits: Arc::new(settings.worker.render_limits()),
                relay: relay.clone(),
                timing: Timing {
                    heartbeat_interval: Duration::from_millis(settings.worker.heartbeat_interval_ms.max(10)),
                    render_timeout: Duration::from_millis(settings.worker.render_timeout_ms),
                    retry_delay_scale: settings.worker.retry_delay_scale.max(0.0),
                },
                render_permits: Arc::new(tokio::sync::Semaphore::new(settings.worker.render_threads())),
                sources: crate::worker::SourceCache::new(settings.worker.source_cache_bytes),
                decodes: crate::worker::DecodeCache::new(settings.worker.decode_cache_bytes),
                fetcher: Fetcher::new(&settings.import, storage.clone(), settings.http.upload_max_bytes)
                    .context("building the imports' HTTP client")?,
            },
            amqp_url: settings.amqp.amqp_url.clone(),
            busy: busy.clone(),
            topology,
            slots,
            shutdown_timeout: Duration::from_millis(settings.worker.shutdown_timeout_ms),
        };
        roster.spawn("worker", worker.run(shutdown.clone()));
        // The registry row shows this worker's heartbeat and busy slots on /status.
        let interval = Duration::from_millis(settings.worker.heartbeat_interval_ms.max(10));
        roster.spawn(
            "worker heartbeat",
            crate::ops::workers::heartbeat(pool.clone(), slots, busy, interval, shutdown.clone()),
        );
    }
    let stop_timeout =
        Duration::from_millis(settings.worker.shutdown_timeout_ms).max(server::DRAIN_TIMEOUT) + STOP_MARGIN;
    Ok(Running { http_addr, ops_addr, pool, storage, s3_endpoint, roster, stop_timeout, store_shutdown })
}

/// Connections the kernel queues for a listener before it accepts them: tokio's default (128)
/// drops a burst of connects, which the clients then retry a second later.
const LISTEN_BACKLOG: u32 = 4096;

async fn bind(addr: SocketAddr, what: &str) -> anyhow::Result<TcpListener> {
    let bound = (|| {
        let socket =
            if addr.is_ipv4() { tokio::net::TcpSocket::new_v4()? } else { tokio::net::TcpSocket::new_v6()? };
        socket.set_reuseaddr(true)?;
        socket.bind(addr)?;
        socket.listen(LISTEN_BACKLOG)
    })();
    bound.with_context(|| format!("binding {what} to {addr}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_roster_names_the_roles_that_have_not_ended() {
        let mut roster = Roster::default();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        roster.spawn("quick", async {});
        roster.spawn("stuck", async {
            let _ = stopped.await;
        });
        roster.tasks.close();
        let overran = tokio::time::timeout(Duration::from_millis(100), roster.tasks.wait()).await;
        assert!(overran.is_err(), "the stuck role holds the wait");
        assert_eq!(roster.running(), ["stuck"]);
        let _ = stop.send(());
        roster.tasks.wait().await;
        assert!(roster.running().is_empty());
    }
}
