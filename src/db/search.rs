//! Asset reads for the IPS catalog calls: by handle, by name, by folder search, name checks.

use chrono::{DateTime, Utc};
use sqlx::{PgExecutor, PgPool, Postgres, QueryBuilder};

use crate::domain::{AssetState, TrashState};

/// An asset with everything the IPS `Asset` type reports. Failed copies are never listed:
/// they gave their name back and hold no image.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CatalogAsset {
    pub asset_id: i64,
    pub company_id: i64,
    pub folder_path: String,
    pub name: String,
    pub r#type: String,
    pub state: AssetState,
    pub width: Option<i32>,
    pub height: Option<i32>,
    pub file_size: Option<i64>,
    pub format: Option<String>,
    pub url_modifier: String,
    pub url_post_apply_modifier: String,
    pub trash_state: TrashState,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub create_user: Option<String>,
    pub modify_user: Option<String>,
}

/// The columns of a [`CatalogAsset`], for [`search`]'s query builder; the macro below holds
/// the same select for the checked queries, which take only literals.
const SELECT: &str = "select a.asset_id, a.company_id, coalesce(a.trashed_from, f.path) as folder_path, a.name, a.type, a.state,
        a.width, a.height, a.file_size, a.format, a.url_modifier, a.url_post_apply_modifier,
        a.trash_state, a.created_at, a.updated_at, cu.email as create_user,
        coalesce(mu.email, cu.email) as modify_user
    from assets a
    join folders f on f.folder_id = a.folder_id
    left join users cu on cu.user_id = a.created_by
    left join users mu on mu.user_id = a.modified_by
    where a.state <> 'failed' ";

/// [`SELECT`] as a checked query, narrowed by `$filter`.
macro_rules! catalog_assets {
    ($filter:literal, $($arg:expr),+) => {
        sqlx::query_as!(
            CatalogAsset,
            r#"select a.asset_id, a.company_id, coalesce(a.trashed_from, f.path) as "folder_path!", a.name, a.type,
                      a.state as "state: AssetState", a.width, a.height, a.file_size, a.format, a.url_modifier,
                      a.url_post_apply_modifier, a.trash_state as "trash_state: TrashState", a.created_at,
                      a.updated_at, cu.email as "create_user?", coalesce(mu.email, cu.email) as "modify_user?"
               from assets a
               join folders f on f.folder_id = a.folder_id
               left join users cu on cu.user_id = a.created_by
               left join users mu on mu.user_id = a.modified_by
               where a.state <> 'failed' "# + $filter,
            $($arg),+
        )
    };
}

/// The assets of `company_id` among `ids`, in id order.
pub async fn by_ids(
    db: impl PgExecutor<'_>,
    company_id: i64,
    ids: &[i64],
) -> sqlx::Result<Vec<CatalogAsset>> {
    catalog_assets!("and a.company_id = $1 and a.asset_id = any($2) order by a.asset_id", company_id, ids)
        .fetch_all(db)
        .await
}

/// The assets of `company_id` named one of `names`, in id order.
pub async fn by_names(
    db: impl PgExecutor<'_>,
    company_id: i64,
    names: &[String],
) -> sqlx::Result<Vec<CatalogAsset>> {
    catalog_assets!("and a.company_id = $1 and a.name = any($2) order by a.asset_id", company_id, names)
        .fetch_all(db)
        .await
}

/// Which of `names` an asset of the company already holds (trashed assets hold theirs too).
pub async fn names_in_use(
    db: impl PgExecutor<'_>,
    company_id: i64,
    names: &[String],
) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar!(
        "select distinct name from assets where company_id = $1 and name = any($2) and state <> 'failed'
         order by name",
        company_id,
        names
    )
    .fetch_all(db)
    .await
}

/// How a name condition compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameOp {
    Equals,
    NotEquals,
    Contains,
    NotContains,
    StartsWith,
    EndsWith,
}

