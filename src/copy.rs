//! The copy use case, shared by the SOAP and JSON fronts: validate everything at once, reserve
//! the new asset, record the job and its outbox row in one transaction.

use serde::Deserialize;
use sqlx::PgPool;

use crate::{
    auth::{self, Caller},
    db::{self, assets::NewAsset},
    domain::{AssetHandle, CompanyHandle, Fault, FolderPath, JobHandle, names, role::Access},
    error::Result,
    queue::Relay,
};

/// A copy request, with the IPS `copyImageParam` field names.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CopyRequest {
    #[serde(default)]
    pub company_handle: String,
    #[serde(default)]
    pub asset_handle: String,
    #[serde(default)]
    pub folder_handle: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub url_modifier: String,
    /// Where to POST this copy's signed `copy.*` event, besides the company's endpoints.
    #[serde(default)]
    pub callback_url: Option<String>,
}

/// Checks the fields a single copy and a batch item share, in one order with one set of faults:
/// the source and folder handles, the new name and the modifier.
pub(crate) fn parse_target(
    asset_handle: &str,
    folder_handle: &str,
    name: &str,
    url_modifier: &str,
) -> Result<(AssetHandle, FolderPath), Fault> {
    let source = AssetHandle::parse(asset_handle)?;
    let folder = FolderPath::parse_handle(folder_handle)?;
    names::validate("name", name)?;
    ipscopy_render::parse(url_modifier)
        .map_err(|e| Fault::invalid_parameter(format!("urlModifier is invalid: {e}")))?;
    Ok((source, folder))
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
}

impl Copier {
    /// Counts `copies` against the company's submit rate.
    pub(crate) fn take_allowance(&self, company: CompanyHandle, copies: usize) -> Result<(), Fault> {
        self.limiter.as_ref().map_or(Ok(()), |limiter| limiter.check(company, copies))
    }

    /// Validates `request` for `caller` and enqueues the copy; nothing is written on any fault.
    pub async fn submit(&self, caller: &Caller, request: &CopyRequest) -> Result<CopyAccepted> {
        for (field, value) in [
            ("companyHandle", &request.company_handle),
            ("assetHandle", &request.asset_handle),
            ("folderHandle", &request.folder_handle),
            ("name", &request.name),
        ] {
            if value.is_empty() {
                return Err(Fault::missing_parameter(field).into());
            }
        }
        let company = CompanyHandle::parse(&request.company_handle)?;
        auth::authorize(&self.pool, caller, company, Access::Write).await?;
        self.take_allowance(company, 1)?;
        let (source, folder) = parse_target(
            &request.asset_handle,
            &request.folder_handle,
            &request.name,
            &request.url_modifier,
        )?;
        if let Some(url) = &request.callback_url {
            self.webhook_policy
                .check_registration(url)
                .await
                .map_err(|refused| Fault::invalid_parameter(format!("callbackUrl {refused}")))?;
        }

        let source_row = db::assets::find(&self.pool, source.0).await?;
        let source_in_trash = db::assets::in_trash(&self.pool, source.0).await?;
        match source_row {
            Some(a) if a.company_id == company.0 && source_in_trash => {
                return Err(Fault::invalid_parameter(format!(
                    "asset {source} is in the trash; restore it with restoreAssetsFromTrash first"
                ))
                .into());
            }
            Some(a) if a.company_id == company.0 && a.r#type == "Image" && a.state == "ready" => {}
            Some(a) if a.company_id == company.0 && a.state == "pending" => {
                return Err(Fault::invalid_parameter(format!("asset {source} is not rendered yet")).into());
            }
            _ => {
                return Err(
                    Fault::not_found(format!("asset {source} does not exist in company {company}")).into()
                );
            }
        }
        let Some(folder_id) = db::folders::find(&self.pool, company.0, folder.as_str()).await? else {
            return Err(
                Fault::not_found(format!("folder {folder} does not exist in company {company}")).into()
            );
        };

        let mut tx = self.pool.begin().await?;
        let new_asset = NewAsset {
            company_id: company.0,
            folder_id,
            name: &request.name,
            url_modifier: &request.url_modifier,
            source_asset_id: Some(source.0),
            created_by: Some(caller.user_id),
        };
        let Some(asset_id) = db::assets::insert_pending(&mut *tx, &new_asset).await? else {
            return Err(Fault::conflict(format!(
                "name {:?} is already used by an asset of company {company}",
                request.name
            ))
            .into());
        };
        let job_id = db::jobs::insert(
            &mut *tx,
            company.0,
            source.0,
            asset_id,
            &request.url_modifier,
            self.max_attempts,
            caller.user_id,
        )
        .await?;
        if let Some(url) = &request.callback_url {
            db::webhooks::set_job_callback_url(&mut *tx, job_id, url).await?;
        }
        db::outbox::insert(&mut *tx, job_id, None).await?;
        tx.commit().await?;
        crate::metrics::submitted(company.0, 1);
        self.relay.wake();
        let accepted =
            CopyAccepted { asset: AssetHandle(asset_id), job: JobHandle { company_id: company.0, job_id } };
        crate::telemetry::record_handles(&company, &accepted.job, &accepted.asset);
        tracing::info!(job = %accepted.job, asset = %accepted.asset, source = %source, "copy accepted");
        Ok(accepted)
    }
}
