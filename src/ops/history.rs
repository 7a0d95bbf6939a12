//! The last hour, minute by minute, rebuilt from job timestamps: throughput, end-to-end latency
//! and how many jobs were waiting. Nothing is sampled, so the charts are full as soon as a page
//! opens and agree across API processes.

use sqlx::PgPool;

pub use crate::db::figures::Minute;

/// The 60 minutes up to now, oldest first.
pub async fn last_hour(pool: &PgPool) -> sqlx::Result<Vec<Minute>> {
    crate::db::figures::last_hour(pool).await
}
