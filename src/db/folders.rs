use sqlx::PgExecutor;

/// Inserts a folder; `None` when it already exists.
pub async fn insert(db: impl PgExecutor<'_>, company_id: i64, path: &str) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar(
        "insert into folders (company_id, path) values ($1, $2) on conflict do nothing returning folder_id",
    )
    .bind(company_id)
    .bind(path)
    .fetch_optional(db)
    .await
}

pub async fn find(db: impl PgExecutor<'_>, company_id: i64, path: &str) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar("select folder_id from folders where company_id = $1 and path = $2")
        .bind(company_id)
        .bind(path)
        .fetch_optional(db)
        .await
}
