//! Asset reads and `setUrlModifier`.

use super::{Call, asset_id_in, no_asset, one_of, types};
use crate::{
    db::{
        self,
        search::{NameCondition, NameOp, SearchQuery, SortBy},
    },
    domain::{AssetRef, Fault, TrashState},
    error::Result,
    soap::xml::Node,
};

/// Most rows one `searchAssets` page returns, as in IPS.
const MAX_PAGE: i64 = 1000;

/// The ids of the assets `handles` name in the company; a well-formed handle that names none
/// there is left out, as an id that does not exist is.
fn asset_ids(handles: &[String], company_id: i64) -> Result<Vec<i64>, Fault> {
    let mut ids = Vec::with_capacity(handles.len());
    for handle in handles {
        ids.extend(AssetRef::parse(handle)?.asset_in(company_id));
    }
    Ok(ids)
}

/// Whether `assetSubTypeArray` with `strictSubTypeCheck` rules out every asset: no asset here
/// has a sub type, and a strict check keeps only assets of the listed sub types (a lenient
/// one also keeps assets without one, as IPS does).
fn sub_types_exclude_all(call: &Call<'_>) -> Result<bool, Fault> {
    let listed = call.array("assetSubTypeArray").is_some_and(|types| !types.is_empty());
    Ok(listed && call.boolean("strictSubTypeCheck")?.unwrap_or(false))
}

