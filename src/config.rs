//! Typed settings, from flags and environment variables; every default works on a machine where
//! PostgreSQL and RabbitMQ listen on localhost.

use std::{
    fmt,
    net::SocketAddr,
    path::PathBuf,
    str::FromStr,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
};

use clap::Args;
use ipnet::IpNet;

use crate::{
    domain::schedule::{DEFAULT_SCHEDULE, RetrySchedule},
    secret::{SecretString, SecretUrl},
};

/// PostgreSQL settings.
#[derive(Args, Clone)]
pub struct DbSettings {
    /// PostgreSQL URL; the database is created if missing by `run`, `api` and `migrate`.
    #[arg(long, env = "DATABASE_URL", default_value = "postgres://postgres@127.0.0.1:5432/ipscopy")]
    pub database_url: SecretUrl,
    /// Connections in this process's pool.
    #[arg(long, env = "IPSCOPY_DB_MAX_CONNECTIONS", default_value_t = 16)]
    pub db_max_connections: u32,
}

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
/// [`Settings::check`] says what is wrong.
impl FromStr for BrokerUrls {
    type Err = std::convert::Infallible;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Ok(Self::from(text))
    }
}

impl BrokerUrls {
    /// Each entry is an `amqp://` or `amqps://` URL with a host.
    fn check(&self) -> Result<(), String> {
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

/// Checks that `url` parses, has one of `schemes` and names a host; the error names what is wrong
/// and never shows the URL (it may hold a password).
fn check_url(url: &str, schemes: &[&str]) -> Result<(), String> {
    let parsed = url::Url::parse(url).map_err(|e| format!("not a URL ({e})"))?;
    if !schemes.contains(&parsed.scheme()) {
        return Err(format!("scheme {:?} is not one of {}", parsed.scheme(), schemes.join(", ")));
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err("the URL names no host".into());
    }
    Ok(())
}

/// Object store settings.
#[derive(Args, Clone)]
pub struct S3Settings {
    /// S3-compatible endpoint; when unset, `run` starts an embedded store on a loopback port.
    #[arg(long, env = "S3_ENDPOINT")]
    pub s3_endpoint: Option<String>,
    /// Bucket holding source masters and copies; created if missing.
    #[arg(long, env = "S3_BUCKET", default_value = "ipscopy")]
    pub s3_bucket: String,
    /// Access key for S3 (also the embedded store's key).
    #[arg(long, env = "AWS_ACCESS_KEY_ID", default_value = "ipscopy")]
    pub aws_access_key_id: String,
    /// Secret key for S3 (also the embedded store's secret).
    #[arg(long, env = "AWS_SECRET_ACCESS_KEY", default_value = "ipscopy-secret", hide_default_value = true)]
    pub aws_secret_access_key: SecretString,
    /// Region sent to S3.
    #[arg(long, env = "AWS_REGION", default_value = "us-east-1")]
    pub aws_region: String,
    /// Where the embedded store keeps its objects.
    #[arg(long, env = "IPSCOPY_DATA_DIR", default_value = "./data")]
    pub data_dir: PathBuf,
}

/// HTTP front settings.
#[derive(Args, Clone, Debug)]
pub struct HttpSettings {
    /// Address the HTTP API listens on.
    #[arg(long, env = "IPSCOPY_HTTP_ADDR", default_value = "127.0.0.1:8080")]
    pub http_addr: SocketAddr,
    /// Address of the operators' listener (`/metrics`, `/status`, `/v1/queues`, health), served
    /// by every process; keep it off the tenants' network.
    #[arg(long, env = "IPSCOPY_OPS_ADDR", default_value = "127.0.0.1:9091")]
    pub ops_addr: SocketAddr,
    /// A client must send a request's headers within this, in milliseconds; a keep-alive
    /// connection waiting for its next request is closed after [`Self::http_idle_timeout_ms`].
    #[arg(long, env = "IPSCOPY_HTTP_HEADER_TIMEOUT_MS", default_value_t = HttpSettings::HEADER_TIMEOUT_MS)]
    pub http_header_timeout_ms: u64,
    /// A request body that sends nothing for this long is abandoned (408), in milliseconds.
    #[arg(long, env = "IPSCOPY_HTTP_BODY_IDLE_TIMEOUT_MS", default_value_t = HttpSettings::BODY_IDLE_TIMEOUT_MS)]
    pub http_body_idle_timeout_ms: u64,
    /// A keep-alive connection with no request for this long is closed, in milliseconds.
    #[arg(long, env = "IPSCOPY_HTTP_IDLE_TIMEOUT_MS", default_value_t = HttpSettings::IDLE_TIMEOUT_MS)]
    pub http_idle_timeout_ms: u64,
    /// Connections one listener holds at once; one more is answered 503 and closed.
    #[arg(long, env = "IPSCOPY_HTTP_MAX_CONNECTIONS", default_value_t = HttpSettings::MAX_CONNECTIONS)]
    pub http_max_connections: usize,
    /// Copies per second one company may submit to this API process; 0 = no limit.
    #[arg(long, env = "IPSCOPY_COMPANY_SUBMIT_RATE", default_value_t = 0)]
    pub company_submit_rate: u32,
    /// Copies a company may submit at once above its rate (at least one full batch).
    #[arg(long, env = "IPSCOPY_COMPANY_SUBMIT_BURST", default_value_t = 1000)]
    pub company_submit_burst: u32,
    /// Companies whose handle labels the job counters in `/metrics`: 0 (the default) for none,
    /// N for the first N this process sees, the rest sharing `company="other"`.
    #[arg(long, env = "IPSCOPY_METRICS_COMPANY_LABELS", default_value_t = 0)]
    pub metrics_company_labels: usize,
}

impl HttpSettings {
    const HEADER_TIMEOUT_MS: u64 = 10_000;
    const BODY_IDLE_TIMEOUT_MS: u64 = 30_000;
    const IDLE_TIMEOUT_MS: u64 = 60_000;
    const MAX_CONNECTIONS: usize = 8_192;

    /// The defaults, listening on `http_addr` with the operators' listener on `ops_addr`.
    pub fn new(http_addr: SocketAddr, ops_addr: SocketAddr) -> Self {
        Self {
            http_addr,
            ops_addr,
            http_header_timeout_ms: Self::HEADER_TIMEOUT_MS,
            http_body_idle_timeout_ms: Self::BODY_IDLE_TIMEOUT_MS,
            http_idle_timeout_ms: Self::IDLE_TIMEOUT_MS,
            http_max_connections: Self::MAX_CONNECTIONS,
            company_submit_rate: 0,
            company_submit_burst: 1000,
            metrics_company_labels: 0,
        }
    }
}

/// Failed-login throttling: attempts over a limit are refused before any password is checked.
#[derive(Args, Clone, Debug)]
pub struct LoginSettings {
    /// Failed logins one e-mail may have at once, then one more per window / this; 0 = no limit.
    #[arg(long, env = "IPSCOPY_LOGIN_MAX_FAILURES_PER_USER", default_value_t = LoginSettings::PER_USER)]
    pub login_max_failures_per_user: u32,
    /// Failed logins one client address (an IPv6 /64) may have at once, then one more per
    /// window / this; 0 = no limit. The address is the TCP peer: behind a proxy, every client
    /// shares the proxy's.
    #[arg(long, env = "IPSCOPY_LOGIN_MAX_FAILURES_PER_ADDRESS", default_value_t = LoginSettings::PER_ADDRESS)]
    pub login_max_failures_per_address: u32,
    /// The window the failure limits are counted over, in seconds.
    #[arg(long, env = "IPSCOPY_LOGIN_FAILURE_WINDOW_SECS", default_value_t = LoginSettings::WINDOW_SECS)]
    pub login_failure_window_secs: u64,
}

impl LoginSettings {
    const PER_USER: u32 = 10;
    const PER_ADDRESS: u32 = 50;
    const WINDOW_SECS: u64 = 300;
}

impl Default for LoginSettings {
    /// The command-line defaults.
    fn default() -> Self {
        Self {
            login_max_failures_per_user: Self::PER_USER,
            login_max_failures_per_address: Self::PER_ADDRESS,
            login_failure_window_secs: Self::WINDOW_SECS,
        }
    }
}

/// Worker settings.
#[derive(Args, Clone, Debug)]
pub struct WorkerSettings {
    /// Jobs this worker holds at once (also its RabbitMQ prefetch); most of a job's time is
    /// spent waiting on S3 and PostgreSQL, so this is well above the render threads. 0 = 16 per
    /// CPU core.
    #[arg(long, env = "IPSCOPY_WORKER_CONCURRENCY", default_value_t = 0)]
    pub worker_concurrency: usize,
    /// Renders running at once (CPU-bound, on the blocking pool); 0 = one per CPU core.
    #[arg(long, env = "IPSCOPY_RENDER_THREADS", default_value_t = 0)]
    pub render_threads: usize,
    /// Attempts a job gets before a transient error fails it for good.
    #[arg(long, env = "IPSCOPY_MAX_ATTEMPTS", default_value_t = 10)]
    pub max_attempts: u32,
    /// How often a running job records that its worker is alive, in milliseconds.
    #[arg(long, env = "IPSCOPY_HEARTBEAT_INTERVAL_MS", default_value_t = 5_000)]
    pub heartbeat_interval_ms: u64,
    /// A running job without a heartbeat for this long is rescued and run again, in milliseconds.
    #[arg(long, env = "IPSCOPY_STALE_AFTER_MS", default_value_t = 60_000)]
    pub stale_after_ms: u64,
    /// A job published this long ago that no worker has claimed is published again (its message
    /// was lost or dead-lettered), in milliseconds; keep it above the longest wait in the queue,
    /// though a needless copy is harmless: the worker drops it.
    #[arg(long, env = "IPSCOPY_REPUBLISH_AFTER_MS", default_value_t = 600_000)]
    pub republish_after_ms: u64,
    /// Largest source, intermediate and output image a render may handle, in pixels; a render
    /// needs up to about 40 bytes per pixel of it (README, "Memory"), so this bounds a worker's
    /// memory together with the render threads.
    #[arg(long, env = "IPSCOPY_RENDER_MAX_PIXELS", default_value_t = 100_000_000)]
    pub render_max_pixels: u64,
    /// A render taking longer fails its job (`RenderTimeout`), in milliseconds.
    #[arg(long, env = "IPSCOPY_RENDER_TIMEOUT_MS", default_value_t = 120_000)]
    pub render_timeout_ms: u64,
    /// On shutdown, how long in-flight jobs may take to finish before they are left to be
    /// redelivered, in milliseconds.
    #[arg(long, env = "IPSCOPY_SHUTDOWN_TIMEOUT_MS", default_value_t = 30_000)]
    pub shutdown_timeout_ms: u64,
    /// Multiplies the retry backoff schedule (5 s, 30 s, 2 min, …); below 1 only for tests.
    #[arg(long, env = "IPSCOPY_RETRY_DELAY_SCALE", default_value_t = 1.0)]
    pub retry_delay_scale: f64,
}

impl WorkerSettings {
    /// The jobs in flight actually used.
    pub fn slots(&self) -> usize {
        if self.worker_concurrency > 0 { self.worker_concurrency } else { 16 * cores() }
    }

    /// The render threads actually used.
    pub fn render_threads(&self) -> usize {
        if self.render_threads > 0 { self.render_threads } else { cores() }
    }

    /// The render engine's limits, with the configured pixel ceiling.
    pub fn render_limits(&self) -> ipscopy_render::Limits {
        let pixels = self.render_max_pixels;
        ipscopy_render::Limits {
            max_source_pixels: pixels,
            max_output_pixels: pixels,
            max_intermediate_pixels: pixels,
            ..ipscopy_render::Limits::default()
        }
    }
}

fn cores() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}

/// Webhook sender settings.
#[derive(Args, Clone, Debug)]
pub struct WebhookSettings {
    /// Comma-separated CIDRs webhooks may reach although they are not public
    /// (e.g. `10.20.0.0/16,127.0.0.1/32`); by default only public addresses are reachable.
    #[arg(long, env = "IPSCOPY_WEBHOOK_ALLOWED_NETWORKS", value_delimiter = ',')]
    pub webhook_allowed_networks: Vec<IpNet>,
    /// Waits between the attempts of a failing delivery, after the immediate first one.
    #[arg(long, env = "IPSCOPY_WEBHOOK_RETRY_SCHEDULE", default_value = DEFAULT_SCHEDULE)]
    pub webhook_retry_schedule: RetrySchedule,
    /// Seconds a receiver has to answer an attempt.
    #[arg(long, env = "IPSCOPY_WEBHOOK_TIMEOUT_SECS", default_value_t = WebhookSettings::TIMEOUT_SECS)]
    pub webhook_timeout_secs: f64,
    /// Deliveries in flight at once to one endpoint, across every process.
    #[arg(long, env = "IPSCOPY_WEBHOOK_ENDPOINT_CONCURRENCY", default_value_t = WebhookSettings::ENDPOINT_CONCURRENCY)]
    pub webhook_endpoint_concurrency: u32,
    /// Deliveries in flight at once in this process.
    #[arg(long, env = "IPSCOPY_WEBHOOK_SENDERS", default_value_t = WebhookSettings::SENDERS)]
    pub webhook_senders: usize,
    /// An endpoint whose every attempt failed for this many hours is disabled.
    #[arg(long, env = "IPSCOPY_WEBHOOK_DISABLE_AFTER_HOURS", default_value_t = WebhookSettings::DISABLE_AFTER_HOURS)]
    pub webhook_disable_after_hours: f64,
    /// Days a delivered or failed message and its attempt log are kept; 0 keeps them forever.
    #[arg(long, env = "IPSCOPY_WEBHOOK_RETENTION_DAYS", default_value_t = WebhookSettings::RETENTION_DAYS)]
    pub webhook_retention_days: f64,
}

impl WebhookSettings {
    const TIMEOUT_SECS: f64 = 15.0;
    const ENDPOINT_CONCURRENCY: u32 = 4;
    const SENDERS: usize = 32;
    /// Five days, as Svix.
    const DISABLE_AFTER_HOURS: f64 = 120.0;
    const RETENTION_DAYS: f64 = 30.0;
}

impl Default for WebhookSettings {
    /// The command-line defaults.
    fn default() -> Self {
        Self {
            webhook_allowed_networks: Vec::new(),
            webhook_retry_schedule: RetrySchedule::default(),
            webhook_timeout_secs: Self::TIMEOUT_SECS,
            webhook_endpoint_concurrency: Self::ENDPOINT_CONCURRENCY,
            webhook_senders: Self::SENDERS,
            webhook_disable_after_hours: Self::DISABLE_AFTER_HOURS,
            webhook_retention_days: Self::RETENTION_DAYS,
        }
    }
}

/// Every setting a role may need.
#[derive(Args, Clone)]
pub struct Settings {
    #[command(flatten)]
    pub db: DbSettings,
    #[command(flatten)]
    pub amqp: AmqpSettings,
    #[command(flatten)]
    pub s3: S3Settings,
    #[command(flatten)]
    pub http: HttpSettings,
    #[command(flatten)]
    pub login: LoginSettings,
    #[command(flatten)]
    pub worker: WorkerSettings,
    #[command(flatten)]
    pub webhook: WebhookSettings,
}

impl Settings {
    /// Refuses a malformed broker, database or S3 URL before anything starts, with one line that
    /// names the setting and never shows the URL (it may hold a password).
    pub fn check(&self) -> Result<(), String> {
        fn named(setting: &'static str, flag: &'static str) -> impl Fn(String) -> String {
            move |e| format!("{setting} (--{flag}): {e}")
        }
        self.amqp.amqp_url.check().map_err(named("AMQP_URL", "amqp-url"))?;
        check_url(self.db.database_url.expose(), &["postgres", "postgresql"])
            .map_err(named("DATABASE_URL", "database-url"))?;
        if let Some(endpoint) = &self.s3.s3_endpoint {
            check_url(endpoint, &["http", "https"]).map_err(named("S3_ENDPOINT", "s3-endpoint"))?;
        }
        Ok(())
    }
}

impl fmt::Debug for Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Settings")
            .field("database_url", &self.db.database_url)
            .field("amqp_url", &self.amqp.amqp_url)
            .field("queue_prefix", &self.amqp.queue_prefix)
            .field("s3_endpoint", &self.s3.s3_endpoint)
            .field("s3_bucket", &self.s3.s3_bucket)
            .field("data_dir", &self.s3.data_dir)
            .field("http_addr", &self.http.http_addr)
            .field("ops_addr", &self.http.ops_addr)
            .field("login", &self.login)
            .field("worker_slots", &self.worker.slots())
            .field("webhook", &self.webhook)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn settings_print_no_password_or_secret_key() {
        use clap::Parser;

        #[derive(Parser)]
        struct Cli {
            #[command(flatten)]
            settings: super::Settings,
        }
        let cli = Cli::parse_from([
            "ipscopy",
            "--database-url",
            "postgres://app:db-pw-1@db/x",
            "--amqp-url",
            "amqp://app:amqp-pw-2@mq/%2f",
            "--aws-secret-access-key",
            "s3-secret-3",
        ]);
        let shown = format!("{:?} {:?}", cli.settings, cli.settings.s3.aws_secret_access_key);
        for secret in ["db-pw-1", "amqp-pw-2", "s3-secret-3"] {
            assert!(!shown.contains(secret), "{secret} in {shown}");
        }
        assert!(shown.contains("postgres://app:***@db/x"), "{shown}");
        assert_eq!(cli.settings.login.login_max_failures_per_user, 10);
    }

