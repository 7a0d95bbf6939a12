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

impl From<sqlx::Error> for Error {
    fn from(e: sqlx::Error) -> Self {
        Error::Internal(anyhow::Error::new(e).context("database query failed"))
    }
}

/// Shorthand for use-case results.
pub type Result<T, E = Error> = std::result::Result<T, E>;
