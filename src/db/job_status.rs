//! Copy and import jobs as the IPS job calls report them (`getActiveJobs`, `getJobLogDetails`).

use chrono::{DateTime, Utc};
use sqlx::PgExecutor;

use crate::domain::{JobFailure, JobKind, JobState};

/// A job with the names of what it touched.
#[derive(Debug, Clone)]
pub struct JobStatus {
    pub job_id: i64,
    pub company_id: i64,
    pub kind: JobKind,
    pub state: JobState,
    pub attempts: i32,
    pub target_asset_id: i64,
    pub target_name: String,
    pub source_asset_id: Option<i64>,
    pub source_url: Option<String>,
    pub error_code: Option<String>,
    pub error_reason: Option<String>,
    pub submit_user: Option<String>,
    pub created_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
}

impl JobStatus {
    /// The job's last recorded failure: why it failed, or why its last attempt did.
    pub fn failure(&self) -> Option<JobFailure> {
        Some(JobFailure::recorded(self.error_code.as_deref()?, self.error_reason.clone()?))
    }
}

/// The columns of a [`JobStatus`]; `jobs j` joined to its target `t` and submitter `u`.
macro_rules! job_status {
    ($where:literal, $($arg:expr),+) => {
        sqlx::query_as!(
            JobStatus,
            r#"select j.job_id, j.company_id, j.kind as "kind: JobKind", j.state as "state: JobState", j.attempts,
                      j.target_asset_id, t.name as target_name, j.source_asset_id, j.source_url,
                      j.error_code, j.error_reason,
                      u.email as "submit_user?", j.created_at, j.started_at, j.finished_at, j.updated_at
               from jobs j
               join assets t on t.asset_id = j.target_asset_id
               left join users u on u.user_id = j.created_by "# + $where,
            $($arg),+
        )
    };
}

/// One job of a company.
pub async fn find(db: impl PgExecutor<'_>, company_id: i64, job_id: i64) -> sqlx::Result<Option<JobStatus>> {
    job_status!("where j.company_id = $1 and j.job_id = $2", company_id, job_id).fetch_optional(db).await
}

/// The company's queued and running copies, oldest first, at most `limit` (imports are listed
/// by theirs, [`active_imports`]).
pub async fn active(db: impl PgExecutor<'_>, company_id: i64, limit: i64) -> sqlx::Result<Vec<JobStatus>> {
    job_status!(
        "where j.company_id = $1 and j.state in ('queued', 'running') and j.kind = 'copy'
         order by j.job_id limit $2",
        company_id,
        limit
    )
    .fetch_all(db)
    .await
}

/// The company's copies that made an asset named `name` (a failed copy frees its name, so there
/// may be several), newest first.
pub async fn by_target_name(
    db: impl PgExecutor<'_>,
    company_id: i64,
    name: &str,
) -> sqlx::Result<Vec<JobStatus>> {
    job_status!(
        "where j.company_id = $1 and t.name = $2 and j.kind = 'copy' order by j.job_id desc limit 100",
        company_id,
        name
    )
    .fetch_all(db)
    .await
}

/// What `finished` lists: a company's ended jobs, optionally of one submitter and ending in
/// `[from, to]`, ordered by `sort` (end or start time), at most `limit`.
pub struct FinishedQuery {
    pub company_id: i64,
    pub user_id: Option<i64>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub by_start: bool,
    pub descending: bool,
    pub limit: i64,
}

/// The copies of a [`FinishedQuery`].
pub async fn finished(db: impl PgExecutor<'_>, q: &FinishedQuery) -> sqlx::Result<Vec<JobStatus>> {
    job_status!(
        "where j.company_id = $1 and j.finished_at is not null and j.kind = 'copy'
           and ($2::bigint is null or j.created_by = $2)
           and ($3::timestamptz is null or j.finished_at >= $3)
           and ($4::timestamptz is null or j.finished_at <= $4)
         order by case when $6 then (case when $5 then coalesce(j.started_at, j.created_at) else j.finished_at end) end desc,
                  case when not $6 then (case when $5 then coalesce(j.started_at, j.created_at) else j.finished_at end) end,
                  j.job_id
         limit $7",
        q.company_id,
        q.user_id,
        q.from,
        q.to,
        q.by_start,
        q.descending,
        q.limit
    )
    .fetch_all(db)
    .await
}

