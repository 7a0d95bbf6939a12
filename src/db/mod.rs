//! PostgreSQL access: one file per aggregate, plain SQL.

pub mod assets;
pub mod batches;
pub mod bench;
pub mod companies;
pub mod figures;
pub mod folders;
pub mod idempotency;
pub mod job_status;
pub mod jobs;
pub mod outbox;
pub mod search;
mod types;
pub mod upload_jobs;
pub mod users;
pub mod webhooks;
pub mod workers;

use std::{str::FromStr, time::Duration};

use anyhow::Context;
use sqlx::{
    PgPool, Postgres,
    migrate::{MigrateDatabase, Migrator},
    postgres::{PgConnectOptions, PgPoolOptions},
};

use crate::config::DbSettings;

/// `text` with the `like` wildcards escaped, to match itself inside a pattern.
pub(crate) fn like_literal(text: &str) -> String {
    text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
}

/// The schema migrations, embedded in the binary.
pub static MIGRATOR: Migrator = sqlx::migrate!("./migrations");

/// Pooled connections idle longer than this are pinged before use.
const IDLE_BEFORE_PING: Duration = Duration::from_millis(500);

/// Whether the database answers a trivial statement.
pub async fn ping(pool: &PgPool) -> bool {
    sqlx::query_scalar!("select 1 as one").fetch_one(pool).await.is_ok()
}

/// Opens a pool; with `prepare`, creates the database if missing and applies migrations.
pub async fn connect(settings: &DbSettings, prepare: bool) -> anyhow::Result<PgPool> {
    let url = settings.database_url.expose();
    if prepare && !Postgres::database_exists(url).await.context("checking the database exists")? {
        // Two processes may race to create it; the loser sees it exist.
        if let Err(e) = Postgres::create_database(url).await
            && !Postgres::database_exists(url).await.unwrap_or(false)
        {
            return Err(e).context("creating the database");
        }
    }
    let options = PgConnectOptions::from_str(url).context("parsing DATABASE_URL")?;
    let pool = PgPoolOptions::new()
        .max_connections(settings.db_max_connections)
        .acquire_timeout(Duration::from_secs(10))
        // A ping per acquire costs 5-20 % on single-row statements, so only connections idle
        // for a while are checked: those are the ones a database restart leaves dead, and a busy
        // pool never pays for it.
        .test_before_acquire(false)
        .before_acquire(|conn, meta| {
            Box::pin(async move {
                if meta.idle_for < IDLE_BEFORE_PING {
                    return Ok(true);
                }
                Ok(sqlx::Connection::ping(conn).await.is_ok())
            })
        })
        // Every request and task runs its transactions to completion (`server::serve` gives each
        // request a task of its own), so none is dropped mid-`BEGIN` or mid-`COMMIT`. Should one
        // still come back with sqlx counting a transaction open, it is closed, never lent on.
        .after_release(|conn, _| Box::pin(async move { Ok(!sqlx::Connection::is_in_transaction(conn)) }))
        .connect_with(options)
        .await
        .context("connecting to PostgreSQL")?;
    if prepare {
        MIGRATOR.run(&pool).await.context("applying migrations")?;
    }
    Ok(pool)
}
