//! The PostgreSQL settings.

use clap::Args;

use crate::secret::SecretUrl;

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
