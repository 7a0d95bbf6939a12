//! `deleteAsset(s)` to the trash and `restoreAssetsFromTrash`. The batch calls report each
//! item's fault in the detail arrays instead of faulting, as IPS does.

use super::Call;
use crate::{
    db::{self, companies::CompanyRow},
    domain::{AssetRef, CompanyHandle, Fault, TrashState},
    error::{Error, Result},
    soap::xml::Node,
};

/// Most assets one batch call moves; each is its own statement.
const MAX_BATCH: usize = 1000;

/// Which way an asset moves.
#[derive(Clone, Copy)]
enum Move {
    ToTrash,
    Restore,
}

/// Moves one asset; a fault says why it could not.
async fn move_one(call: &Call<'_>, company: &CompanyRow, handle: &str, direction: Move) -> Result<()> {
    let asset = AssetRef::parse(handle)?;
    let (from, to) = match direction {
        Move::ToTrash => (TrashState::NotInTrash, TrashState::InTrash),
        Move::Restore => (TrashState::InTrash, TrashState::NotInTrash),
    };
    let was = match asset.asset_in(company.company_id) {
        Some(asset_id) => {
            db::assets::move_trash_state(
                &call.state.pool,
                company.company_id,
                asset_id,
                from,
                to,
                call.caller.user_id,
            )
            .await?
        }
        None => None,
    };
    match (was, direction) {
        (Some(state), _) if state == from => Ok(()),
        (Some(_), Move::ToTrash) => {
            Err(Fault::invalid_parameter(format!("asset {asset} is already in the trash")).into())
        }
        (Some(_), Move::Restore) => Err(Fault::invalid_parameter(format!(
            "asset {asset} is not in the trash (or the trash was emptied)"
        ))
        .into()),
        (None, _) => Err(Fault::not_found(format!(
            "asset {asset} does not exist in company {}",
            CompanyHandle(company.company_id)
        ))
        .into()),
    }
}

pub async fn delete_asset(call: &Call<'_>) -> Result<Node> {
    let company = call.company().await?;
    move_one(call, &company, call.required("assetHandle")?, Move::ToTrash).await?;
    Ok(Node::new("deleteAssetReturn"))
}

/// Runs a batch and reports counts and per-item faults.
async fn batch(call: &Call<'_>, direction: Move, reply: &str) -> Result<Node> {
    let company = call.company().await?;
    let handles = call.required_array("assetHandleArray")?;
    if handles.len() > MAX_BATCH {
        return Err(
            Fault::invalid_parameter(format!("assetHandleArray holds more than {MAX_BATCH} items")).into()
        );
    }
    let mut errors = Vec::new();
    for handle in &handles {
        match move_one(call, &company, handle, direction).await {
            Ok(()) => {}
            Err(Error::Fault(fault)) => errors.push(
                Node::new("items")
                    .child(Node::leaf("assetHandle", handle))
                    .child(Node::leaf("code", fault.code))
                    .child(Node::leaf("reason", fault.reason)),
            ),
            Err(internal) => return Err(internal),
        }
    }
    let mut node = Node::new(reply)
        .child(Node::leaf("successCount", handles.len() - errors.len()))
        .child(Node::leaf("warningCount", 0))
        .child(Node::leaf("errorCount", errors.len()));
    if !errors.is_empty() {
        node = node.child(Node::array("errorDetailArray", errors));
    }
    Ok(node)
}

pub async fn delete_assets(call: &Call<'_>) -> Result<Node> {
    batch(call, Move::ToTrash, "deleteAssetsReturn").await
}

pub async fn restore_assets(call: &Call<'_>) -> Result<Node> {
    batch(call, Move::Restore, "restoreAssetsFromTrashReturn").await
}
