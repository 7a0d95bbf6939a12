//! Batch copy submission: up to 1,000 copies validated item by item and written in bulk; the
//! answer reports each item like IPS batch calls do, instead of faulting.

mod completion;

pub use completion::run_completer;

use serde::Deserialize;

use crate::{
    auth::{self, Caller},
    copy::{Copier, CopyAccepted, CopyTarget, reserve},
    db::{self, batches::NewBatch},
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

        let copies = self.check(company, &request.items, request.callback_url.as_deref()).await?;
        if copies.iter().all(Result::is_err) {
            // Every item was refused: no batch, nothing written.
            let items = copies.into_iter().filter_map(Result::err).map(Err).collect();
            return Ok(BatchAccepted { batch: None, items });
        }
        let mut tx = self.pool.begin().await?;
        let reserved = reserve(&mut tx, company, caller, copies).await?;
        let accepted = reserved.iter().filter(|r| r.is_ok()).count();
        let rejected = reserved.len() - accepted;
        let batch = NewBatch {
            kind: JobKind::Copy,
            company_id: company.0,
            created_by: caller.user_id,
            accepted: accepted as i32,
            rejected: rejected as i32,
            callback_url: request.callback_url.as_deref(),
            name: None,
        };
        let batch_id = db::batches::insert_batch(&mut tx, &batch).await?;
        let items = self.enqueue(&mut tx, company, caller, Some(batch_id), reserved).await?;
        tx.commit().await?;
        crate::metrics::submitted(company.0, accepted);
        self.relay.wake();
        let batch = BatchHandle { company_id: company.0, batch_id };
        tracing::info!(batch = %batch, accepted, rejected, "batch accepted");
        Ok(BatchAccepted { batch: Some(batch), items })
    }
}
