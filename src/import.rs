//! Imports: up to 1,000 masters fetched by URL or read from an allowed bucket, each item
//! checked at once (its source's shape and address, its folder, its name), then written in bulk
//! as import jobs of one batch. Workers fetch, probe and store each source; the batch reports
//! counts and failed items like a batch of copies, and its end is `import.completed`.

use std::collections::{HashMap, HashSet};

use serde::Deserialize;

use crate::{
    auth::Caller,
    batch::{BatchAccepted, WholeJob, Writing},
    copy::{Copier, place},
    db::{
        self,
        batches::{JobSource, NewJob},
    },
    domain::{CompanyHandle, Fault, FolderPath, JobKind, names},
    error::Result,
    webhook::AddressPolicy,
};

/// One master to bring in: from `sourceUrl`, or from `s3Key` in `s3Bucket`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = ImportItem)]
pub struct ImportItem {
    /// An http or https URL of a public address (or of a network the operator opened); an
    /// item whose URL is refused is answered inside the 202, like every item refusal.
    pub source_url: Option<String>,
    /// A key in `s3Bucket`, instead of `sourceUrl`.
    pub s3_key: Option<String>,
    /// A bucket the operator lets imports read (`IPSCOPY_IMPORT_S3_BUCKETS`); the first of them
    /// when absent.
    pub s3_bucket: Option<String>,
    /// The folder the new asset goes in.
    #[serde(default)]
    #[schema(value_type = FolderPath, required = true)]
    pub folder_handle: String,
    /// The new asset's name, unique in the company.
    #[serde(default)]
    #[schema(required = true, min_length = 1, max_length = 255)]
    pub name: String,
}

/// An import into one company.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ImportRequest {
    #[serde(default)]
    #[schema(value_type = CompanyHandle, required = true)]
    pub company_handle: String,
    #[serde(default)]
    #[schema(required = true, min_items = 1, max_items = 1000)]
    pub items: Vec<ImportItem>,
    /// Where each item's `asset.imported` / `asset.import_failed` and the `import.completed`
    /// event are also sent.
    #[serde(default)]
    #[schema(format = "uri")]
    pub callback_url: Option<String>,
}

/// What imports may read: addresses and buckets.
#[derive(Debug, Clone, Default)]
pub struct ImportRules {
    pub policy: AddressPolicy,
    pub buckets: Vec<String>,
}

impl ImportRules {
    /// The stored source of `item`, or why it cannot be imported.
    fn source(&self, item: &ImportItem) -> Result<String, Fault> {
        match (&item.source_url, &item.s3_key, &item.s3_bucket) {
            (Some(url), None, None) => {
                let url = self
                    .policy
                    .check_url(url)
                    .map_err(|r| Fault::invalid_parameter(format!("sourceUrl {r}")))?;
                Ok(url.to_string())
            }
            (None, Some(key), bucket) => {
                if key.is_empty() || key.len() > 1024 {
                    return Err(Fault::invalid_parameter("s3Key must be 1 to 1024 bytes"));
                }
                let Some(first) = self.buckets.first() else {
                    return Err(Fault::invalid_parameter(
                        "this server imports no s3Key: an operator lists the buckets imports may read in IPSCOPY_IMPORT_S3_BUCKETS",
                    ));
                };
                let bucket = bucket.as_ref().unwrap_or(first);
                if !self.buckets.contains(bucket) {
                    return Err(Fault::invalid_parameter(format!(
                        "s3Bucket {bucket:?} is not one imports may read; they are {}",
                        self.buckets.join(", ")
                    )));
                }
                Ok(format!("s3://{bucket}/{key}"))
            }
            (Some(_), Some(_), _) => Err(Fault::invalid_parameter("give sourceUrl or s3Key, not both")),
            (Some(_), None, Some(_)) => {
                Err(Fault::invalid_parameter("s3Bucket goes with s3Key, not sourceUrl"))
            }
            (None, None, _) => Err(Fault::missing_parameter("sourceUrl or s3Key")),
        }
    }
}

impl Copier {
    /// Validates every import item, writes the valid ones in bulk as import jobs of one batch
    /// and enqueues them. An IPS `job` is taken whole or not at all: with an item refused,
    /// nothing is written and that item's fault is the answer.
    pub async fn submit_import(
        &self,
        caller: &Caller,
        request: &ImportRequest,
        job: Option<WholeJob<'_>>,
    ) -> Result<BatchAccepted> {
        let company = self.admit(caller, &request.company_handle, request.items.len(), "imports").await?;
        if let Some(url) = &request.callback_url {
            self.check_callback(&mut HashMap::new(), url).await?;
        }
        let imports = self.check_imports(company, request).await?;
        let writing = Writing { kind: JobKind::Import, callback_url: request.callback_url.as_deref(), job };
        self.write_batch(caller, company, imports, writing).await
    }

    /// One result per item, in order: its source, its folder, and its name against the earlier
    /// items'.
    async fn check_imports(
        &self,
        company: CompanyHandle,
        request: &ImportRequest,
    ) -> Result<Vec<Result<NewJob, Fault>>> {
        let parsed: Vec<Result<(String, FolderPath, &ImportItem), Fault>> = request
            .items
            .iter()
            .map(|item| {
                let source = self.import_rules.source(item)?;
                if item.folder_handle.is_empty() {
                    return Err(Fault::missing_parameter("folderHandle"));
                }
                let folder = FolderPath::parse_handle(&item.folder_handle)?;
                names::validate("name", &item.name)?;
                Ok((source, folder, item))
            })
            .collect();
        let paths: Vec<&str> = parsed.iter().flatten().map(|(_, folder, _)| folder.as_str()).collect();
        let mut conn = self.pool.acquire().await?;
        let folders = db::batches::folders(&mut conn, company.0, &paths).await?;
        drop(conn);
        let mut seen_names = HashSet::new();
        Ok(parsed
            .into_iter()
            .map(|parsed| {
                let (source, folder, item) = parsed?;
                let folder_id = place(&folders, &mut seen_names, company, &folder, &item.name, "import")?;
                Ok(NewJob {
                    folder_id,
                    name: item.name.clone(),
                    url_modifier: String::new(),
                    source: JobSource::Url(source),
                    callback_url: request.callback_url.clone(),
                })
            })
            .collect())
    }
}
