//! Batch copy submission: up to 1,000 copies validated item by item and written in bulk; the
//! answer reports each item like IPS batch calls do, instead of faulting.

mod completion;

pub use completion::run_completer;

use std::collections::{HashMap, HashSet};

use serde::Deserialize;

use crate::{
    auth::{self, Caller},
    copy::{Copier, CopyAccepted, parse_target},
    db::{self, batches::NewCopy},
    domain::{AssetHandle, BatchHandle, CompanyHandle, Fault, FolderPath, JobHandle, role::Access},
    error::Result,
};

/// Most items one batch may hold.
pub const MAX_ITEMS: usize = 1000;

/// One copy of a batch; the company comes from the batch.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchItem {
    #[serde(default)]
    pub asset_handle: String,
    #[serde(default)]
    pub folder_handle: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub url_modifier: String,
    #[serde(default)]
    pub callback_url: Option<String>,
}

/// A batch of copies in one company.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchRequest {
    #[serde(default)]
    pub company_handle: String,
    #[serde(default)]
    pub items: Vec<BatchItem>,
    /// Default callbackUrl for items that name none.
    #[serde(default)]
    pub callback_url: Option<String>,
}

/// The answer: the batch (when any item was accepted) and one result per item, in order.
#[derive(Debug, Clone)]
pub struct BatchAccepted {
    pub batch: Option<BatchHandle>,
    pub items: Vec<Result<CopyAccepted, Fault>>,
}

/// An item that passed the checks that need no database.
struct Parsed<'a> {
    source: AssetHandle,
    folder: FolderPath,
    item: &'a BatchItem,
    callback_url: Option<String>,
}

