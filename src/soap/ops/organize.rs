//! `renameAsset`, `moveAsset`, `moveAssets` and `getAssetCounts`: what a copy workflow does
//! with its copies next. A copy still rendering may be renamed or moved: its render is stored
//! under the asset's id and lands on the asset wherever it now is.

use super::{Call, asset_id_in, batch_result, check_batch, no_asset};
use crate::{
    db::{self, assets::Changed, companies::CompanyRow},
    domain::{AssetRef, CompanyHandle, Fault, names},
    error::Result,
    soap::xml::Node,
};

pub async fn rename_asset(call: &Call<'_>) -> Result<Node> {
    let company = call.company().await?;
    let asset = AssetRef::parse(call.required("assetHandle")?)?;
    // Names are checked whatever `validateName` says: they become storage keys and URLs.
    call.boolean("validateName")?;
    let name = call.text("newName").unwrap_or_default();
    names::validate("newName", name)?;
    let asset_id = asset_id_in(&asset, &company)?;
    match db::assets::rename(&call.state.pool, company.company_id, asset_id, name, call.caller.user_id)
        .await?
    {
        Changed::Done => Ok(Node::new("renameAssetReturn")),
        Changed::NoAsset => Err(no_asset(&asset, &company).into()),
        Changed::NameInUse => Err(Fault::conflict(format!(
            "name {name:?} is already used by an asset of company {}",
            CompanyHandle(company.company_id)
        ))
        .into()),
    }
}

/// Moves one asset into the folder named by `folder`.
async fn move_one(call: &Call<'_>, company: &CompanyRow, handle: &str, folder: &str) -> Result<()> {
    let asset = AssetRef::parse(handle)?;
    let (folder_id, _) = call.folder(company, "folderHandle", folder).await?;
    let asset_id = asset_id_in(&asset, company)?;
    match db::assets::move_to(&call.state.pool, company.company_id, asset_id, folder_id, call.caller.user_id)
        .await?
    {
        Changed::Done => Ok(()),
        Changed::NoAsset | Changed::NameInUse => Err(no_asset(&asset, company).into()),
    }
}

pub async fn move_asset(call: &Call<'_>) -> Result<Node> {
    let company = call.company().await?;
    move_one(call, &company, call.required("assetHandle")?, call.required("folderHandle")?).await?;
    Ok(Node::new("moveAssetReturn"))
}

pub async fn move_assets(call: &Call<'_>) -> Result<Node> {
    let company = call.company().await?;
    let moves =
        call.params.child("assetMoveArray").ok_or_else(|| Fault::missing_parameter("assetMoveArray"))?;
    let items: Vec<_> = moves.children_named("items").collect();
    check_batch("assetMoveArray", items.len())?;
    let mut results = Vec::with_capacity(items.len());
    for item in items {
        let field = |name: &str| item.child(name).map(|e| e.text.trim()).filter(|t| !t.is_empty());
        let handle = field("assetHandle").unwrap_or_default().to_string();
        let outcome = match (field("assetHandle"), field("folderHandle")) {
            (Some(asset), Some(folder)) => move_one(call, &company, asset, folder).await,
            (None, _) => Err(Fault::missing_parameter("assetMoveArray item assetHandle").into()),
            (_, None) => Err(Fault::missing_parameter("assetMoveArray item folderHandle").into()),
        };
        results.push((handle, outcome));
    }
    batch_result("moveAssetsReturn", results)
}

pub async fn get_asset_counts(call: &Call<'_>) -> Result<Node> {
    let company = call.company().await?;
    let counts = db::assets::counts(&call.state.pool, company.company_id).await?;
    let items = counts.into_iter().map(|(asset_type, count)| {
        Node::new("count").child(Node::leaf("assetType", asset_type)).child(Node::leaf("count", count))
    });
    Ok(Node::new("getAssetCountsReturn").child(Node::array("countArray", items)))
}
