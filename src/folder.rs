//! Making a folder, as the SOAP `createFolder` and `POST /v1/folders` both do: one level at a
//! time under a parent that exists, named as an asset may be named, never the name of an asset
//! (IPS keeps folder and asset names apart, company-wide).

use sqlx::PgPool;

use crate::{
    db::{self, companies::CompanyRow},
    domain::{CompanyHandle, Fault, FolderPath, names},
    error::Result,
};

/// Makes `path` in `company`: 30000 when it exists or an asset has its name, 30001 when its
/// parent does not exist.
pub async fn create(pool: &PgPool, company: &CompanyRow, path: &FolderPath) -> Result<()> {
    let company_handle = CompanyHandle(company.company_id);
    if !path.as_str().starts_with(&company.root_path) {
        return Err(Fault::not_found(format!(
            "folder {path} is not under the root of company {company_handle}"
        ))
        .into());
    }
    let trimmed = path.as_str().trim_end_matches('/');
    let Some((parent, leaf)) = trimmed.rsplit_once('/') else {
        return Err(Fault::conflict(format!("folder {path} is the company root and already exists")).into());
    };
    names::validate("folderPath", leaf)?;
    let parent = format!("{parent}/");
    if db::folders::find(pool, company.company_id, &parent).await?.is_none() {
        return Err(Fault::not_found(format!(
            "parent folder {parent} does not exist in company {company_handle}"
        ))
        .into());
    }
    name_free_of_assets(pool, company, leaf).await?;
    if db::folders::insert(pool, company.company_id, path.as_str()).await?.is_none() {
        return Err(Fault::conflict(format!("folder {path} already exists")).into());
    }
    Ok(())
}

/// 30000 if an asset of the company has `name`, which a folder then may not take.
pub async fn name_free_of_assets(pool: &PgPool, company: &CompanyRow, name: &str) -> Result<()> {
    if db::search::names_in_use(pool, company.company_id, &[name.to_string()]).await?.is_empty() {
        return Ok(());
    }
    Err(Fault::conflict(format!(
        "name {name:?} is already used by an asset of company {}",
        CompanyHandle(company.company_id)
    ))
    .into())
}