impl Copier {
    /// Validates every item, writes the valid ones in bulk and enqueues them.
    pub async fn submit_batch(&self, caller: &Caller, request: &BatchRequest) -> Result<BatchAccepted> {
        if request.company_handle.is_empty() {
            return Err(Fault::missing_parameter("companyHandle").into());
        }
        if request.items.is_empty() {
            return Err(Fault::missing_parameter("items").into());
        }
        if request.items.len() > MAX_ITEMS {
            return Err(Fault::invalid_parameter(format!(
                "items holds {} copies; a batch takes at most {MAX_ITEMS}",
                request.items.len()
            ))
            .into());
        }
        let company = CompanyHandle::parse(&request.company_handle)?;
        auth::authorize(&self.pool, caller, company, Access::Write).await?;
        self.take_allowance(company, request.items.len())?;

        let mut callbacks: HashMap<String, Result<(), Fault>> = HashMap::new();
        let mut results: Vec<Result<Parsed<'_>, Fault>> = Vec::with_capacity(request.items.len());
        for item in &request.items {
            let callback_url = item.callback_url.clone().or_else(|| request.callback_url.clone());
            let checked = match &callback_url {
                Some(url) => match callbacks.get(url) {
                    Some(known) => known.clone(),
                    None => {
                        let verdict =
                            self.webhook_policy.check_registration(url).await.map(|_| ()).map_err(
                                |refused| Fault::invalid_parameter(format!("callbackUrl {refused}")),
                            );
                        callbacks.insert(url.clone(), verdict.clone());
                        verdict
                    }
                },
                None => Ok(()),
            };
            results.push(checked.and_then(|()| parse_item(item, callback_url)));
        }

        let mut conn = self.pool.acquire().await?;
        let source_ids: Vec<i64> = results.iter().flatten().map(|p| p.source.0).collect();
        let sources = db::batches::sources(&mut conn, &source_ids).await?;
        let paths: Vec<&str> = results.iter().flatten().map(|p| p.folder.as_str()).collect();
        let folders = db::batches::folders(&mut conn, company.0, &paths).await?;
        drop(conn);

        let mut seen_names = HashSet::new();
        let mut copies: Vec<Result<NewCopy, Fault>> = results
            .into_iter()
            .map(|parsed| {
                let p = parsed?;
                match sources.get(&p.source.0) {
                    Some((c, kind, state, trash))
                        if *c == company.0 && kind == "Image" && trash == "NotInTrash" =>
                    {
                        if state == "pending" {
                            return Err(Fault::invalid_parameter(format!(
                                "asset {} is not rendered yet",
                                p.source
                            )));
                        }
                        if state != "ready" {
                            return Err(not_found_asset(p.source, company));
                        }
                    }
                    _ => return Err(not_found_asset(p.source, company)),
                }
                let Some(&folder_id) = folders.get(p.folder.as_str()) else {
                    return Err(Fault::not_found(format!(
                        "folder {} does not exist in company {company}",
                        p.folder
                    )));
                };
                if !seen_names.insert(p.item.name.clone()) {
                    return Err(Fault::conflict(format!(
                        "name {:?} appears twice in this batch",
                        p.item.name
                    )));
                }
                Ok(NewCopy {
                    folder_id,
                    name: p.item.name.clone(),
                    url_modifier: p.item.url_modifier.clone(),
                    source_asset_id: p.source.0,
                    callback_url: p.callback_url,
                })
            })
            .collect();

        let valid: Vec<NewCopy> = copies.iter().filter_map(|c| c.as_ref().ok().cloned()).collect();
        if valid.is_empty() {
            // Every item was refused: no batch, nothing written.
            let items = copies.into_iter().filter_map(|c| c.err()).map(Err).collect();
            return Ok(BatchAccepted { batch: None, items });
        }
        let mut tx = self.pool.begin().await?;
        let assets = db::batches::insert_assets(&mut tx, company.0, caller.user_id, &valid).await?;
        for copy in copies.iter_mut() {
            if let Ok(c) = copy
                && !assets.contains_key(&c.name)
            {
                *copy = Err(Fault::conflict(format!(
                    "name {:?} is already used by an asset of company {company}",
                    c.name
                )));
            }
        }
        let accepted: Vec<(&NewCopy, i64)> =
            copies.iter().filter_map(|c| c.as_ref().ok()).map(|c| (c, assets[&c.name])).collect();
        let rejected = copies.len() - accepted.len();
        let batch_id = db::batches::insert_batch(
            &mut tx,
            company.0,
            caller.user_id,
            accepted.len() as i32,
            rejected as i32,
            request.callback_url.as_deref(),
        )
        .await?;
        let jobs = db::batches::insert_jobs(
            &mut tx,
            company.0,
            caller.user_id,
            Some(batch_id),
            self.max_attempts,
            &accepted,
        )
        .await?;
        tx.commit().await?;
        crate::metrics::submitted(company.0, accepted.len());
        self.relay.wake();

        let accepted_count = accepted.len();
        let mut handles: Vec<CopyAccepted> = accepted
            .iter()
            .zip(jobs)
            .map(|(&(_, asset_id), job_id)| CopyAccepted {
                asset: AssetHandle(asset_id),
                job: JobHandle { company_id: company.0, job_id },
            })
            .collect();
        handles.reverse();
        let items = copies
            .into_iter()
            .map(|c| {
                c.and_then(|_| handles.pop().ok_or_else(|| Fault::new(Fault::EXCEPTION, "item not recorded")))
            })
            .collect();
        let batch = BatchHandle { company_id: company.0, batch_id };
        tracing::info!(batch = %batch, accepted = accepted_count, rejected, "batch accepted");
        Ok(BatchAccepted { batch: Some(batch), items })
    }
}

fn not_found_asset(source: AssetHandle, company: CompanyHandle) -> Fault {
    Fault::not_found(format!("asset {source} does not exist in company {company}"))
}

fn parse_item(item: &BatchItem, callback_url: Option<String>) -> Result<Parsed<'_>, Fault> {
    for (field, value) in
        [("assetHandle", &item.asset_handle), ("folderHandle", &item.folder_handle), ("name", &item.name)]
    {
        if value.is_empty() {
            return Err(Fault::missing_parameter(field));
        }
    }
    let (source, folder) =
        parse_target(&item.asset_handle, &item.folder_handle, &item.name, &item.url_modifier)?;
    Ok(Parsed { source, folder, item, callback_url })
}
