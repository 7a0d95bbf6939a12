//! Batches of copies and of imports: bulk inserts with UNNEST (one statement per table for up to 1,000 items)
//! and the batch status.

use std::collections::HashMap;

use sqlx::PgConnection;

use crate::domain::{AssetState, JobFailure, JobKind, JobState, TrashState};

/// Where a job's image comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobSource {
    /// A copy renders this asset.
    Asset(i64),
    /// An import fetches this URL (`http`, `https`, or `s3://bucket/key`).
    Url(String),
}

impl JobSource {
    pub fn kind(&self) -> JobKind {
        match self {
            JobSource::Asset(_) => JobKind::Copy,
            JobSource::Url(_) => JobKind::Import,
        }
    }

    pub fn asset_id(&self) -> Option<i64> {
        match self {
            JobSource::Asset(id) => Some(*id),
            JobSource::Url(_) => None,
        }
    }

    pub fn url(&self) -> Option<&str> {
        match self {
            JobSource::Asset(_) => None,
            JobSource::Url(url) => Some(url),
        }
    }
}

/// One accepted item, ready to be written.
#[derive(Debug, Clone)]
pub struct NewJob {
    pub folder_id: i64,
    pub name: String,
    /// Empty for an import.
    pub url_modifier: String,
    pub source: JobSource,
    pub callback_url: Option<String>,
}

/// A batch row to create.
#[derive(Debug, Clone, Copy)]
pub struct NewBatch<'a> {
    /// A batch of copies, or an import.
    pub kind: JobKind,
    pub company_id: i64,
    pub created_by: i64,
    pub accepted: i32,
    pub rejected: i32,
    pub callback_url: Option<&'a str>,
    /// The IPS jobName of an import submitted over SOAP.
    pub name: Option<&'a str>,
}

/// Creates the batch row.
pub async fn insert_batch(db: &mut PgConnection, batch: &NewBatch<'_>) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        "insert into batches (kind, company_id, created_by, accepted, rejected, callback_url, name)
         values ($1, $2, $3, $4, $5, $6, $7) returning batch_id",
        batch.kind as JobKind,
        batch.company_id,
        batch.created_by,
        batch.accepted,
        batch.rejected,
        batch.callback_url,
        batch.name
    )
    .fetch_one(db)
    .await
}

/// Reserves pending assets for `jobs`; returns name → asset id for the names that were free.
pub async fn insert_assets(
    db: &mut PgConnection,
    company_id: i64,
    created_by: i64,
    jobs: &[NewJob],
) -> sqlx::Result<HashMap<String, i64>> {
    let folders: Vec<i64> = jobs.iter().map(|c| c.folder_id).collect();
    let names: Vec<&str> = jobs.iter().map(|c| c.name.as_str()).collect();
    let modifiers: Vec<&str> = jobs.iter().map(|c| c.url_modifier.as_str()).collect();
    let sources: Vec<Option<i64>> = jobs.iter().map(|c| c.source.asset_id()).collect();
    let rows = sqlx::query!(
        "insert into assets (company_id, folder_id, name, state, url_modifier, source_asset_id, created_by)
         select $1, f, n, 'pending', m, s, $2
         from unnest($3::bigint[], $4::text[], $5::text[], $6::bigint[]) as t(f, n, m, s)
         on conflict (company_id, name) where state <> 'failed' do nothing
         returning name, asset_id",
        company_id,
        created_by,
        &folders,
        names.as_slice() as &[&str],
        modifiers.as_slice() as &[&str],
        sources.as_slice() as &[Option<i64>]
    )
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(|r| (r.name, r.asset_id)).collect())
}

