//! IPS types as reply elements: Asset, Company, Folder, dates.

use chrono::{DateTime, SecondsFormat, Utc};

use crate::{
    db::{companies::CompanyRow, search::CatalogAsset},
    domain::{AssetHandle, CompanyHandle},
    soap::xml::Node,
};

/// `xsd:dateTime` with milliseconds, as IPS writes it.
pub fn date(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// The virtual file name: the asset name with the stored format's extension once known.
fn file_name(asset: &CatalogAsset) -> String {
    match asset.format.as_deref() {
        Some("jpeg" | "pjpeg") => format!("{}.jpg", asset.name),
        Some("png8") => format!("{}.png", asset.name),
        Some(format) => format!("{}.{format}", asset.name),
        None => asset.name.clone(),
    }
}

/// An `Asset` with its `imageInfo`.
pub fn asset(asset: &CatalogAsset) -> Node {
    let image_info = Node::new("imageInfo")
        .opt("width", asset.width)
        .opt("height", asset.height)
        .opt("fileSize", asset.file_size)
        .child(Node::leaf("urlModifier", &asset.url_modifier))
        .child(Node::leaf("urlPostApplyModifier", &asset.url_post_apply_modifier));
    Node::new("asset")
        .child(Node::leaf("assetHandle", AssetHandle::new(asset.company_id, asset.asset_id)))
        .child(Node::leaf("type", &asset.r#type))
        .child(Node::leaf("name", &asset.name))
        .child(Node::leaf("folder", &asset.folder_path))
        .child(Node::leaf("folderHandle", &asset.folder_path))
        .child(Node::leaf("fileName", file_name(asset)))
        .child(Node::leaf("created", date(asset.created_at)))
        .opt("createUser", asset.create_user.as_ref())
        .child(Node::leaf("lastModified", date(asset.updated_at)))
        .opt("lastModifyUser", asset.modify_user.as_ref())
        .child(Node::leaf("trashState", asset.trash_state))
        .child(image_info)
}

/// A `Company`.
pub fn company(name: &str, row: &CompanyRow) -> Node {
    Node::new(name)
        .child(Node::leaf("companyHandle", CompanyHandle(row.company_id)))
        .child(Node::leaf("name", &row.name))
        .child(Node::leaf("rootPath", &row.root_path))
}
