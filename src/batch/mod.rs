//! Batch copy submission: up to 1,000 copies validated item by item and written in bulk; the
//! answer reports each item like IPS batch calls do, instead of faulting.

mod completion;

pub use completion::run_completer;

use serde::Deserialize;

use crate::{
    auth::{self, Caller},
    copy::{Copier, CopyAccepted, CopyTarget, reserve},
    db::{
        self,
        batches::{NewBatch, NewJob},
    },
    domain::{BatchHandle, CompanyHandle, Fault, JobKind, role::Access},
    error::Result,
};

/// Most items one batch may hold.
pub const MAX_ITEMS: usize = 1000;

/// A batch of copies in one company.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BatchRequest {
    #[serde(default)]
    #[schema(value_type = CompanyHandle, required = true)]
    pub company_handle: String,
    /// The copies; the company comes from the batch.
    #[serde(default)]
    #[schema(required = true, min_items = 1, max_items = 1000)]
    pub items: Vec<CopyTarget>,
    /// Default callbackUrl for items that name none.
    #[serde(default)]
    #[schema(format = "uri")]
    pub callback_url: Option<String>,
}

/// The answer: the batch (when any item was accepted) and one result per item, in order.
#[derive(Debug, Clone)]
pub struct BatchAccepted {
    pub batch: Option<BatchHandle>,
    pub items: Vec<Result<CopyAccepted, Fault>>,
}

/// How a batch's checked items are written.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Writing<'a> {
    pub kind: JobKind,
    pub callback_url: Option<&'a str>,
    /// Set for an import that came as one IPS job, which is taken whole or not at all.
    pub job: Option<WholeJob<'a>>,
}

/// An import that came as one IPS job: its jobName, and what its items are called in the fault
/// that refuses the job for one of them.
#[derive(Debug, Clone, Copy)]
pub struct WholeJob<'a> {
    pub name: &'a str,
    /// E.g. `uploadUrlsJob/urlArray item`; the fault says `<items> <n>: <the item's reason>`.
    pub items: &'a str,
}

impl WholeJob<'_> {
    /// The fault of the first refused item, if any.
    fn refusal<T>(&self, items: &[Result<T, Fault>]) -> Option<Fault> {
        items.iter().enumerate().find_map(|(at, item)| {
            let refused = item.as_ref().err()?;
            let reason = format!("{} {}: {}", self.items, at + 1, refused.reason);
            Some(Fault { reason, ..refused.clone() })
        })
    }
}

impl Copier {
    /// The company of a batch request of `len` items (`what` they are), once the caller may
    /// write there and the company's submit rate allows them.
    pub(crate) async fn admit(
        &self,
        caller: &Caller,
        company_handle: &str,
        len: usize,
        what: &str,
    ) -> Result<CompanyHandle> {
        if company_handle.is_empty() {
            return Err(Fault::missing_parameter("companyHandle").into());
        }
        if len == 0 {
            return Err(Fault::missing_parameter("items").into());
        }
        if len > MAX_ITEMS {
            return Err(Fault::invalid_parameter(format!(
                "items holds {len} {what}; at most {MAX_ITEMS} are taken"
            ))
            .into());
        }
        let company = CompanyHandle::parse(company_handle)?;
        auth::authorize(&self.pool, caller, company, Access::Write).await?;
        self.take_allowance(company, len)?;
        Ok(company)
    }

    /// Validates every item, writes the valid ones in bulk and enqueues them.
    pub async fn submit_batch(&self, caller: &Caller, request: &BatchRequest) -> Result<BatchAccepted> {
        let company = self.admit(caller, &request.company_handle, request.items.len(), "copies").await?;
        let copies = self.check(company, &request.items, request.callback_url.as_deref()).await?;
        let writing =
            Writing { kind: JobKind::Copy, callback_url: request.callback_url.as_deref(), job: None };
        self.write_batch(caller, company, copies, writing).await
    }

    /// Writes the checked `jobs` as one batch in one transaction: their assets, the batch row,
    /// the jobs and their outbox rows; the answer for every item, in order. With every item
    /// refused nothing is written; a whole job with any item refused is that item's fault.
    pub(crate) async fn write_batch(
        &self,
        caller: &Caller,
        company: CompanyHandle,
        jobs: Vec<Result<NewJob, Fault>>,
        writing: Writing<'_>,
    ) -> Result<BatchAccepted> {
        if let Some(refused) = writing.job.and_then(|job| job.refusal(&jobs)) {
            return Err(refused.into());
        }
        if jobs.iter().all(Result::is_err) {
            let items = jobs.into_iter().filter_map(Result::err).map(Err).collect();
            return Ok(BatchAccepted { batch: None, items });
        }
        let mut tx = self.pool.begin().await?;
        let reserved = reserve(&mut tx, company, caller, jobs).await?;
        if let Some(refused) = writing.job.and_then(|job| job.refusal(&reserved)) {
            // The transaction rolls back when dropped: the names reserved are free again.
            return Err(refused.into());
        }
        let accepted = reserved.iter().filter(|r| r.is_ok()).count();
        let rejected = reserved.len() - accepted;
        let batch = NewBatch {
            kind: writing.kind,
            company_id: company.0,
            created_by: caller.user_id,
            accepted: accepted as i32,
            rejected: rejected as i32,
            callback_url: writing.callback_url,
            name: writing.job.map(|job| job.name),
        };
        let batch_id = db::batches::insert_batch(&mut tx, &batch).await?;
        let items = self.enqueue(&mut tx, company, caller, Some(batch_id), reserved).await?;
        tx.commit().await?;
        crate::metrics::submitted(company.0, accepted);
        self.relay.wake();
        let batch = BatchHandle { company_id: company.0, batch_id };
        tracing::info!(batch = %batch, kind = %writing.kind, accepted, rejected, "batch accepted");
        Ok(BatchAccepted { batch: Some(batch), items })
    }
}