/// The jobs of import `batch_id`, in item order.
pub async fn import_items(db: impl PgExecutor<'_>, batch_id: i64) -> sqlx::Result<Vec<JobStatus>> {
    job_status!("where j.batch_id = $1 order by j.job_id", batch_id).fetch_all(db).await
}

/// An import as the one IPS job its items make: its name, submitter and its items by state.
#[derive(Debug, Clone)]
pub struct ImportStatus {
    pub batch_id: i64,
    pub company_id: i64,
    /// The IPS jobName, when it came over SOAP.
    pub name: Option<String>,
    pub submit_user: Option<String>,
    /// Items accepted.
    pub total: i32,
    pub queued: i64,
    pub running: i64,
    pub succeeded: i64,
    pub failed: i64,
    pub cancelled: i64,
    pub created_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    /// When its last item ended; `None` while one is queued or running.
    pub finished_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
}

/// The columns of an [`ImportStatus`]; `batches b` with its submitter `u` and its items' figures `c`.
macro_rules! import_status {
    ($where:literal, $($arg:expr),+) => {
        sqlx::query_as!(
            ImportStatus,
            r#"select b.batch_id, b.company_id, b.name, u.email as "submit_user?", b.accepted as total,
                      c.queued as "queued!", c.running as "running!", c.succeeded as "succeeded!",
                      c.failed as "failed!", c.cancelled as "cancelled!", b.created_at, c.started_at,
                      case when c.queued + c.running = 0 then coalesce(b.completed_at, c.last_end) end
                          as "finished_at?",
                      coalesce(c.updated_at, b.created_at) as "updated_at!"
               from batches b
               left join users u on u.user_id = b.created_by
               cross join lateral (
                   select count(*) filter (where j.state = 'queued') as queued,
                          count(*) filter (where j.state = 'running') as running,
                          count(*) filter (where j.state = 'succeeded') as succeeded,
                          count(*) filter (where j.state = 'failed') as failed,
                          count(*) filter (where j.state = 'cancelled') as cancelled,
                          min(j.started_at) as started_at, max(j.finished_at) as last_end,
                          max(j.updated_at) as updated_at
                   from jobs j where j.batch_id = b.batch_id) c
               where b.kind = 'import' and "# + $where,
            $($arg),+
        )
    };
}

/// One import of a company.
pub async fn find_import(
    db: impl PgExecutor<'_>,
    company_id: i64,
    batch_id: i64,
) -> sqlx::Result<Option<ImportStatus>> {
    import_status!("b.company_id = $1 and b.batch_id = $2", company_id, batch_id).fetch_optional(db).await
}

/// The company's imports with an item queued or running, oldest first, at most `limit`.
pub async fn active_imports(
    db: impl PgExecutor<'_>,
    company_id: i64,
    limit: i64,
) -> sqlx::Result<Vec<ImportStatus>> {
    import_status!(
        "b.company_id = $1 and b.completed_at is null and c.queued + c.running > 0 order by b.batch_id limit $2",
        company_id,
        limit
    )
    .fetch_all(db)
    .await
}

/// The company's imports named `name` (their IPS jobName), newest first.
pub async fn imports_by_name(
    db: impl PgExecutor<'_>,
    company_id: i64,
    name: &str,
) -> sqlx::Result<Vec<ImportStatus>> {
    import_status!("b.company_id = $1 and b.name = $2 order by b.batch_id desc limit 100", company_id, name)
        .fetch_all(db)
        .await
}

/// The completed imports of a [`FinishedQuery`], in its order.
pub async fn finished_imports(db: impl PgExecutor<'_>, q: &FinishedQuery) -> sqlx::Result<Vec<ImportStatus>> {
    import_status!(
        "b.company_id = $1 and b.completed_at is not null
           and ($2::bigint is null or b.created_by = $2)
           and ($3::timestamptz is null or b.completed_at >= $3)
           and ($4::timestamptz is null or b.completed_at <= $4)
         order by case when $6 then (case when $5 then coalesce(c.started_at, b.created_at) else b.completed_at end) end desc,
                  case when not $6 then (case when $5 then coalesce(c.started_at, b.created_at) else b.completed_at end) end,
                  b.batch_id
         limit $7",
        q.company_id,
        q.user_id,
        q.from,
        q.to,
        q.by_start,
        q.descending,
        q.limit
    )
    .fetch_all(db)
    .await
}

