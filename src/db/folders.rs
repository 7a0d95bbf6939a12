use sqlx::PgExecutor;

/// Inserts a folder; `None` when it already exists.
pub async fn insert(db: impl PgExecutor<'_>, company_id: i64, path: &str) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar!(
        "insert into folders (company_id, path) values ($1, $2) on conflict do nothing returning folder_id",
        company_id,
        path
    )
    .fetch_optional(db)
    .await
}

pub async fn find(db: impl PgExecutor<'_>, company_id: i64, path: &str) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar!("select folder_id from folders where company_id = $1 and path = $2", company_id, path)
        .fetch_optional(db)
        .await
}

/// A folder as IPS lists it.
#[derive(Debug, Clone)]
pub struct FolderRow {
    pub folder_id: i64,
    pub path: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

/// The company's folders at or under `path` (a handle ending in `/`), in path order.
pub async fn list_under(
    db: impl PgExecutor<'_>,
    company_id: i64,
    path: &str,
) -> sqlx::Result<Vec<FolderRow>> {
    let pattern = format!("{}%", path.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_"));
    sqlx::query_as!(
        FolderRow,
        "select folder_id, path, created_at from folders where company_id = $1 and path like $2 order by path",
        company_id,
        pattern
    )
    .fetch_all(db)
    .await
}