/// Creates one queued job (and its outbox row) per `(job, asset id)`; returns the job ids in
/// the same order.
pub async fn insert_jobs(
    db: &mut PgConnection,
    company_id: i64,
    created_by: i64,
    batch_id: Option<i64>,
    max_attempts: u32,
    jobs: &[(&NewJob, i64)],
) -> sqlx::Result<Vec<i64>> {
    let kinds: Vec<&str> = jobs.iter().map(|(c, _)| c.source.kind().as_str()).collect();
    let sources: Vec<Option<i64>> = jobs.iter().map(|(c, _)| c.source.asset_id()).collect();
    let urls: Vec<Option<&str>> = jobs.iter().map(|(c, _)| c.source.url()).collect();
    let targets: Vec<i64> = jobs.iter().map(|&(_, a)| a).collect();
    let modifiers: Vec<&str> = jobs.iter().map(|(c, _)| c.url_modifier.as_str()).collect();
    let callbacks: Vec<Option<&str>> = jobs.iter().map(|(c, _)| c.callback_url.as_deref()).collect();
    let rows = sqlx::query!(
        "insert into jobs (company_id, state, kind, source_asset_id, source_url, target_asset_id, url_modifier,
                           max_attempts, created_by, callback_url, batch_id)
         select $1, 'queued', k, s, su, t, m, $2, $3, c, $4
         from unnest($5::text[], $6::bigint[], $7::text[], $8::bigint[], $9::text[], $10::text[])
              as u(k, s, su, t, m, c)
         returning target_asset_id, job_id",
        company_id,
        max_attempts as i32,
        created_by,
        batch_id,
        kinds.as_slice() as &[&str],
        sources.as_slice() as &[Option<i64>],
        urls.as_slice() as &[Option<&str>],
        &targets,
        modifiers.as_slice() as &[&str],
        callbacks.as_slice() as &[Option<&str>]
    )
    .fetch_all(&mut *db)
    .await?;
    let by_target: HashMap<i64, i64> = rows.into_iter().map(|r| (r.target_asset_id, r.job_id)).collect();
    let jobs: Vec<i64> = targets.iter().filter_map(|t| by_target.get(t).copied()).collect();
    sqlx::query!(
        "insert into outbox (job_id, company_id) select unnest($1::bigint[]), $2",
        &jobs,
        company_id
    )
    .execute(db)
    .await?;
    Ok(jobs)
}

/// A batch and its jobs counted by state.
#[derive(Debug, Clone)]
pub struct BatchStatus {
    pub kind: JobKind,
    pub company_id: i64,
    pub accepted: i32,
    pub rejected: i32,
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// Jobs by state; a state no job is in is missing.
    pub counts: HashMap<JobState, i64>,
    /// When the last job changed, for ETags.
    pub last_change: Option<chrono::DateTime<chrono::Utc>>,
}

impl BatchStatus {
    /// How many of the batch's jobs are in `state`.
    pub fn count(&self, state: JobState) -> i64 {
        self.counts.get(&state).copied().unwrap_or(0)
    }
}

pub async fn status(db: &mut PgConnection, batch_id: i64) -> sqlx::Result<Option<BatchStatus>> {
    let batch = sqlx::query!(
        r#"select kind as "kind: JobKind", company_id, accepted, rejected, created_at
           from batches where batch_id = $1"#,
        batch_id
    )
    .fetch_optional(&mut *db)
    .await?;
    let Some(batch) = batch else {
        return Ok(None);
    };
    let rows = sqlx::query!(
        r#"select state as "state: JobState", count(*) as "n!", max(updated_at) as last_change
           from jobs where batch_id = $1 group by state"#,
        batch_id
    )
    .fetch_all(db)
    .await?;
    let last_change = rows.iter().filter_map(|r| r.last_change).max();
    let counts = rows.into_iter().map(|r| (r.state, r.n)).collect();
    Ok(Some(BatchStatus {
        kind: batch.kind,
        company_id: batch.company_id,
        accepted: batch.accepted,
        rejected: batch.rejected,
        created_at: batch.created_at,
        counts,
        last_change,
    }))
}

/// A failed job of a batch.
#[derive(Debug, Clone)]
pub struct FailedItem {
    pub job_id: i64,
    pub target_asset_id: i64,
    pub name: String,
    /// An import's source.
    pub source_url: Option<String>,
    pub error_code: Option<String>,
    pub error_reason: Option<String>,
}

