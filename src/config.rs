//! Typed settings, from flags and environment variables; every default works on a machine where
//! PostgreSQL and RabbitMQ listen on localhost.

use std::{fmt, net::SocketAddr, path::PathBuf};

use clap::Args;
use ipnet::IpNet;

use crate::{
    secret::{SecretString, SecretUrl},
    webhook::schedule::{DEFAULT_SCHEDULE, RetrySchedule},
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
    /// AMQP 0-9-1 URL of the broker.
    #[arg(long, env = "AMQP_URL", default_value = "amqp://guest:guest@127.0.0.1:5672/%2f")]
    pub amqp_url: SecretUrl,
    /// Prefix of every exchange and queue name, so deployments and tests can share a broker.
    #[arg(long, env = "IPSCOPY_QUEUE_PREFIX", default_value = "ipscopy")]
    pub queue_prefix: String,
    /// Most jobs handed to the broker and not yet finished; the rest wait in PostgreSQL and are
    /// published round-robin across companies, so no backlog starves another company.
    #[arg(long, env = "IPSCOPY_BROKER_WINDOW", default_value_t = 256)]
    pub broker_window: u32,
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
    /// Copies per second one company may submit to this API process; 0 = no limit.
    #[arg(long, env = "IPSCOPY_COMPANY_SUBMIT_RATE", default_value_t = 0)]
    pub company_submit_rate: u32,
    /// Copies a company may submit at once above its rate (at least one full batch).
    #[arg(long, env = "IPSCOPY_COMPANY_SUBMIT_BURST", default_value_t = 1000)]
    pub company_submit_burst: u32,
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
