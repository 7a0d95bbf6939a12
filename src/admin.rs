//! Bootstrap operations behind `ipscopy admin`: companies, users, memberships, folders and
//! source images.

use anyhow::{Context, bail};
use sqlx::PgPool;

use crate::{
    auth,
    db::{self, assets::ImageFacts, assets::NewAsset},
    domain::{AssetHandle, CompanyHandle, FolderPath, Role, names},
    storage::{Storage, asset_key},
};

/// Creates a company whose root folder is `NAME/`.
pub async fn add_company(pool: &PgPool, name: &str) -> anyhow::Result<CompanyHandle> {
    names::validate("company name", name)?;
    let root = format!("{name}/");
    match db::companies::insert(pool, name, &root).await? {
        Some(company) => Ok(CompanyHandle(company.company_id)),
        None => bail!("a company named {name:?} already exists"),
    }
}

/// Creates a user; returns the IPS user handle `u|<id>|<email>`.
pub async fn add_user(
    pool: &PgPool,
    email: &str,
    password: &str,
    default_role: Option<Role>,
) -> anyhow::Result<String> {
    if !email.contains('@') || email.chars().any(char::is_whitespace) {
        bail!("{email:?} is not an e-mail address");
    }
    if password.is_empty() {
        bail!("the password must not be empty");
    }
    let hash = {
        let password = password.to_string();
        tokio::task::spawn_blocking(move || auth::hash_password(&password)).await??
    };
    let role = default_role.map(Role::as_str);
    match db::users::insert(pool, email, &hash, role).await? {
        Some(id) => Ok(format!("u|{id}|{email}")),
        None => bail!("a user with e-mail {email:?} already exists"),
    }
}

/// Sets the first and last name a user's IPS `User` shows.
pub async fn set_user_name(pool: &PgPool, email: &str, first: &str, last: &str) -> anyhow::Result<()> {
    for (what, name) in [("first name", first), ("last name", last)] {
        if name.chars().count() > 100 || name.chars().any(char::is_control) {
            bail!("the {what} must be at most 100 characters without control characters");
        }
    }
    if !db::users::set_name(pool, email, first.trim(), last.trim()).await? {
        bail!("no user has e-mail {email:?}");
    }
    Ok(())
}

/// Gives a user a role in a company (replacing any role held there).
pub async fn add_member(
    pool: &PgPool,
    company: CompanyHandle,
    email: &str,
    role: Role,
) -> anyhow::Result<()> {
    db::companies::find(pool, company.0)
        .await?
        .with_context(|| format!("company {company} does not exist"))?;
    let user = db::users::find_by_email(pool, email)
        .await?
        .with_context(|| format!("no user has e-mail {email:?}"))?;
    db::users::upsert_membership(pool, company.0, user.user_id, role.as_str()).await?;
    Ok(())
}

/// Creates a folder (and any missing parents) from a path under the company root, such as
/// `/images/2024`; returns its handle.
pub async fn add_folder(pool: &PgPool, company: CompanyHandle, path: &str) -> anyhow::Result<FolderPath> {
    let root = db::companies::find(pool, company.0)
        .await?
        .with_context(|| format!("company {company} does not exist"))?
        .root_path;
    let folder = FolderPath::under_root(&root, path)?;
    let mut tx = pool.begin().await?;
    let mut prefix = String::new();
    for segment in folder.as_str().split_inclusive('/') {
        prefix.push_str(segment);
        db::folders::insert(&mut *tx, company.0, &prefix).await?;
    }
    tx.commit().await?;
    Ok(folder)
}

/// Stores `bytes` as the master of a new, ready Image asset.
pub async fn add_image(
    pool: &PgPool,
    storage: &Storage,
    company: CompanyHandle,
    folder: &FolderPath,
    name: &str,
    bytes: Vec<u8>,
) -> anyhow::Result<AssetHandle> {
    names::validate("name", name)?;
    let info = ipscopy_render::probe(&bytes).context("the file is not an image ipscopy can read")?;
    let folder_id = db::folders::find(pool, company.0, folder.as_str())
        .await?
        .with_context(|| format!("folder {folder} does not exist in company {company}"))?;
    let new_asset = NewAsset::master(company.0, folder_id, name, None);
    let asset_id = db::assets::insert_pending(pool, &new_asset)
        .await?
        .with_context(|| format!("name {name:?} is already used in company {company}"))?;
    let key = asset_key(company.0, asset_id);
    let file_size = bytes.len() as u64;
    if let Err(e) = storage.put(&key, bytes, names::mime_of(info.format)).await {
        db::assets::mark_failed(pool, asset_id).await?;
        return Err(e).context("storing the image");
    }
    let facts = ImageFacts::of_master(&key, &info, file_size);
    db::assets::mark_ready(pool, asset_id, &facts).await?;
    Ok(AssetHandle::new(company.0, asset_id))
}
