use chrono::{DateTime, Utc};
use sqlx::PgExecutor;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AssetRow {
    pub asset_id: i64,
    pub company_id: i64,
    pub folder_path: String,
    pub name: String,
    pub r#type: String,
    pub state: String,
    pub object_key: Option<String>,
    pub width: Option<i32>,
    pub height: Option<i32>,
    pub file_size: Option<i64>,
    pub format: Option<String>,
    pub url_modifier: String,
    pub source_asset_id: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// What a stored image is, recorded when it becomes ready.
#[derive(Debug, Clone)]
pub struct ImageFacts<'a> {
    pub object_key: &'a str,
    pub width: u32,
    pub height: u32,
    pub file_size: u64,
    pub format: &'a str,
}

pub async fn find(db: impl PgExecutor<'_>, asset_id: i64) -> sqlx::Result<Option<AssetRow>> {
    sqlx::query_as(
        "select a.asset_id, a.company_id, f.path as folder_path, a.name, a.type, a.state, a.object_key,
                a.width, a.height, a.file_size, a.format, a.url_modifier, a.source_asset_id,
                a.created_at, a.updated_at
         from assets a join folders f using (folder_id) where a.asset_id = $1",
    )
    .bind(asset_id)
    .fetch_optional(db)
    .await
}

/// A new asset row, pending until its image is stored.
#[derive(Debug, Clone)]
pub struct NewAsset<'a> {
    pub company_id: i64,
    pub folder_id: i64,
    pub name: &'a str,
    pub url_modifier: &'a str,
    pub source_asset_id: Option<i64>,
    pub created_by: Option<i64>,
}

/// Reserves a pending asset; `None` when the name is taken in the company.
pub async fn insert_pending(db: impl PgExecutor<'_>, asset: &NewAsset<'_>) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar(
        "insert into assets (company_id, folder_id, name, state, url_modifier, source_asset_id, created_by)
         values ($1, $2, $3, 'pending', $4, $5, $6)
         on conflict (company_id, name) where state <> 'failed' do nothing
         returning asset_id",
    )
    .bind(asset.company_id)
    .bind(asset.folder_id)
    .bind(asset.name)
    .bind(asset.url_modifier)
    .bind(asset.source_asset_id)
    .bind(asset.created_by)
    .fetch_optional(db)
    .await
}

/// Marks a pending asset ready with its stored image; false if it was not pending.
pub async fn mark_ready(
    db: impl PgExecutor<'_>,
    asset_id: i64,
    facts: &ImageFacts<'_>,
) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "update assets set state = 'ready', object_key = $2, width = $3, height = $4, file_size = $5,
                format = $6, updated_at = now()
         where asset_id = $1 and state = 'pending'",
    )
    .bind(asset_id)
    .bind(facts.object_key)
    .bind(facts.width as i32)
    .bind(facts.height as i32)
    .bind(facts.file_size as i64)
    .bind(facts.format)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Marks a pending asset failed, which gives its name back.
pub async fn mark_failed(db: impl PgExecutor<'_>, asset_id: i64) -> sqlx::Result<()> {
    sqlx::query(
        "update assets set state = 'failed', updated_at = now() where asset_id = $1 and state = 'pending'",
    )
    .bind(asset_id)
    .execute(db)
    .await?;
    Ok(())
}
