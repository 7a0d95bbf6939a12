//! Copy and import jobs through the IPS job calls: `getActiveJobs` while queued or running,
//! `getJobLogDetails` once finished. A job's `originalName` is the name given to its asset (by
//! `copyImage` or an import), so a client that only kept the new asset's name can find its job.
//! Imports show as IPS URL upload jobs (`UrlUpload`).

use super::{
    Call,
    job_view::{Items, JobView, detail, upload_detail},
    one_of,
};
use crate::{
    db,
    domain::{Fault, ImportJobHandle, JobHandle, Role, UploadJobHandle, role::Access},
    error::Result,
    soap::xml::Node,
};

/// Most jobs one `getActiveJobs` call lists per company.
const MAX_ACTIVE: i64 = 1000;
/// Most detail rows one `getJobLogDetails` page holds.
const MAX_PAGE: i64 = 1000;
/// The kinds of job log detail, as IPS names them.
const LOG_TYPES: &[&str] = &["Info", "Warning", "Error"];

/// The jobs a call names by `jobHandle` or `originalName`, or every active job when it names
/// none: copies one by one, imports as one job each.
async fn named_jobs(call: &Call<'_>, company_id: i64, active_only: bool) -> Result<Vec<JobView>> {
    let pool = &call.state.pool;
    let mut jobs = Vec::new();
    if let Some(text) = call.optional("jobHandle") {
        if let Ok(upload) = UploadJobHandle::parse(text) {
            if upload.company_id == company_id {
                let found = db::job_status::find_upload(pool, company_id, upload.upload_job_id).await?;
                jobs.extend(found.map(JobView::of_upload));
            }
        } else if let Ok(import) = ImportJobHandle::parse(text) {
            if import.company_id == company_id {
                let found = db::job_status::find_import(pool, company_id, import.batch_id).await?;
                jobs.extend(found.map(JobView::of_import));
            }
        } else {
            let job = JobHandle::parse(text)?;
            if job.company_id == company_id {
                let found = db::job_status::find(pool, company_id, job.job_id).await?;
                jobs.extend(found.map(JobView::of_job));
            }
        }
    } else if let Some(name) = call.optional("originalName") {
        let copies = db::job_status::by_target_name(pool, company_id, name).await?;
        let imports = db::job_status::imports_by_name(pool, company_id, name).await?;
        let uploads = db::job_status::uploads_by_name(pool, company_id, name).await?;
        jobs.extend(copies.into_iter().map(JobView::of_job));
        jobs.extend(imports.into_iter().map(JobView::of_import));
        jobs.extend(uploads.into_iter().map(JobView::of_upload));
    } else if active_only {
        let copies = db::job_status::active(pool, company_id, MAX_ACTIVE).await?;
        let imports = db::job_status::active_imports(pool, company_id, MAX_ACTIVE).await?;
        let uploads = db::job_status::active_uploads(pool, company_id, MAX_ACTIVE).await?;
        jobs.extend(copies.into_iter().map(JobView::of_job));
        jobs.extend(imports.into_iter().map(JobView::of_import));
        jobs.extend(uploads.into_iter().map(JobView::of_upload));
    } else {
        return Err(Fault::missing_parameter("jobHandle or originalName").into());
    }
    Ok(jobs)
}

/// The companies whose jobs `getActiveJobs` and `getJobLogs` list: the one named, else every
/// company where the caller holds an active role that may read.
async fn active_job_companies(call: &Call<'_>) -> Result<Vec<i64>> {
    if call.optional("companyHandle").is_some() {
        return Ok(vec![call.company().await?.company_id]);
    }
    let memberships = db::users::memberships(&call.state.pool, call.caller.user_id).await?;
    Ok(memberships
        .iter()
        .filter(|m| m.is_active && m.role.parse::<Role>().is_ok_and(|r| r.allows(Access::Read)))
        .map(|m| m.company_id)
        .collect())
}

pub async fn get_active_jobs(call: &Call<'_>) -> Result<Node> {
    let mut items = Vec::new();
    for company_id in active_job_companies(call).await? {
        let jobs = named_jobs(call, company_id, true).await?;
        items.extend(jobs.iter().filter(|j| j.is_active()).map(JobView::active_job));
    }
    Ok(Node::new("getActiveJobsReturn").child(Node::array("jobArray", items)))
}

/// What `getJobLogDetails` asks of each log's details: which kinds, in which order, which page.
struct DetailQuery {
    log_types: Vec<String>,
    sort_by: Option<&'static str>,
    descending: bool,
    per_page: i64,
    page: i64,
}

