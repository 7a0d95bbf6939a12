//! `deleteAsset(s)` to the trash, `restoreAssetsFromTrash` (into the folder the asset was in,
//! made again if `deleteFolder` removed it), and `emptyAssetsFromTrash`, which
//! also deletes the stored objects. The batch calls report each item's fault in the detail
//! arrays instead of faulting, as IPS does.

use super::{Call, asset_id_in, batch_result, check_batch, no_asset};
use crate::{
    db::{self, companies::CompanyRow},
    domain::{AssetRef, Fault, TrashState},
    error::Result,
    soap::xml::Node,
};

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
    let asset_id = asset_id_in(&asset, company)?;
    let was = db::assets::move_trash_state(
        &call.state.pool,
        company.company_id,
        asset_id,
        from,
        to,
        call.caller.user_id,
    )
    .await?;
    match (was, direction) {
        (Some(state), Move::Restore) if state == from => {
            db::folders::rehome_restored(&call.state.pool, company.company_id, asset_id).await?;
            Ok(())
        }
        (Some(state), Move::ToTrash) if state == from => Ok(()),
        (Some(_), Move::ToTrash) => {
            Err(Fault::invalid_parameter(format!("asset {asset} is already in the trash")).into())
        }
        (Some(_), Move::Restore) => Err(Fault::invalid_parameter(format!(
            "asset {asset} is not in the trash (or the trash was emptied)"
        ))
        .into()),
        (None, _) => Err(no_asset(&asset, company).into()),
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
    check_batch("assetHandleArray", handles.len())?;
    let mut results = Vec::with_capacity(handles.len());
    for handle in handles {
        let outcome = move_one(call, &company, &handle, direction).await;
        results.push((handle, outcome));
    }
    batch_result(reply, results)
}

pub async fn delete_assets(call: &Call<'_>) -> Result<Node> {
    batch(call, Move::ToTrash, "deleteAssetsReturn").await
}

pub async fn restore_assets(call: &Call<'_>) -> Result<Node> {
    batch(call, Move::Restore, "restoreAssetsFromTrashReturn").await
}

/// Empties one asset from the trash and deletes its stored object.
async fn empty_one(call: &Call<'_>, company: &CompanyRow, handle: &str) -> Result<()> {
    let asset = AssetRef::parse(handle)?;
    let asset_id = asset_id_in(&asset, company)?;
    let found =
        db::assets::empty_from_trash(&call.state.pool, company.company_id, asset_id, call.caller.user_id)
            .await?;
    let Some(found) = found else { return Err(no_asset(&asset, company).into()) };
    match found.trash_state {
        TrashState::NotInTrash => {
            return Err(Fault::invalid_parameter(format!(
                "asset {asset} is not in the trash; delete it first"
            ))
            .into());
        }
        TrashState::InEmptiedTrash => {
            return Err(Fault::invalid_parameter(format!(
                "asset {asset} was already emptied from the trash"
            ))
            .into());
        }
        TrashState::InTrash if found.rendering => {
            return Err(Fault::invalid_parameter(format!(
                "asset {asset} is still being rendered; empty it once its copy has finished"
            ))
            .into());
        }
        TrashState::InTrash if found.open_copies > 0 => {
            return Err(Fault::invalid_parameter(format!(
                "asset {asset} is the master of {} copies still queued or running; empty it once they have finished",
                found.open_copies
            ))
            .into());
        }
        TrashState::InTrash => {}
    }
    // The row says emptied first: a failure (or a client hanging up) here leaves an object that
    // no asset names, never an asset whose object is gone.
    if let Some(key) = found.object_key
        && let Err(e) = call.state.storage.delete(&key).await
    {
        tracing::warn!(error = %e, key, asset = %asset, "an emptied asset's object was not deleted");
    }
    Ok(())
}

pub async fn empty_assets(call: &Call<'_>) -> Result<Node> {
    let company = call.company().await?;
    let handles = call.required_array("assetHandleArray")?;
    check_batch("assetHandleArray", handles.len())?;
    let mut results = Vec::with_capacity(handles.len());
    for handle in handles {
        let outcome = empty_one(call, &company, &handle).await;
        results.push((handle, outcome));
    }
    batch_result("emptyAssetsFromTrashReturn", results)
}