/// A job of the UploadFile servlet: its name, submitter and its files by outcome.
#[derive(Debug, Clone)]
pub struct UploadStatus {
    pub upload_job_id: i64,
    pub company_id: i64,
    pub name: String,
    pub submit_user: Option<String>,
    pub total: i64,
    pub succeeded: i64,
    pub failed: i64,
    pub created_at: DateTime<Utc>,
    /// When a request ended it, or it timed out after 30 idle minutes; `None` while it is open.
    pub finished_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
}

/// The columns of an [`UploadStatus`]; `upload_jobs b` with its submitter `u`, its files'
/// figures `c` and its end `e`.
macro_rules! upload_status {
    ($where:literal, $($arg:expr),+) => {
        sqlx::query_as!(
            UploadStatus,
            r#"select b.upload_job_id, b.company_id, b.name, u.email as "submit_user?",
                      c.total as "total!", c.succeeded as "succeeded!", c.total - c.succeeded as "failed!",
                      b.created_at,
                      e.ended as "finished_at?",
                      greatest(b.created_at, c.last_file, b.ended_at) as "updated_at!"
               from upload_jobs b
               left join users u on u.user_id = b.created_by
               cross join lateral (
                   select count(*) as total, count(f.asset_id) as succeeded, max(f.created_at) as last_file
                   from upload_files f where f.upload_job_id = b.upload_job_id) c
               cross join lateral (select upload_job_end(b.ended_at, b.created_at, c.last_file) as ended) e
               where "# + $where,
            $($arg),+
        )
    };
}

/// One servlet job of a company.
pub async fn find_upload(
    db: impl PgExecutor<'_>,
    company_id: i64,
    upload_job_id: i64,
) -> sqlx::Result<Option<UploadStatus>> {
    upload_status!("b.company_id = $1 and b.upload_job_id = $2", company_id, upload_job_id)
        .fetch_optional(db)
        .await
}

/// The company's open servlet jobs, oldest first, at most `limit`: not ended, and not idle for
/// 30 minutes (IPS times those out, and so do we).
pub async fn active_uploads(
    db: impl PgExecutor<'_>,
    company_id: i64,
    limit: i64,
) -> sqlx::Result<Vec<UploadStatus>> {
    upload_status!(
        "b.company_id = $1 and e.ended is null
         order by b.upload_job_id limit $2",
        company_id,
        limit
    )
    .fetch_all(db)
    .await
}

/// The company's servlet jobs named `name`, newest first.
pub async fn uploads_by_name(
    db: impl PgExecutor<'_>,
    company_id: i64,
    name: &str,
) -> sqlx::Result<Vec<UploadStatus>> {
    upload_status!(
        "b.company_id = $1 and b.name = $2 order by b.upload_job_id desc limit 100",
        company_id,
        name
    )
    .fetch_all(db)
    .await
}

/// The ended servlet jobs (by endJob or timed out) of a [`FinishedQuery`], in its order.
pub async fn finished_uploads(db: impl PgExecutor<'_>, q: &FinishedQuery) -> sqlx::Result<Vec<UploadStatus>> {
    upload_status!(
        "b.company_id = $1 and e.ended is not null
           and ($2::bigint is null or b.created_by = $2)
           and ($3::timestamptz is null or e.ended >= $3)
           and ($4::timestamptz is null or e.ended <= $4)
         order by case when $6 then (case when $5 then b.created_at else e.ended end) end desc,
                  case when not $6 then (case when $5 then b.created_at else e.ended end) end,
                  b.upload_job_id
         limit $7",
        q.company_id,
        q.user_id,
        q.from,
        q.to,
        q.by_start,
        q.descending,
        q.limit
    )
    .fetch_all(db)
    .await
}

/// One file of a servlet job: the asset it became, or why it was refused.
#[derive(Debug, Clone)]
pub struct UploadFileRow {
    pub file_name: String,
    pub asset_id: Option<i64>,
    pub asset_name: Option<String>,
    pub error_code: Option<i32>,
    pub error_reason: Option<String>,
}

/// The files of servlet job `upload_job_id`, in the order they came.
pub async fn upload_files(db: impl PgExecutor<'_>, upload_job_id: i64) -> sqlx::Result<Vec<UploadFileRow>> {
    sqlx::query_as!(
        UploadFileRow,
        r#"select f.file_name, f.asset_id, a.name as "asset_name?", f.error_code, f.error_reason
           from upload_files f left join assets a on a.asset_id = f.asset_id
           where f.upload_job_id = $1 order by f.file_id"#,
        upload_job_id
    )
    .fetch_all(db)
    .await
}
