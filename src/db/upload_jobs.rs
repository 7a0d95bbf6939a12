//! Jobs of the IPS UploadFile servlet and the outcome of each file POSTed to them.

use sqlx::PgExecutor;

/// An upload job as a request that continues it needs it.
#[derive(Debug, Clone)]
pub struct UploadJobRow {
    pub upload_job_id: i64,
    pub company_id: i64,
    /// Ended by a request, or idle for 30 minutes (IPS times those out).
    pub ended: bool,
}

/// Opens a job named `name`; returns its id.
pub async fn open(
    db: impl PgExecutor<'_>,
    company_id: i64,
    created_by: i64,
    name: &str,
) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        "insert into upload_jobs (company_id, created_by, name) values ($1, $2, $3) returning upload_job_id",
        company_id,
        created_by,
        name
    )
    .fetch_one(db)
    .await
}

pub async fn find(
    db: impl PgExecutor<'_>,
    company_id: i64,
    upload_job_id: i64,
) -> sqlx::Result<Option<UploadJobRow>> {
    sqlx::query_as!(
        UploadJobRow,
        r#"select j.upload_job_id, j.company_id,
                  upload_job_end(j.ended_at, j.created_at,
                                 (select max(f.created_at) from upload_files f
                                  where f.upload_job_id = j.upload_job_id)) is not null as "ended!"
           from upload_jobs j where j.company_id = $1 and j.upload_job_id = $2"#,
        company_id,
        upload_job_id
    )
    .fetch_optional(db)
    .await
}

/// What became of one file: its asset, or the fault that refused it.
pub async fn record_file(
    db: impl PgExecutor<'_>,
    upload_job_id: i64,
    file_name: &str,
    outcome: Result<i64, (u32, &str)>,
) -> sqlx::Result<()> {
    let (asset_id, code, reason) = match outcome {
        Ok(asset_id) => (Some(asset_id), None, None),
        Err((code, reason)) => (None, Some(code as i32), Some(reason)),
    };
    sqlx::query!(
        "insert into upload_files (upload_job_id, file_name, asset_id, error_code, error_reason)
         values ($1, $2, $3, $4, $5)",
        upload_job_id,
        file_name,
        asset_id,
        code,
        reason
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Ends the job (a later request may no longer add to it).
pub async fn end(db: impl PgExecutor<'_>, upload_job_id: i64) -> sqlx::Result<()> {
    sqlx::query!(
        "update upload_jobs set ended_at = now() where upload_job_id = $1 and ended_at is null",
        upload_job_id
    )
    .execute(db)
    .await?;
    Ok(())
}
