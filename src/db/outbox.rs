use chrono::{DateTime, Utc};
use sqlx::{PgExecutor, Postgres, Transaction};

/// Announces a job to the relay, to be published at `available_at` (now if `None`).
pub async fn insert(
    db: impl PgExecutor<'_>,
    job_id: i64,
    available_at: Option<DateTime<Utc>>,
) -> sqlx::Result<()> {
    sqlx::query!(
        "insert into outbox (job_id, available_at) values ($1, coalesce($2, now()))",
        job_id,
        available_at
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Jobs published and not yet final: what the broker holds or workers run.
pub async fn in_broker(tx: &mut Transaction<'_, Postgres>) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        r#"select count(*) as "n!" from jobs where published_at is not null and state in ('queued', 'running')"#
    )
    .fetch_one(&mut **tx)
    .await
}

/// Locks up to `limit` due rows, at most `per_company` of each company, oldest first within a
/// company and round-robin across companies; other relays skip locked rows.
pub async fn lock_due_fairly(
    tx: &mut Transaction<'_, Postgres>,
    limit: i64,
    per_company: i64,
) -> sqlx::Result<Vec<(i64, i64)>> {
    // A skip scan over the (company_id, outbox_id) index finds the companies with rows without
    // reading a large backlog row by row.
    let rows = sqlx::query!(
        r#"with recursive companies(company_id) as (
             (select company_id from outbox where company_id is not null order by company_id limit 1)
             union all
             select (select o.company_id from outbox o where o.company_id > c.company_id
                     order by o.company_id limit 1)
             from companies c where c.company_id is not null
         )
         select outbox_id as "outbox_id!", job_id as "job_id!" from (
             select picked.outbox_id, picked.job_id,
                    row_number() over (partition by c.company_id order by picked.outbox_id) as turn
             from companies c
             cross join lateral (
                 select o.outbox_id, o.job_id from outbox o
                 where o.company_id = c.company_id and o.available_at <= now()
                 order by o.outbox_id limit $2
                 for update skip locked
             ) picked
             where c.company_id is not null
         ) ranked
         order by turn, outbox_id
         limit $1"#,
        limit,
        per_company
    )
    .fetch_all(&mut **tx)
    .await?;
    Ok(rows.into_iter().map(|r| (r.outbox_id, r.job_id)).collect())
}

/// Marks jobs as handed to the broker.
pub async fn mark_published(tx: &mut Transaction<'_, Postgres>, job_ids: &[i64]) -> sqlx::Result<()> {
    sqlx::query!("update jobs set published_at = now() where job_id = any($1)", job_ids as &[i64])
        .execute(&mut **tx)
        .await?;
    Ok(())
}

pub async fn delete(tx: &mut Transaction<'_, Postgres>, ids: &[i64]) -> sqlx::Result<()> {
    sqlx::query!("delete from outbox where outbox_id = any($1)", ids as &[i64]).execute(&mut **tx).await?;
    Ok(())
}

/// When the next row becomes due, if any row waits.
pub async fn next_due(db: impl PgExecutor<'_>) -> sqlx::Result<Option<DateTime<Utc>>> {
    sqlx::query_scalar!("select min(available_at) from outbox").fetch_one(db).await
}