    #[derive(clap::Parser)]
    struct Cli {
        #[command(flatten)]
        settings: super::Settings,
    }

    fn refusal(args: &[&str]) -> String {
        use clap::Parser;
        let mut full = vec!["ipscopy"];
        full.extend_from_slice(args);
        let cli = Cli::try_parse_from(full).expect("the flags parse");
        cli.settings.check().expect_err("the settings are refused")
    }

    #[test]
    fn a_broker_list_gives_every_node_and_each_connection_moves_past_the_one_that_served() {
        use clap::Parser;
        let cli = Cli::parse_from([
            "ipscopy",
            "--amqp-url",
            "amqp://u:pw-1@mq-0:5672/%2f, amqp://u:pw-1@mq-1:5672/%2f,amqps://u:pw-1@mq-2/%2f",
        ]);
        let urls = &cli.settings.amqp.amqp_url;
        assert_eq!(urls.all().len(), 3);
        let first: Vec<usize> = urls.rotation().map(|(i, _)| i).collect();
        assert_eq!(first.len(), 3, "every node is tried once");
        urls.served_by(first[0]);
        let after: Vec<usize> = urls.rotation().map(|(i, _)| i).collect();
        assert_eq!(after[0], (first[0] + 1) % 3, "the next connection starts after the node that served");
        assert!(!format!("{urls:?}").contains("pw-1"), "{urls:?}");
    }

