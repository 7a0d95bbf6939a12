use chrono::{DateTime, Utc};
use sqlx::{PgExecutor, Postgres, Transaction};

/// Announces a job to the relay, to be published at `available_at` (now if `None`).
pub async fn insert(
    db: impl PgExecutor<'_>,
    job_id: i64,
    available_at: Option<DateTime<Utc>>,
) -> sqlx::Result<()> {
    sqlx::query("insert into outbox (job_id, available_at) values ($1, coalesce($2, now()))")
        .bind(job_id)
        .bind(available_at)
        .execute(db)
        .await?;
    Ok(())
}

/// Locks up to `limit` due rows for this transaction; other relays skip them.
pub async fn lock_due(tx: &mut Transaction<'_, Postgres>, limit: i64) -> sqlx::Result<Vec<(i64, i64)>> {
    sqlx::query_as(
        "select outbox_id, job_id from outbox where available_at <= now()
         order by outbox_id limit $1 for update skip locked",
    )
    .bind(limit)
    .fetch_all(&mut **tx)
    .await
}

pub async fn delete(tx: &mut Transaction<'_, Postgres>, ids: &[i64]) -> sqlx::Result<()> {
    sqlx::query("delete from outbox where outbox_id = any($1)").bind(ids).execute(&mut **tx).await?;
    Ok(())
}

/// When the next row becomes due, if any row waits.
pub async fn next_due(db: impl PgExecutor<'_>) -> sqlx::Result<Option<DateTime<Utc>>> {
    sqlx::query_scalar("select min(available_at) from outbox").fetch_one(db).await
}
