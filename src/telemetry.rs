//! Logging set-up: human-readable by default, JSON with `IPSCOPY_LOG_FORMAT=json`.

use tracing_subscriber::{EnvFilter, fmt};

/// Installs the global subscriber; logs go to stderr so commands can print results on stdout.
pub fn init() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = fmt().with_env_filter(filter).with_writer(std::io::stderr);
    let json = std::env::var("IPSCOPY_LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("json"));
    let _ = if json { builder.json().try_init() } else { builder.try_init() };
}
