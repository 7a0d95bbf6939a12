//! `getFolders`, `getFolderTree` and `createFolder`.

use std::collections::HashMap;

use super::{Call, types::date};
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
