//! Typed settings, from flags and environment variables; every default works on a machine where
//! PostgreSQL and RabbitMQ listen on localhost.

use std::{fmt, net::SocketAddr, path::PathBuf};

use clap::Args;

/// PostgreSQL settings.
#[derive(Args, Clone)]
pub struct DbSettings {
    /// PostgreSQL URL; the database is created if missing by `run`, `api` and `migrate`.
    #[arg(long, env = "DATABASE_URL", default_value = "postgres://postgres@127.0.0.1:5432/ipscopy")]
    pub database_url: String,
    /// Connections in this process's pool.
    #[arg(long, env = "IPSCOPY_DB_MAX_CONNECTIONS", default_value_t = 16)]
    pub db_max_connections: u32,
}

/// RabbitMQ settings.
#[derive(Args, Clone)]
pub struct AmqpSettings {
    /// AMQP 0-9-1 URL of the broker.
    #[arg(long, env = "AMQP_URL", default_value = "amqp://guest:guest@127.0.0.1:5672/%2f")]
    pub amqp_url: String,
    /// Prefix of every exchange and queue name, so deployments and tests can share a broker.
    #[arg(long, env = "IPSCOPY_QUEUE_PREFIX", default_value = "ipscopy")]
    pub queue_prefix: String,
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
    pub aws_secret_access_key: String,
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
}

/// Worker settings.
#[derive(Args, Clone, Debug)]
pub struct WorkerSettings {
    /// Renders run at once by this worker (also its RabbitMQ prefetch); 0 = one per CPU core.
    #[arg(long, env = "IPSCOPY_WORKER_CONCURRENCY", default_value_t = 0)]
    pub worker_concurrency: usize,
    /// Attempts a job gets before a transient error fails it for good.
    #[arg(long, env = "IPSCOPY_MAX_ATTEMPTS", default_value_t = 10)]
    pub max_attempts: u32,
}

impl WorkerSettings {
    /// The concurrency actually used.
    pub fn slots(&self) -> usize {
        if self.worker_concurrency > 0 {
            self.worker_concurrency
        } else {
            std::thread::available_parallelism().map_or(2, |n| n.get())
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
    pub worker: WorkerSettings,
}

/// Hides the password part of a URL so settings can be logged.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let creds = &url[scheme + 3..at];
            let user = creds.split(':').next().unwrap_or("");
            format!("{}{user}:***{}", &url[..scheme + 3], &url[at..])
        }
        _ => url.to_string(),
    }
}

impl fmt::Debug for Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Settings")
            .field("database_url", &redact(&self.db.database_url))
            .field("amqp_url", &redact(&self.amqp.amqp_url))
            .field("queue_prefix", &self.amqp.queue_prefix)
            .field("s3_endpoint", &self.s3.s3_endpoint)
            .field("s3_bucket", &self.s3.s3_bucket)
            .field("data_dir", &self.s3.data_dir)
            .field("http_addr", &self.http.http_addr)
            .field("worker_slots", &self.worker.slots())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn urls_are_logged_without_their_password() {
        assert_eq!(redact("amqp://guest:guest@127.0.0.1:5672/%2f"), "amqp://guest:***@127.0.0.1:5672/%2f");
        assert_eq!(redact("postgres://127.0.0.1/x"), "postgres://127.0.0.1/x");
    }
}
