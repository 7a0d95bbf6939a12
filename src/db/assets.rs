use chrono::{DateTime, Utc};
use sqlx::PgExecutor;

use crate::domain::{AssetState, TrashState};

/// An asset as the JSON API reports it.
#[derive(Debug, Clone)]
pub struct AssetRow {
    pub asset_id: i64,
    pub company_id: i64,
    pub folder_path: String,
    pub name: String,
    pub r#type: String,
    pub state: AssetState,
    pub object_key: Option<String>,
    pub width: Option<i32>,
    pub height: Option<i32>,
    pub file_size: Option<i64>,
    pub format: Option<String>,
    pub url_modifier: String,
    pub source_asset_id: Option<i64>,
    /// How many masters the asset has had: 1, plus one per overwrite.
    pub version: i32,
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

impl<'a> ImageFacts<'a> {
    /// The facts of a master stored under `object_key`, as the engine probed it.
    pub fn of_master(object_key: &'a str, info: &ipscopy_render::SourceInfo, file_size: u64) -> Self {
        Self { object_key, width: info.width, height: info.height, file_size, format: info.format }
    }
}

pub async fn find(db: impl PgExecutor<'_>, asset_id: i64) -> sqlx::Result<Option<AssetRow>> {
    sqlx::query_as!(
        AssetRow,
        r#"select a.asset_id, a.company_id, coalesce(a.trashed_from, f.path) as "folder_path!", a.name, a.type,
                  a.state as "state: AssetState", a.object_key, a.width, a.height, a.file_size, a.format,
                  a.url_modifier, a.source_asset_id, a.version, a.created_at, a.updated_at
           from assets a join folders f using (folder_id) where a.asset_id = $1"#,
        asset_id
    )
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

impl<'a> NewAsset<'a> {
    /// A master brought in from outside: no modifier, no source asset.
    pub fn master(company_id: i64, folder_id: i64, name: &'a str, created_by: Option<i64>) -> Self {
        Self { company_id, folder_id, name, url_modifier: "", source_asset_id: None, created_by }
    }
}

/// Reserves a pending asset; `None` when the name is taken in the company.
pub async fn insert_pending(db: impl PgExecutor<'_>, asset: &NewAsset<'_>) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar!(
        "insert into assets (company_id, folder_id, name, state, url_modifier, source_asset_id, created_by)
         values ($1, $2, $3, 'pending', $4, $5, $6)
         on conflict (company_id, name) where state <> 'failed' do nothing
         returning asset_id",
        asset.company_id,
        asset.folder_id,
        asset.name,
        asset.url_modifier,
        asset.source_asset_id,
        asset.created_by
    )
    .fetch_optional(db)
    .await
}

/// Marks a pending asset ready with its stored image; false if it was not pending.
pub async fn mark_ready(
    db: impl PgExecutor<'_>,
    asset_id: i64,
    facts: &ImageFacts<'_>,
) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        "update assets set state = 'ready', object_key = $2, width = $3, height = $4, file_size = $5,
                format = $6, updated_at = now()
         where asset_id = $1 and state = 'pending'",
        asset_id,
        facts.object_key,
        facts.width as i32,
        facts.height as i32,
        facts.file_size as i64,
        facts.format
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// An asset of the company that holds `name`, as an overwrite finds it.
#[derive(Debug)]
pub struct Named {
    pub asset_id: i64,
    pub state: AssetState,
    pub trash_state: TrashState,
    pub version: i32,
}

/// The company's asset named `name` (failed copies hold no name).
pub async fn find_by_name(
    db: impl PgExecutor<'_>,
    company_id: i64,
    name: &str,
) -> sqlx::Result<Option<Named>> {
    sqlx::query_as!(
        Named,
        r#"select asset_id, state as "state: AssetState", trash_state as "trash_state: TrashState", version
           from assets where company_id = $1 and name = $2 and state <> 'failed'"#,
        company_id,
        name
    )
    .fetch_optional(db)
    .await
}

/// Gives a ready asset a new master, if it is still at version `seen` (another overwrite may
/// have come first). Returns the key of the master it replaced.
pub async fn replace_master(
    db: impl PgExecutor<'_>,
    asset_id: i64,
    seen: i32,
    facts: &ImageFacts<'_>,
    user_id: i64,
) -> sqlx::Result<Option<Option<String>>> {
    sqlx::query_scalar!(
        "with old as (select asset_id, object_key from assets where asset_id = $1 for update)
         update assets a set object_key = $3, width = $4, height = $5, file_size = $6, format = $7,
                version = a.version + 1, modified_by = $8, updated_at = now()
         from old
         where a.asset_id = old.asset_id and a.version = $2 and a.state = 'ready'
         returning old.object_key",
        asset_id,
        seen,
        facts.object_key,
        facts.width as i32,
        facts.height as i32,
        facts.file_size as i64,
        facts.format,
        user_id
    )
    .fetch_optional(db)
    .await
}

/// The key of an asset's current master.
pub async fn object_key(db: impl PgExecutor<'_>, asset_id: i64) -> sqlx::Result<Option<String>> {
    Ok(sqlx::query_scalar!("select object_key from assets where asset_id = $1", asset_id)
        .fetch_optional(db)
        .await?
        .flatten())
}

/// Marks a pending asset failed, which gives its name back.
pub async fn mark_failed(db: impl PgExecutor<'_>, asset_id: i64) -> sqlx::Result<()> {
    sqlx::query!(
        "update assets set state = 'failed', updated_at = now() where asset_id = $1 and state = 'pending'",
        asset_id
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Moves an asset of the company from trash state `from` to `to`. Returns the state it was
/// in (`None` if the company has no such asset); it moved only if that state was `from`.
pub async fn move_trash_state(
    db: impl PgExecutor<'_>,
    company_id: i64,
    asset_id: i64,
    from: TrashState,
    to: TrashState,
    user_id: i64,
) -> sqlx::Result<Option<TrashState>> {
    sqlx::query_scalar!(
        r#"with old as (
             select asset_id, trash_state from assets
             where company_id = $1 and asset_id = $2 and state <> 'failed' for update
         ), moved as (
             update assets a set trash_state = $4, modified_by = $5, updated_at = now(),
                    trashed_at = case when $4 = 'NotInTrash' then null else now() end
             from old where a.asset_id = old.asset_id and old.trash_state = $3
             returning a.asset_id
         )
         select trash_state as "trash_state!: TrashState" from old"#,
        company_id,
        asset_id,
        from as TrashState,
        to as TrashState,
        user_id
    )
    .fetch_optional(db)
    .await
}

/// Sets the Image Serving modifiers of an asset of the company; false if it has no such asset.
pub async fn set_url_modifiers(
    db: impl PgExecutor<'_>,
    company_id: i64,
    asset_id: i64,
    url_modifier: &str,
    url_post_apply_modifier: &str,
    user_id: i64,
) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        "update assets set url_modifier = $3, url_post_apply_modifier = $4, modified_by = $5,
                updated_at = now()
         where company_id = $1 and asset_id = $2 and state <> 'failed'",
        company_id,
        asset_id,
        url_modifier,
        url_post_apply_modifier,
        user_id
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// What a rename or move of one asset found.
#[derive(Debug, PartialEq, Eq)]
pub enum Changed {
    Done,
    /// The company has no such asset (a failed copy counts as none).
    NoAsset,
    /// Another asset of the company already has the name.
    NameInUse,
}

/// Renames an asset of the company. The stored object is keyed by the asset's id, so a copy
/// still rendering lands on the renamed asset.
pub async fn rename(
    db: impl PgExecutor<'_>,
    company_id: i64,
    asset_id: i64,
    name: &str,
    user_id: i64,
) -> sqlx::Result<Changed> {
    let renamed = sqlx::query_scalar!(
        "update assets set name = $3, modified_by = $4, updated_at = now()
         where company_id = $1 and asset_id = $2 and state <> 'failed' returning asset_id",
        company_id,
        asset_id,
        name,
        user_id
    )
    .fetch_optional(db)
    .await;
    match renamed {
        Ok(Some(_)) => Ok(Changed::Done),
        Ok(None) => Ok(Changed::NoAsset),
        Err(sqlx::Error::Database(e)) if e.constraint() == Some("assets_name_key") => Ok(Changed::NameInUse),
        Err(e) => Err(e),
    }
}

/// Moves an asset of the company into one of its folders.
pub async fn move_to(
    db: impl PgExecutor<'_>,
    company_id: i64,
    asset_id: i64,
    folder_id: i64,
    user_id: i64,
) -> sqlx::Result<Changed> {
    let moved = sqlx::query_scalar!(
        "update assets set folder_id = $3, trashed_from = null, modified_by = $4, updated_at = now()
         where company_id = $1 and asset_id = $2 and state <> 'failed' returning asset_id",
        company_id,
        asset_id,
        folder_id,
        user_id
    )
    .fetch_optional(db)
    .await?;
    Ok(if moved.is_some() { Changed::Done } else { Changed::NoAsset })
}

/// How many assets of each type the company has outside the trash (failed copies are none).
pub async fn counts(db: impl PgExecutor<'_>, company_id: i64) -> sqlx::Result<Vec<(String, i64)>> {
    let rows = sqlx::query!(
        r#"select type, count(*) as "count!" from assets
           where company_id = $1 and state <> 'failed' and trash_state = 'NotInTrash'
           group by type order by type"#,
        company_id
    )
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(|r| (r.r#type, r.count)).collect())
}

/// An asset as `empty_from_trash` found it, before it acted.
#[derive(Debug)]
pub struct Emptying {
    pub trash_state: TrashState,
    /// Still `pending`: its copy is rendering, and it was left in the trash.
    pub rendering: bool,
    /// Copies of it are queued or running: it was left in the trash so they can read it.
    pub open_copies: i64,
    pub object_key: Option<String>,
}

/// Empties an asset of the company from the trash, unless its copy is still rendering (the
/// render would land after its object was deleted) or copies of it are still to be made (they
/// would find their master gone). `None` if the company has no such asset; it was emptied only
/// if it was `InTrash`, not rendering and not the source of an open copy.
pub async fn empty_from_trash(
    db: impl PgExecutor<'_>,
    company_id: i64,
    asset_id: i64,
    user_id: i64,
) -> sqlx::Result<Option<Emptying>> {
    sqlx::query_as!(
        Emptying,
        r#"with old as (
             select asset_id, trash_state, state, object_key,
                    (select count(*) from jobs j
                     where j.source_asset_id = assets.asset_id and j.state in ('queued', 'running')) as open_copies
             from assets
             where company_id = $1 and asset_id = $2 and state <> 'failed' for update
         ), emptied as (
             update assets a set trash_state = 'InEmptiedTrash', modified_by = $3, updated_at = now()
             from old where a.asset_id = old.asset_id and old.trash_state = 'InTrash' and old.state <> 'pending'
                 and old.open_copies = 0
             returning a.asset_id
         )
         select trash_state as "trash_state!: TrashState", state = 'pending' as "rendering!",
                open_copies as "open_copies!", object_key
         from old"#,
        company_id,
        asset_id,
        user_id
    )
    .fetch_optional(db)
    .await
}