    #[test]
    fn malformed_urls_are_refused_at_start_naming_the_setting_and_never_the_password() {
        for (args, setting, says) in [
            (["--amqp-url", "amqp://u:pw-9@mq-0:5672,mq-1:5672"], "AMQP_URL", "entry 2: scheme"),
            (["--amqp-url", "http://u:pw-9@mq-0:5672/"], "AMQP_URL", "scheme \"http\""),
            (["--amqp-url", "amqp://"], "AMQP_URL", "no host"),
            (["--database-url", "postgres//u:pw-9@db/x"], "DATABASE_URL", "not a URL"),
            (["--database-url", "mysql://u:pw-9@db/x"], "DATABASE_URL", "scheme"),
            (["--s3-endpoint", "minio:9000"], "S3_ENDPOINT", "scheme"),
        ] {
            let error = refusal(&args);
            assert!(error.starts_with(&format!("{setting} ({})", args[0])), "{error}");
            assert!(error.contains(says), "{args:?}: {error}");
            assert!(!error.contains("pw-9") && !error.contains('\n'), "{error}");
        }
    }

    #[test]
    fn the_default_settings_pass_the_start_check_and_keep_operator_data_private() {
        use clap::Parser;
        let defaults = Cli::parse_from(["ipscopy"]).settings;
        defaults.check().expect("the defaults are valid");
        assert_eq!(defaults.http.metrics_company_labels, 0, "no company labels unless asked for");
        assert!(defaults.http.ops_addr.ip().is_loopback(), "the operators' listener is private by default");
    }

