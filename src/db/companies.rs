use sqlx::{PgExecutor, PgPool};

#[derive(Debug, Clone)]
pub struct CompanyRow {
    pub company_id: i64,
    pub name: String,
    pub root_path: String,
}

/// Inserts a company and its root folder; `None` when the name or root path is taken.
pub async fn insert(pool: &PgPool, name: &str, root_path: &str) -> sqlx::Result<Option<CompanyRow>> {
    let mut tx = pool.begin().await?;
    let row = sqlx::query_as!(
        CompanyRow,
        "insert into companies (name, root_path) values ($1, $2) on conflict do nothing
         returning company_id, name, root_path",
        name,
        root_path
    )
    .fetch_optional(&mut *tx)
    .await?;
    if let Some(company) = &row {
        sqlx::query!(
            "insert into folders (company_id, path) values ($1, $2)",
            company.company_id,
            &company.root_path
        )
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(row)
}

pub async fn find(db: impl PgExecutor<'_>, company_id: i64) -> sqlx::Result<Option<CompanyRow>> {
    sqlx::query_as!(
        CompanyRow,
        "select company_id, name, root_path from companies where company_id = $1",
        company_id
    )
    .fetch_optional(db)
    .await
}

/// A company by its exact name.
pub async fn find_by_name(db: impl PgExecutor<'_>, name: &str) -> sqlx::Result<Option<CompanyRow>> {
    sqlx::query_as!(CompanyRow, "select company_id, name, root_path from companies where name = $1", name)
        .fetch_optional(db)
        .await
}
