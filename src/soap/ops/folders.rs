//! `getFolders`, `getFolderTree` and `createFolder`.

use super::{Call, render::date};
use crate::{
    db::{self, folders::FolderRow},
    domain::{CompanyHandle, Fault, FolderPath, names},
    error::Result,
    soap::xml::Node,
};

/// The folders at or under the requested `folderPath` (the company root by default).
async fn folders_under(call: &Call<'_>) -> Result<(FolderPath, Vec<FolderRow>)> {
    let company = call.company().await?;
    let top = match call.optional("folderPath") {
        Some(text) => call.folder(&company, "folderPath", text).await?.1,
        None => FolderPath::parse_handle(&company.root_path)?,
    };
    let rows = db::folders::list_under(&call.state.pool, company.company_id, top.as_str()).await?;
    Ok((top, rows))
}

fn is_child(parent: &str, path: &str) -> bool {
    path.strip_prefix(parent).is_some_and(|rest| !rest.is_empty() && rest.matches('/').count() == 1)
}

fn folder(row: &FolderRow, all: &[FolderRow]) -> Node {
    Node::new("folder")
        .child(Node::leaf("folderHandle", &row.path))
        .child(Node::leaf("path", &row.path))
        .child(Node::leaf("lastModified", date(row.created_at)))
        .child(Node::leaf("hasSubfolders", all.iter().any(|f| is_child(&row.path, &f.path))))
}

pub async fn get_folders(call: &Call<'_>) -> Result<Node> {
    let (_, rows) = folders_under(call).await?;
    let items = rows.iter().map(|row| folder(row, &rows));
    Ok(Node::new("getFoldersReturn").child(Node::array("folderArray", items)))
}

/// A folder with its subfolders down to `depth` more levels (negative: all of them).
fn tree(row: &FolderRow, all: &[FolderRow], depth: i64) -> Node {
    let node = folder(row, all);
    if depth == 0 {
        return node;
    }
    let children: Vec<Node> =
        all.iter().filter(|f| is_child(&row.path, &f.path)).map(|f| tree(f, all, depth - 1)).collect();
    if children.is_empty() { node } else { node.child(Node::array("subfolderArray", children)) }
}

pub async fn get_folder_tree(call: &Call<'_>) -> Result<Node> {
    let depth = call.int("depth")?.ok_or_else(|| Fault::missing_parameter("depth"))?;
    let (top, rows) = folders_under(call).await?;
    let roots = rows.iter().filter(|r| r.path == top.as_str()).map(|r| tree(r, &rows, depth));
    Ok(Node::new("getFolderTreeReturn").child(Node::array("folders", roots)))
}

pub async fn create_folder(call: &Call<'_>) -> Result<Node> {
    let company = call.company().await?;
    let text = call.required("folderPath")?;
    let path = if text.strip_prefix("f|").unwrap_or(text).starts_with(&company.root_path) {
        FolderPath::parse_handle(text)?
    } else {
        FolderPath::under_root(&company.root_path, text)?
    };
    let company_handle = CompanyHandle(company.company_id);
    let trimmed = path.as_str().trim_end_matches('/');
    let Some((parent, leaf)) = trimmed.rsplit_once('/') else {
        return Err(Fault::conflict(format!("folder {path} is the company root and already exists")).into());
    };
    names::validate("folderPath", leaf)?;
    let pool = &call.state.pool;
    let parent = format!("{parent}/");
    if db::folders::find(pool, company.company_id, &parent).await?.is_none() {
        return Err(Fault::not_found(format!(
            "parent folder {parent} does not exist in company {company_handle}"
        ))
        .into());
    }
    // IPS keeps folder and asset names apart, company-wide.
    if !db::search::names_in_use(pool, company.company_id, &[leaf.to_string()]).await?.is_empty() {
        return Err(Fault::conflict(format!(
            "name {leaf:?} is already used by an asset of company {company_handle}"
        ))
        .into());
    }
    if db::folders::insert(pool, company.company_id, path.as_str()).await?.is_none() {
        return Err(Fault::conflict(format!("folder {path} already exists")).into());
    }
    Ok(Node::new("createFolderReturn").child(Node::leaf("folderHandle", path)))
}