    #[test]
    fn webhook_settings_parse_networks_and_schedules_and_default_like_the_cli() {
        use clap::Parser;

        #[derive(Parser)]
        struct Cli {
            #[command(flatten)]
            webhook: super::WebhookSettings,
        }
        let cli = Cli::parse_from([
            "ipscopy",
            "--webhook-allowed-networks",
            "10.20.0.0/16,::1/128",
            "--webhook-retry-schedule",
            "1s,2m",
        ]);
        assert_eq!(cli.webhook.webhook_allowed_networks.len(), 2);
        assert_eq!(cli.webhook.webhook_retry_schedule.to_string(), "1000ms,120000ms");
        let defaults = Cli::parse_from(["ipscopy"]).webhook;
        let built_in = super::WebhookSettings::default();
        assert_eq!(defaults.webhook_retry_schedule, built_in.webhook_retry_schedule);
        assert_eq!(defaults.webhook_timeout_secs, built_in.webhook_timeout_secs);
        assert_eq!(defaults.webhook_endpoint_concurrency, built_in.webhook_endpoint_concurrency);
        assert_eq!(defaults.webhook_retention_days, built_in.webhook_retention_days);
        assert!(Cli::try_parse_from(["ipscopy", "--webhook-allowed-networks", "10.0.0.0/33"]).is_err());
    }
}