impl FailedItem {
    /// Why the job failed.
    pub fn failure(&self) -> Option<JobFailure> {
        Some(JobFailure::recorded(self.error_code.as_deref()?, self.error_reason.clone()?))
    }
}

/// Up to `limit` failed jobs of a batch, oldest first.
pub async fn failed_items(db: &mut PgConnection, batch_id: i64, limit: i64) -> sqlx::Result<Vec<FailedItem>> {
    sqlx::query_as!(
        FailedItem,
        "select j.job_id, j.target_asset_id, a.name, j.source_url, j.error_code, j.error_reason
         from jobs j join assets a on a.asset_id = j.target_asset_id
         where j.batch_id = $1 and j.state = 'failed' order by j.job_id limit $2",
        batch_id,
        limit
    )
    .fetch_all(db)
    .await
}

/// What decides whether a batch may copy an asset.
#[derive(Debug, Clone)]
pub struct SourceRow {
    pub company_id: i64,
    /// The asset type (`Image` for a master).
    pub kind: String,
    pub state: AssetState,
    pub trash_state: TrashState,
}

/// The sources named by a batch, by asset id.
pub async fn sources(db: &mut PgConnection, asset_ids: &[i64]) -> sqlx::Result<HashMap<i64, SourceRow>> {
    let rows = sqlx::query!(
        r#"select asset_id, company_id, type as kind, state as "state: AssetState",
                  trash_state as "trash_state: TrashState"
           from assets where asset_id = any($1)"#,
        asset_ids
    )
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let source = SourceRow {
                company_id: r.company_id,
                kind: r.kind,
                state: r.state,
                trash_state: r.trash_state,
            };
            (r.asset_id, source)
        })
        .collect())
}

/// Folder ids of a company by path.
pub async fn folders(
    db: &mut PgConnection,
    company_id: i64,
    paths: &[&str],
) -> sqlx::Result<HashMap<String, i64>> {
    let rows = sqlx::query!(
        "select path, folder_id from folders where company_id = $1 and path = any($2)",
        company_id,
        paths as &[&str]
    )
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(|r| (r.path, r.folder_id)).collect())
}

/// A batch whose last job has ended.
#[derive(Debug, Clone)]
pub struct Completed {
    pub kind: JobKind,
    pub batch_id: i64,
    pub company_id: i64,
    pub callback_url: Option<String>,
    pub accepted: i32,
    pub rejected: i32,
    pub succeeded: i64,
    pub failed: i64,
    pub cancelled: i64,
}

/// Marks up to `limit` batches without an unfinished job as completed, with their final counts.
/// The update is conditional on `completed_at is null`, so when several processes look at once
/// each batch is completed by exactly one of them; locked batches are left to their holder.
pub async fn complete_finished(db: &mut PgConnection, limit: i64) -> sqlx::Result<Vec<Completed>> {
    sqlx::query_as!(
        Completed,
        r#"with done as (
             select b.batch_id from batches b
             where b.completed_at is null
               and not exists (select 1 from jobs j
                               where j.batch_id = b.batch_id and j.state in ('queued', 'running'))
             order by b.batch_id
             limit $1
             for update of b skip locked),
         counts as (
             select j.batch_id,
                    count(*) filter (where j.state = 'succeeded') as succeeded,
                    count(*) filter (where j.state = 'failed') as failed,
                    count(*) filter (where j.state = 'cancelled') as cancelled
             from jobs j join done using (batch_id)
             group by j.batch_id)
         update batches b set completed_at = now()
         from done left join counts using (batch_id)
         where b.batch_id = done.batch_id and b.completed_at is null
         returning b.kind as "kind: JobKind", b.batch_id, b.company_id, b.callback_url, b.accepted, b.rejected,
                   coalesce(counts.succeeded, 0) as "succeeded!", coalesce(counts.failed, 0) as "failed!",
                   coalesce(counts.cancelled, 0) as "cancelled!""#,
        limit
    )
    .fetch_all(db)
    .await
}
