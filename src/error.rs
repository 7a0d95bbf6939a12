//! The error of every use case: a client-visible IPS fault, or an internal failure that is
//! logged with its cause chain and never shown to the client.

use crate::domain::Fault;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Fault(#[from] Fault),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

/// Seconds a client is asked to wait when the database cannot be reached.
const DATABASE_RETRY_AFTER_SECS: u64 = 5;

impl From<sqlx::Error> for Error {
    fn from(e: sqlx::Error) -> Self {
        match e {
            // Not a bug but an outage (a restart, a failover, a full pool): the client should retry.
            sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::Io(_)
            | sqlx::Error::Tls(_) => unavailable(e),
            // 57P01–57P03: the server is shutting down or starting up; 08: the connection failed.
            sqlx::Error::Database(ref db)
                if db.code().is_some_and(|c| c.starts_with("57P") || c.starts_with("08")) =>
            {
                unavailable(e)
            }
            // A copy or move into a folder that `deleteFolder` removed after it was looked up.
            sqlx::Error::Database(ref db) if db.constraint() == Some("assets_folder_id_fkey") => {
                Error::Fault(Fault::not_found(
                    "the folder was deleted while this call ran; nothing was written",
                ))
            }
            e => Error::Internal(anyhow::Error::new(e).context("database query failed")),
        }
    }
}

fn unavailable(e: sqlx::Error) -> Error {
    tracing::warn!(error = %e, "the database is unavailable");
    Error::Fault(Fault::unavailable(
        format!("the database is unavailable; retry in {DATABASE_RETRY_AFTER_SECS} s"),
        DATABASE_RETRY_AFTER_SECS,
    ))
}

/// Shorthand for use-case results.
pub type Result<T, E = Error> = std::result::Result<T, E>;
