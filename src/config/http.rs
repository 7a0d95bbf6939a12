//! The HTTP front's settings: listeners, timeouts, connection bound and submission rate.

use std::net::SocketAddr;

use clap::Args;

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
    /// Webhook endpoints whose handle labels the per-endpoint backlog gauges in `/metrics` (the
    /// ones with the most due deliveries); the rest are summed into `endpoint="other"`.
    #[arg(long, env = "IPSCOPY_METRICS_ENDPOINT_LABELS", default_value_t = HttpSettings::ENDPOINT_LABELS)]
    pub metrics_endpoint_labels: usize,
    /// Largest master `POST /v1/assets` takes, in bytes; a larger one is answered 413 with the
    /// limit in its reason, and nothing of it is kept.
    #[arg(long, env = "IPSCOPY_UPLOAD_MAX_BYTES", default_value_t = HttpSettings::UPLOAD_MAX_BYTES)]
    pub upload_max_bytes: u64,
}

impl HttpSettings {
    const HEADER_TIMEOUT_MS: u64 = 10_000;
    const BODY_IDLE_TIMEOUT_MS: u64 = 30_000;
    const IDLE_TIMEOUT_MS: u64 = 60_000;
    const MAX_CONNECTIONS: usize = 8_192;
    const ENDPOINT_LABELS: usize = 20;
    const UPLOAD_MAX_BYTES: u64 = 2 << 30;

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
            metrics_endpoint_labels: Self::ENDPOINT_LABELS,
            upload_max_bytes: Self::UPLOAD_MAX_BYTES,
        }
    }
}
