//! The copy use case, shared by the SOAP and JSON fronts and by single and batch submits: every
//! copy target passes one check, then its asset, job and outbox row are written in one
//! transaction.

mod target;

use std::collections::{HashMap, HashSet};

use serde::Deserialize;
use sqlx::{PgConnection, PgPool};

pub use target::CopyTarget;
use target::{SourceFacts, check_source};

use crate::{
    auth::{self, Caller},
    db::{
        self,
        batches::{JobSource, NewJob},
    },
    domain::{AssetHandle, CompanyHandle, Fault, FolderPath, JobHandle, TrashState, role::Access},
    error::Result,
    queue::Relay,
};

/// A single copy: the company and one copy target, with the IPS `copyImageParam` field names.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CopyRequest {
    #[serde(default)]
    #[schema(value_type = CompanyHandle, required = true)]
    pub company_handle: String,
    #[serde(flatten)]
    pub target: CopyTarget,
}

/// An accepted copy: the reserved asset and the job that will render it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CopyAccepted {
    pub asset: AssetHandle,
    pub job: JobHandle,
}

/// Accepts copy requests.
#[derive(Clone)]
pub struct Copier {
    pub pool: PgPool,
    pub relay: Relay,
    pub max_attempts: u32,
    /// The addresses webhooks may reach, which a callbackUrl is checked against.
    pub webhook_policy: crate::webhook::AddressPolicy,
    /// Per-company submit rate, when one is configured.
    pub limiter: Option<std::sync::Arc<crate::rate_limit::SubmitLimiter>>,
    /// What imports may read.
    pub import_rules: crate::import::ImportRules,
}

impl Copier {
    /// Counts `copies` against the company's submit rate.
    pub(crate) fn take_allowance(&self, company: CompanyHandle, copies: usize) -> Result<(), Fault> {
        self.limiter.as_ref().map_or(Ok(()), |limiter| limiter.check(company, copies))
    }

    /// Validates `request` for `caller` and enqueues the copy; nothing is written on any fault.
    pub async fn submit(&self, caller: &Caller, request: &CopyRequest) -> Result<CopyAccepted> {
        let target = &request.target;
        if request.company_handle.is_empty() {
            return Err(Fault::missing_parameter("companyHandle").into());
        }
        target.require_fields()?;
        let company = CompanyHandle::parse(&request.company_handle)?;
        auth::authorize(&self.pool, caller, company, Access::Write).await?;
        self.take_allowance(company, 1)?;
        // A single copy is checked and written as a batch of one, without the batch row; its
        // refusal is the answer itself rather than an item of one.
        let copy = only(self.check(company, std::slice::from_ref(target), None).await?)?;
        let source =
            copy.source.asset_id().map_or_else(String::new, |id| AssetHandle::new(company.0, id).to_string());
        let mut tx = self.pool.begin().await?;
        let reserved = reserve(&mut tx, company, caller, vec![Ok(copy)]).await?;
        let accepted = only(self.enqueue(&mut tx, company, caller, None, reserved).await?)?;
        tx.commit().await?;
        crate::metrics::submitted(company.0, 1);
        self.relay.wake();
        crate::telemetry::record_handles(&company, &accepted.job, &accepted.asset);
        tracing::info!(job = %accepted.job, asset = %accepted.asset, source = %source, "copy accepted");
        Ok(accepted)
    }

    /// Checks each of `targets` in one order with one set of faults: its fields, its
    /// callbackUrl (or `default_callback`), its source, its folder, and its name against the
    /// earlier targets'. One result per target, in order.
    pub(crate) async fn check(
        &self,
        company: CompanyHandle,
        targets: &[CopyTarget],
        default_callback: Option<&str>,
    ) -> Result<Vec<Result<NewJob, Fault>>> {
        let mut callbacks: HashMap<String, Result<(), Fault>> = HashMap::new();
        let mut parsed = Vec::with_capacity(targets.len());
        for target in targets {
            let callback_url = target.callback_url.as_deref().or(default_callback);
            let checked = match target.parse() {
                Ok(handles) => match callback_url {
                    Some(url) => self.check_callback(&mut callbacks, url).await.map(|()| handles),
                    None => Ok(handles),
                },
                Err(fault) => Err(fault),
            };
            parsed.push(checked.map(|(source, folder)| (target, source, folder, callback_url)));
        }

        let mut conn = self.pool.acquire().await?;
        let source_ids: Vec<i64> =
            parsed.iter().flatten().filter_map(|(_, source, _, _)| source.asset_in(company.0)).collect();
        let sources = db::batches::sources(&mut conn, &source_ids).await?;
        let paths: Vec<&str> = parsed.iter().flatten().map(|(_, _, folder, _)| folder.as_str()).collect();
        let folders = db::batches::folders(&mut conn, company.0, &paths).await?;
        drop(conn);

        let mut seen_names = HashSet::new();
        Ok(parsed
            .into_iter()
            .map(|parsed| {
                let (target, source, folder, callback_url) = parsed?;
                let found = source.asset_in(company.0).and_then(|id| Some((id, sources.get(&id)?)));
                let facts = found.map(|(asset_id, s)| SourceFacts {
                    asset_id,
                    company_id: s.company_id,
                    kind: &s.kind,
                    state: s.state,
                    in_trash: s.trash_state != TrashState::NotInTrash,
                });
                let source_asset_id = check_source(source, company, facts)?;
                let folder_id = place(&folders, &mut seen_names, company, &folder, &target.name, "batch")?;
                Ok(NewJob {
                    folder_id,
                    name: target.name.clone(),
                    url_modifier: target.url_modifier.clone(),
                    source: JobSource::Asset(source_asset_id),
                    callback_url: callback_url.map(str::to_string),
                })
            })
            .collect())
    }