impl DetailQuery {
    fn read(call: &Call<'_>) -> Result<Self, Fault> {
        let log_types = call.array("logTypeArray").unwrap_or_default();
        if let Some(bad) = log_types.iter().find(|t| !LOG_TYPES.contains(&t.as_str())) {
            return Err(Fault::invalid_parameter(format!(
                "logTypeArray item {bad:?} is not one of {}",
                LOG_TYPES.join(", ")
            )));
        }
        let sort_by = match call.optional("sortBy") {
            Some(s) => Some(one_of("sortBy", s, &[("LogType", "LogType"), ("AssetName", "AssetName")])?),
            None => None,
        };
        let descending = call.descending(false)?;
        let per_page = call.int("recordsPerPage")?.unwrap_or(MAX_PAGE);
        if !(1..=MAX_PAGE).contains(&per_page) {
            return Err(Fault::invalid_parameter(format!("recordsPerPage must be 1 to {MAX_PAGE}")));
        }
        let page = call.int("resultsPage")?.unwrap_or(1);
        if page < 1 {
            return Err(Fault::invalid_parameter("resultsPage must be 1 or more"));
        }
        Ok(DetailQuery { log_types, sort_by, descending, per_page, page })
    }

    /// The page of `details` (log type, asset name, node) asked for, and how many matched.
    fn page(&self, mut details: Vec<(&'static str, String, Node)>) -> (usize, Vec<Node>) {
        details.retain(|(log_type, _, _)| {
            self.log_types.is_empty() || self.log_types.iter().any(|t| t == log_type)
        });
        match self.sort_by {
            Some("LogType") => details.sort_by(|a, b| a.0.cmp(b.0)),
            Some(_) => details.sort_by(|a, b| a.1.cmp(&b.1)),
            None => {}
        }
        if self.descending {
            details.reverse();
        }
        let total = details.len();
        let skip = usize::try_from((self.page - 1).saturating_mul(self.per_page)).unwrap_or(usize::MAX);
        let take = usize::try_from(self.per_page).unwrap_or(usize::MAX);
        (total, details.into_iter().skip(skip).take(take).map(|(_, _, node)| node).collect())
    }
}

pub async fn get_job_log_details(call: &Call<'_>) -> Result<Node> {
    let company = call.company().await?;
    let query = DetailQuery::read(call)?;
    let mut logs = Vec::new();
    for job in named_jobs(call, company.company_id, false).await? {
        let Some(end) = job.finished else { continue };
        let details = match &job.items {
            Items::One(copy) => vec![detail(copy)],
            Items::Import(batch_id) => {
                let items = db::job_status::import_items(&call.state.pool, *batch_id).await?;
                items.iter().map(detail).collect()
            }
            Items::Upload(upload_job_id) => {
                let files = db::job_status::upload_files(&call.state.pool, *upload_job_id).await?;
                files.iter().map(|file| upload_detail(job.company_id, file)).collect()
            }
        };
        logs.push(job.job_log(end, Some(query.page(details))));
    }
    Ok(Node::new("getJobLogDetailsReturn").child(Node::array("jobLogArray", logs)))
}

/// Most logs one `getJobLogs` call lists per company.
const MAX_LOGS: i64 = 1000;

pub async fn get_job_logs(call: &Call<'_>) -> Result<Node> {
    let user_id = call.optional("userHandle").map(super::users::parse_user_handle).transpose()?;
    let by_start = match call.optional("sortBy") {
        Some(s) => one_of("sortBy", s, &[("EndDate", false), ("StartDate", true)])?,
        None => false,
    };
    let descending = call.descending(true)?;
    let limit = call.int("numRows")?.unwrap_or(MAX_LOGS);
    if !(1..=MAX_LOGS).contains(&limit) {
        return Err(Fault::invalid_parameter(format!("numRows must be 1 to {MAX_LOGS}")).into());
    }
    let (from, to) = (call.date_time("startDate")?, call.date_time("endDate")?);
    let mut logs = Vec::new();
    for company_id in active_job_companies(call).await? {
        let query =
            db::job_status::FinishedQuery { company_id, user_id, from, to, by_start, descending, limit };
        let copies = db::job_status::finished(&call.state.pool, &query).await?;
        let imports = db::job_status::finished_imports(&call.state.pool, &query).await?;
        let mut jobs: Vec<JobView> = copies
            .into_iter()
            .map(JobView::of_job)
            .chain(imports.into_iter().map(JobView::of_import))
            .collect();
        // Both lists came in the asked order; merged, they keep it, and the limit holds for both.
        jobs.sort_by_cached_key(|j| j.sort_key(by_start));
        if descending {
            jobs.reverse();
        }
        jobs.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
        logs.extend(jobs.iter().filter_map(|job| Some(job.job_log(job.finished?, None))));
    }
    Ok(Node::new("getJobLogsReturn").child(Node::array("jobLogArray", logs)))
}
