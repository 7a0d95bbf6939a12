use sqlx::{PgExecutor, PgPool};

use super::like_literal;

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
    let pattern = format!("{}%", like_literal(path));
    sqlx::query_as!(
        FolderRow,
        "select folder_id, path, created_at from folders where company_id = $1 and path like $2 order by path",
        company_id,
        pattern
    )
    .fetch_all(db)
    .await
}

/// What a rename or move of a folder found.
#[derive(Debug, PartialEq, Eq)]
pub enum Relocated {
    /// The folder and every folder under it now sit at the new path.
    Done,
    /// The company has no folder at the old path.
    NoFolder,
    /// A folder already sits at the new path.
    PathInUse,
}

/// Moves the folder at `from` and its subfolders to `to` (both handles ending in `/`). Assets
/// keep their folder ids, so copies still rendering land in the moved folder.
pub async fn relocate(
    db: impl PgExecutor<'_>,
    company_id: i64,
    from: &str,
    to: &str,
) -> sqlx::Result<Relocated> {
    let moved = sqlx::query!(
        "update folders set path = $3 || substr(path, length($2) + 1)
         where company_id = $1 and path like $4",
        company_id,
        from,
        to,
        format!("{}%", like_literal(from))
    )
    .execute(db)
    .await;
    match moved {
        Ok(done) if done.rows_affected() == 0 => Ok(Relocated::NoFolder),
        Ok(_) => Ok(Relocated::Done),
        Err(sqlx::Error::Database(e)) if e.constraint() == Some("folders_company_id_path_key") => {
            Ok(Relocated::PathInUse)
        }
        Err(e) => Err(e),
    }
}

/// Deletes the folder at `path` and its subfolders; their assets go to the trash, parked in
/// the company's root folder (`root_id`) with the path they were in. `None` if there is no
/// such folder, else how many assets were in it.
pub async fn delete_tree(
    pool: &PgPool,
    company_id: i64,
    root_id: i64,
    path: &str,
    user_id: i64,
) -> sqlx::Result<Option<u64>> {
    let pattern = format!("{}%", like_literal(path));
    let mut tx = pool.begin().await?;
    // Locked first, so a copy or move into one of them waits and then finds it gone.
    let locked = sqlx::query_scalar!(
        "select folder_id from folders where company_id = $1 and path like $2 for update",
        company_id,
        pattern
    )
    .fetch_all(&mut *tx)
    .await?;
    if locked.is_empty() {
        return Ok(None);
    }
    let trashed = sqlx::query!(
        "update assets a set folder_id = $3, trashed_from = f.path, modified_by = $4, updated_at = now(),
                trashed_at = case when a.trash_state = 'NotInTrash' then now() else a.trashed_at end,
                trash_state = case when a.trash_state = 'NotInTrash' then 'InTrash' else a.trash_state end
         from folders f
         where f.folder_id = a.folder_id and a.company_id = $1 and a.folder_id = any($2)",
        company_id,
        &locked,
        root_id,
        user_id
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!("delete from folders where folder_id = any($1)", &locked).execute(&mut *tx).await?;
    tx.commit().await?;
    Ok(Some(trashed.rows_affected()))
}

/// Puts a restored asset back where it was when its folder was deleted, making that folder
/// (and any folder above it that is gone) again. Nothing to do for an asset still in its own
/// folder.
pub async fn rehome_restored(pool: &PgPool, company_id: i64, asset_id: i64) -> sqlx::Result<()> {
    let mut tx = pool.begin().await?;
    let from = sqlx::query_scalar!(
        "select trashed_from from assets
         where company_id = $1 and asset_id = $2 and trash_state = 'NotInTrash' for update",
        company_id,
        asset_id
    )
    .fetch_optional(&mut *tx)
    .await?
    .flatten();
    let Some(path) = from else { return Ok(()) };
    let ancestors: Vec<&str> = path.match_indices('/').map(|(i, _)| &path[..=i]).collect();
    sqlx::query!(
        "insert into folders (company_id, path) select $1, unnest($2::text[]) on conflict do nothing",
        company_id,
        &ancestors as &[&str]
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!(
        "update assets set trashed_from = null,
                folder_id = (select folder_id from folders where company_id = $1 and path = $3)
         where asset_id = $2",
        company_id,
        asset_id,
        path
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await
}