fn keep_types(assets: &mut Vec<db::search::CatalogAsset>, call: &Call<'_>) -> Result<(), Fault> {
    if sub_types_exclude_all(call)? {
        assets.clear();
    }
    let include = call.array("assetTypeArray").unwrap_or_default();
    let exclude = call.array("excludeAssetTypeArray").unwrap_or_default();
    assets.retain(|a| (include.is_empty() || include.contains(&a.r#type)) && !exclude.contains(&a.r#type));
    Ok(())
}

pub async fn get_assets(call: &Call<'_>) -> Result<Node> {
    let company = call.company().await?;
    let ids = asset_ids(&call.required_array("assetHandleArray")?, company.company_id)?;
    let assets = db::search::by_ids(&call.state.pool, company.company_id, &ids).await?;
    Ok(Node::new("getAssetsReturn").child(Node::array("assetArray", assets.iter().map(types::asset))))
}

pub async fn get_assets_by_name(call: &Call<'_>) -> Result<Node> {
    let company = call.company().await?;
    let names = call.required_array("nameArray")?;
    let mut assets = db::search::by_names(&call.state.pool, company.company_id, &names).await?;
    keep_types(&mut assets, call)?;
    Ok(Node::new("getAssetsByNameReturn").child(Node::array("assetArray", assets.iter().map(types::asset))))
}

pub async fn check_asset_names(call: &Call<'_>) -> Result<Node> {
    let company = call.company().await?;
    let names = call.required_array("assetNameArray")?;
    let in_use = db::search::names_in_use(&call.state.pool, company.company_id, &names).await?;
    Ok(Node::new("checkAssetNamesReturn")
        .child(Node::array("inUseNameArray", in_use.into_iter().map(|n| Node::leaf("items", n)))))
}

fn conditions(call: &Call<'_>) -> Result<Vec<NameCondition>, Fault> {
    let Some(array) = call.params.child("systemFieldConditionArray") else { return Ok(Vec::new()) };
    let ops = [
        ("Equals", NameOp::Equals),
        ("NotEquals", NameOp::NotEquals),
        ("Contains", NameOp::Contains),
        ("NotContains", NameOp::NotContains),
        ("StartsWith", NameOp::StartsWith),
        ("EndsWith", NameOp::EndsWith),
    ];
    array
        .children_named("items")
        .map(|item| {
            let text = |name: &str| item.child(name).map(|e| e.text.trim().to_string());
            let field =
                text("field").ok_or_else(|| Fault::missing_parameter("systemFieldCondition field"))?;
            // The virtual file name is the name plus an extension, so both match on the name.
            if field != "Name" && field != "FileName" {
                return Err(Fault::invalid_parameter(format!(
                    "systemFieldCondition field {field:?} is not supported; use Name or FileName"
                )));
            }
            let op = text("op").ok_or_else(|| Fault::missing_parameter("systemFieldCondition op"))?;
            let op = one_of("systemFieldCondition op", &op, &ops)?;
            let value =
                text("value").ok_or_else(|| Fault::missing_parameter("systemFieldCondition value"))?;
            Ok(NameCondition { op, value })
        })
        .collect()
}

pub async fn search_assets(call: &Call<'_>) -> Result<Node> {
    let company = call.company().await?;
    let folder = match call.optional("folder") {
        Some(text) => Some(call.folder(&company, "folder", text).await?.1.to_string()),
        None => None,
    };
    let trash_state = call.optional("trashState").unwrap_or(TrashState::NotInTrash.as_str());
    let trash_states: Vec<(&str, TrashState)> = TrashState::ALL.iter().map(|&t| (t.as_str(), t)).collect();
    let trash_state = one_of("trashState", trash_state, &trash_states)?;
    let modes = [("MatchAll", true), ("MatchAny", false)];
    let match_all = match call.optional("systemFieldMatchMode").or(call.optional("conditionMatchMode")) {
        Some(mode) => one_of("systemFieldMatchMode", mode, &modes)?,
        None => true,
    };
    let sort_by = match call.optional("sortBy") {
        Some(s) => one_of(
            "sortBy",
            s,
            &[
                ("Created", SortBy::Created),
                ("Modified", SortBy::Modified),
                ("Name", SortBy::Name),
                ("AssetType", SortBy::AssetType),
                ("FileSize", SortBy::FileSize),
            ],
        )?,
        None => SortBy::Created,
    };
    let descending = call.descending(false)?;
    let per_page = call.int("recordsPerPage")?.unwrap_or(MAX_PAGE);
    if !(1..=MAX_PAGE).contains(&per_page) {
        return Err(Fault::invalid_parameter(format!("recordsPerPage must be 1 to {MAX_PAGE}")).into());
    }
    let page = call.int("resultsPage")?.unwrap_or(1);
    if !(1..=1_000_000).contains(&page) {
        return Err(Fault::invalid_parameter("resultsPage must be 1 or more").into());
    }
    let query = SearchQuery {
        company_id: company.company_id,
        folder,
        include_subfolders: call.boolean("includeSubfolders")?.unwrap_or(false),
        trash_state,
        asset_types: call.array("assetTypeArray").unwrap_or_default(),
        exclude_asset_types: call.array("excludeAssetTypeArray").unwrap_or_default(),
        conditions: conditions(call)?,
        match_all,
        sort_by,
        descending,
        limit: per_page,
        offset: (page - 1) * per_page,
    };
    let (total, assets) = if sub_types_exclude_all(call)? {
        (0, Vec::new())
    } else {
        db::search::search(&call.state.pool, &query).await?
    };
    Ok(Node::new("searchAssetsReturn")
        .child(Node::leaf("totalRows", total))
        .child(Node::array("assetArray", assets.iter().map(types::asset))))
}

pub async fn set_url_modifier(call: &Call<'_>) -> Result<Node> {
    let company = call.company().await?;
    let asset = AssetRef::parse(call.required("assetHandle")?)?;
    let modifier = call.text("urlModifier").unwrap_or_default().trim();
    let post = call.text("urlPostApplyModifier").unwrap_or_default().trim();
    for (field, value) in [("urlModifier", modifier), ("urlPostApplyModifier", post)] {
        ipscopy_render::parse(value)
            .map_err(|e| Fault::invalid_parameter(format!("{field} is invalid: {e}")))?;
    }
    let asset_id = asset_id_in(&asset, &company)?;
    let set = db::assets::set_url_modifiers(
        &call.state.pool,
        company.company_id,
        asset_id,
        modifier,
        post,
        call.caller.user_id,
    )
    .await?;
    if !set {
        return Err(no_asset(&asset, &company).into());
    }
    Ok(Node::new("setUrlModifierReturn"))
}
