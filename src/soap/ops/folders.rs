//! `getFolders`, `getFolderTree`, and `createFolder`, `renameFolder`, `moveFolder` and
//! `deleteFolder`. Assets hold their folder by id, so a copy still rendering lands in its
//! folder wherever that folder has moved.

use std::collections::HashMap;

use super::{Call, folder_path, no_folder, types::date};
use crate::{
    db::{
        self,
        companies::CompanyRow,
        folders::{FolderRow, Relocated},
    },
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

/// The folder a path sits in (`Acme/a/b/` → `Acme/a/`); `None` for a company root.
fn parent_of(path: &str) -> Option<&str> {
    let trimmed = path.strip_suffix('/')?;
    trimmed.rfind('/').map(|i| &path[..=i])
}

/// Folders grouped under their parent path, so each lookup is a map access.
struct Listing<'a> {
    children: HashMap<&'a str, Vec<&'a FolderRow>>,
}

impl<'a> Listing<'a> {
    fn new(rows: &'a [FolderRow]) -> Self {
        let mut children: HashMap<&str, Vec<&FolderRow>> = HashMap::new();
        for row in rows {
            if let Some(parent) = parent_of(&row.path) {
                children.entry(parent).or_default().push(row);
            }
        }
        Listing { children }
    }

    fn subfolders(&self, path: &str) -> &[&'a FolderRow] {
        self.children.get(path).map_or(&[], Vec::as_slice)
    }

    fn folder(&self, row: &FolderRow) -> Node {
        Node::new("folder")
            .child(Node::leaf("folderHandle", &row.path))
            .child(Node::leaf("path", &row.path))
            .child(Node::leaf("lastModified", date(row.created_at)))
            .child(Node::leaf("hasSubfolders", !self.subfolders(&row.path).is_empty()))
    }

    /// A folder with its subfolders down to `depth` more levels (negative: all of them).
    fn tree(&self, row: &FolderRow, depth: i64) -> Node {
        let node = self.folder(row);
        let subfolders = self.subfolders(&row.path);
        if depth == 0 || subfolders.is_empty() {
            return node;
        }
        node.child(Node::array("subfolderArray", subfolders.iter().map(|f| self.tree(f, depth - 1))))
    }
}

pub async fn get_folders(call: &Call<'_>) -> Result<Node> {
    let (_, rows) = folders_under(call).await?;
    let listing = Listing::new(&rows);
    let items = rows.iter().map(|row| listing.folder(row));
    Ok(Node::new("getFoldersReturn").child(Node::array("folderArray", items)))
}

pub async fn get_folder_tree(call: &Call<'_>) -> Result<Node> {
    let depth = call.int("depth")?.ok_or_else(|| Fault::missing_parameter("depth"))?;
    let (top, rows) = folders_under(call).await?;
    let listing = Listing::new(&rows);
    // One root `Folder`, its children in `subfolderArray`: what JAX-WS clients read as
    // `getFolders().getSubfolderArray()`.
    let mut reply = Node::new("getFolderTreeReturn");
    if let Some(root) = rows.iter().find(|r| r.path == top.as_str()) {
        let mut root = listing.tree(root, depth);
        root.name = "folders".into();
        reply = reply.child(root);
    }
    Ok(reply)
}

pub async fn create_folder(call: &Call<'_>) -> Result<Node> {
    let company = call.company().await?;
    let path = folder_path(&company, call.required("folderPath")?)?;
    crate::folder::create(&call.state.pool, &company, &path).await?;
    Ok(Node::new("createFolderReturn").child(Node::leaf("folderHandle", path)))
}

/// The company's folder named by `field`, which may not be its root.
async fn movable_folder(call: &Call<'_>, company: &CompanyRow, field: &str) -> Result<FolderPath> {
    let (_, path) = call.folder(company, field, call.required(field)?).await?;
    if path.as_str() == company.root_path {
        return Err(Fault::invalid_parameter(format!(
            "{field} {path} is the root folder of company {}; it cannot be renamed, moved or deleted",
            CompanyHandle(company.company_id)
        ))
        .into());
    }
    Ok(path)
}

/// Moves `from` and everything under it to `to`, answering `reply` with the new handle.
async fn relocate(
    call: &Call<'_>,
    company: &CompanyRow,
    from: &FolderPath,
    to: String,
    reply: &str,
) -> Result<Node> {
    if to.starts_with(from.as_str()) {
        return Err(
            Fault::invalid_parameter(format!("folder {from} cannot be moved into itself ({to})")).into()
        );
    }
    match db::folders::relocate(&call.state.pool, company.company_id, from.as_str(), &to).await? {
        Relocated::Done => Ok(Node::new(reply).child(Node::leaf("folderHandle", to))),
        Relocated::NoFolder => Err(no_folder("folderHandle", from, company).into()),
        Relocated::PathInUse => Err(Fault::conflict(format!("folder {to} already exists")).into()),
    }
}

pub async fn rename_folder(call: &Call<'_>) -> Result<Node> {
    let company = call.company().await?;
    let from = movable_folder(call, &company, "folderHandle").await?;
    let name = call.required("folderName")?;
    names::validate("folderName", name)?;
    crate::folder::name_free_of_assets(&call.state.pool, &company, name).await?;
    let parent = parent_of(from.as_str()).unwrap_or_default();
    if from.as_str() == format!("{parent}{name}/") {
        return Ok(Node::new("renameFolderReturn").child(Node::leaf("folderHandle", from)));
    }
    relocate(call, &company, &from, format!("{parent}{name}/"), "renameFolderReturn").await
}

pub async fn move_folder(call: &Call<'_>) -> Result<Node> {
    let company = call.company().await?;
    let from = movable_folder(call, &company, "folderHandle").await?;
    let (_, dest) = call.folder(&company, "destFolderHandle", call.required("destFolderHandle")?).await?;
    let leaf = &from.as_str()[parent_of(from.as_str()).unwrap_or_default().len()..];
    let to = format!("{dest}{leaf}");
    if to == from.as_str() {
        return Ok(Node::new("moveFolderReturn").child(Node::leaf("folderHandle", from)));
    }
    relocate(call, &company, &from, to, "moveFolderReturn").await
}

pub async fn delete_folder(call: &Call<'_>) -> Result<Node> {
    let company = call.company().await?;
    let path = movable_folder(call, &company, "folderHandle").await?;
    let root = db::folders::find(&call.state.pool, company.company_id, &company.root_path)
        .await?
        .ok_or_else(|| anyhow::anyhow!("company {} has no root folder row", company.company_id))?;
    let trashed = db::folders::delete_tree(
        &call.state.pool,
        company.company_id,
        root,
        path.as_str(),
        call.caller.user_id,
    )
    .await?;
    match trashed {
        Some(assets) => {
            tracing::info!(folder = %path, assets, "folder deleted; its assets are in the trash");
            Ok(Node::new("deleteFolderReturn"))
        }
        None => Err(no_folder("folderHandle", &path, &company).into()),
    }
}

#[cfg(test)]
mod tests {
    use super::parent_of;

    #[test]
    fn a_folders_parent_is_its_path_without_the_last_segment() {
        assert_eq!(parent_of("Acme/a/b/"), Some("Acme/a/"));
        assert_eq!(parent_of("Acme/a/"), Some("Acme/"));
        assert_eq!(parent_of("Acme/"), None);
    }
}