/// A condition on the asset name.
#[derive(Debug, Clone)]
pub struct NameCondition {
    pub op: NameOp,
    pub value: String,
}

/// Which column results are ordered by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortBy {
    Created,
    Modified,
    Name,
    AssetType,
    FileSize,
}

/// A `searchAssets` query, already validated.
#[derive(Debug, Clone)]
pub struct SearchQuery {
    pub company_id: i64,
    /// Folder path (a handle, ending in `/`); `None` searches the whole company.
    pub folder: Option<String>,
    pub include_subfolders: bool,
    pub trash_state: TrashState,
    pub asset_types: Vec<String>,
    pub exclude_asset_types: Vec<String>,
    pub conditions: Vec<NameCondition>,
    /// All conditions must hold, or any one.
    pub match_all: bool,
    pub sort_by: SortBy,
    pub descending: bool,
    pub limit: i64,
    pub offset: i64,
}

fn push_filters(qb: &mut QueryBuilder<'_, Postgres>, q: &SearchQuery) {
    qb.push(" and a.company_id = ").push_bind(q.company_id);
    qb.push(" and a.trash_state = ").push_bind(q.trash_state);
    if let Some(folder) = &q.folder {
        if q.include_subfolders {
            qb.push(" and coalesce(a.trashed_from, f.path) like ")
                .push_bind(format!("{}%", super::like_literal(folder)));
        } else {
            qb.push(" and coalesce(a.trashed_from, f.path) = ").push_bind(folder.clone());
        }
    }
    if !q.asset_types.is_empty() {
        qb.push(" and a.type = any(").push_bind(q.asset_types.clone()).push(")");
    }
    if !q.exclude_asset_types.is_empty() {
        qb.push(" and not (a.type = any(").push_bind(q.exclude_asset_types.clone()).push("))");
    }
    if !q.conditions.is_empty() {
        qb.push(" and (");
        for (i, c) in q.conditions.iter().enumerate() {
            if i > 0 {
                qb.push(if q.match_all { " and " } else { " or " });
            }
            let value = super::like_literal(&c.value);
            match c.op {
                NameOp::Equals => qb.push("a.name = ").push_bind(c.value.clone()),
                NameOp::NotEquals => qb.push("a.name <> ").push_bind(c.value.clone()),
                NameOp::Contains => qb.push("a.name like ").push_bind(format!("%{value}%")),
                NameOp::NotContains => qb.push("a.name not like ").push_bind(format!("%{value}%")),
                NameOp::StartsWith => qb.push("a.name like ").push_bind(format!("{value}%")),
                NameOp::EndsWith => qb.push("a.name like ").push_bind(format!("%{value}")),
            };
        }
        qb.push(")");
    }
}

/// Runs a search: the total number of matches and one page of them. The filters and the sort
/// column vary with the request, so these two statements are built at run time, unchecked.
pub async fn search(db: &PgPool, q: &SearchQuery) -> sqlx::Result<(i64, Vec<CatalogAsset>)> {
    let mut count = QueryBuilder::new(
        "select count(*) from assets a join folders f on f.folder_id = a.folder_id where a.state <> 'failed'",
    );
    push_filters(&mut count, q);
    let total: i64 = count.build_query_scalar().fetch_one(db).await?;

    let mut page = QueryBuilder::new(SELECT);
    push_filters(&mut page, q);
    let column = match q.sort_by {
        SortBy::Created => "a.created_at",
        SortBy::Modified => "a.updated_at",
        SortBy::Name => "a.name",
        SortBy::AssetType => "a.type",
        SortBy::FileSize => "a.file_size",
    };
    let direction = if q.descending { "desc" } else { "asc" };
    page.push(format!(" order by {column} {direction} nulls last, a.asset_id {direction}"));
    page.push(" limit ").push_bind(q.limit).push(" offset ").push_bind(q.offset);
    let rows = page.build_query_as().fetch_all(db).await?;
    Ok((total, rows))
}
