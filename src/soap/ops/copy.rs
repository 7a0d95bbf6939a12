//! `copyImage`: the shared copy use case, answered with the new asset's handle at once.

use super::{Call, company_handle};
use crate::{
    copy::{CopyRequest, CopyTarget},
    error::Result,
    soap::xml::Node,
};

pub async fn copy_image(call: &Call<'_>) -> Result<Node> {
    let field = |name: &str| call.text(name).map(str::trim).unwrap_or_default().to_string();
    let request = CopyRequest {
        // A bare pre-4.0 company id becomes `c|<id>`; anything else reaches the use case as sent.
        company_handle: company_handle(&field("companyHandle"))
            .map_or_else(|_| field("companyHandle"), |handle| handle.to_string()),
        target: CopyTarget {
            asset_handle: field("assetHandle"),
            folder_handle: field("folderHandle"),
            // The name is kept as sent: the use case refuses surrounding spaces rather than guess.
            name: call.text("name").unwrap_or_default().to_string(),
            url_modifier: call.text("urlModifier").unwrap_or_default().trim().to_string(),
            callback_url: None,
        },
    };
    let accepted = call.state.copier.submit(call.caller, &request).await?;
    Ok(Node::new("copyImageReturn").child(Node::leaf("assetHandle", accepted.asset)))
}