    /// The webhook policy's verdict on `url`, asked once per distinct address.
    pub(crate) async fn check_callback(
        &self,
        verdicts: &mut HashMap<String, Result<(), Fault>>,
        url: &str,
    ) -> Result<(), Fault> {
        if let Some(known) = verdicts.get(url) {
            return known.clone();
        }
        let verdict = self
            .webhook_policy
            .check_registration(url)
            .await
            .map(|_| ())
            .map_err(|refused| Fault::invalid_parameter(format!("callbackUrl {refused}")));
        verdicts.insert(url.to_string(), verdict.clone());
        verdict
    }

    /// Records a queued job and its outbox row for every reserved copy, in `batch_id` if any;
    /// the answer for every copy, in order.
    pub(crate) async fn enqueue(
        &self,
        tx: &mut PgConnection,
        company: CompanyHandle,
        caller: &Caller,
        batch_id: Option<i64>,
        reserved: Vec<Result<(NewJob, i64), Fault>>,
    ) -> Result<Vec<Result<CopyAccepted, Fault>>> {
        let accepted: Vec<(&NewJob, i64)> = reserved
            .iter()
            .filter_map(|r| r.as_ref().ok())
            .map(|(copy, asset_id)| (copy, *asset_id))
            .collect();
        let jobs = if accepted.is_empty() {
            Vec::new()
        } else {
            db::batches::insert_jobs(tx, company.0, caller.user_id, batch_id, self.max_attempts, &accepted)
                .await?
        };
        let mut jobs = jobs.into_iter();
        Ok(reserved
            .into_iter()
            .map(|copy| {
                let (_, asset_id) = copy?;
                let job_id = jobs.next().ok_or_else(|| Fault::new(Fault::EXCEPTION, "item not recorded"))?;
                Ok(CopyAccepted {
                    asset: AssetHandle::new(company.0, asset_id),
                    job: JobHandle { company_id: company.0, job_id },
                })
            })
            .collect())
    }
}

/// Where an item of a batch (or an import: `what`) goes: the id of its folder, which must
/// exist, under a name no earlier item of it took.
pub(crate) fn place<'a>(
    folders: &HashMap<String, i64>,
    seen_names: &mut HashSet<&'a str>,
    company: CompanyHandle,
    folder: &FolderPath,
    name: &'a str,
    what: &str,
) -> Result<i64, Fault> {
    let Some(&folder_id) = folders.get(folder.as_str()) else {
        return Err(Fault::not_found(format!("folder {folder} does not exist in company {company}")));
    };
    if !seen_names.insert(name) {
        return Err(Fault::conflict(format!("name {name:?} appears twice in this {what}")));
    }
    Ok(folder_id)
}

/// Reserves a pending asset for every checked copy; a name taken meanwhile by another asset of
/// the company turns its copy into a conflict.
pub(crate) async fn reserve(
    tx: &mut PgConnection,
    company: CompanyHandle,
    caller: &Caller,
    copies: Vec<Result<NewJob, Fault>>,
) -> Result<Vec<Result<(NewJob, i64), Fault>>> {
    let valid: Vec<NewJob> = copies.iter().filter_map(|c| c.as_ref().ok().cloned()).collect();
    let assets = if valid.is_empty() {
        HashMap::new()
    } else {
        db::batches::insert_assets(tx, company.0, caller.user_id, &valid).await?
    };
    Ok(copies
        .into_iter()
        .map(|copy| {
            let copy = copy?;
            match assets.get(&copy.name) {
                Some(&asset_id) => Ok((copy, asset_id)),
                None => Err(Fault::conflict(format!(
                    "name {:?} is already used by an asset of company {company}",
                    copy.name
                ))),
            }
        })
        .collect())
}

/// The result of a batch of one.
fn only<T>(mut results: Vec<Result<T, Fault>>) -> Result<T, Fault> {
    results.pop().unwrap_or_else(|| Err(Fault::new(Fault::EXCEPTION, "copy not recorded")))
}
