//! Copy and import jobs through the IPS job calls: `getActiveJobs` while queued or running,
//! `getJobLogDetails` once finished. A job's `originalName` is the name given to its asset (by
//! `copyImage` or an import), so a client that only kept the new asset's name can find its job.
//! Imports show as IPS URL upload jobs (`UrlUpload`).

use super::{Call, one_of, types::date};
use crate::{
    db::{self, job_status::JobStatus},
    domain::{AssetHandle, CompanyHandle, Fault, JobHandle, JobKind, JobState, Role, role::Access},
    error::Result,
    soap::xml::Node,
};

/// Most jobs one `getActiveJobs` call lists per company.
const MAX_ACTIVE: i64 = 1000;
/// Most detail rows one `getJobLogDetails` page holds.
const MAX_PAGE: i64 = 1000;
/// The server a job runs on, as `ActiveJob/serverName` names it.
const SERVER_NAME: &str = "ipscopy";
/// The kinds of job log detail, as IPS names them.
const LOG_TYPES: &[&str] = &["Info", "Warning", "Error"];

fn handle(job: &JobStatus) -> JobHandle {
    JobHandle { company_id: job.company_id, job_id: job.job_id }
}

/// The IPS job type of a job.
fn job_type(job: &JobStatus) -> &'static str {
    match job.kind {
        JobKind::Copy => "copyImage",
        JobKind::Import => "UrlUpload",
    }
}

fn job_name(job: &JobStatus) -> String {
    format!("{}-{}", job_type(job), job.job_id)
}

fn description(job: &JobStatus) -> String {
    let target = AssetHandle::new(job.company_id, job.target_asset_id);
    match (job.source_asset_id, &job.source_url) {
        (Some(source), _) => format!(
            "copyImage of {} into {target} ({})",
            AssetHandle::new(job.company_id, source),
            job.target_name
        ),
        (None, url) => {
            format!("UrlUpload of {} into {target} ({})", url.as_deref().unwrap_or_default(), job.target_name)
        }
    }
}

/// The jobs a call names by `jobHandle` or `originalName`, or every active job when it names none.
async fn named_jobs(call: &Call<'_>, company_id: i64, active_only: bool) -> Result<Vec<JobStatus>> {
    let pool = &call.state.pool;
    let jobs = if let Some(text) = call.optional("jobHandle") {
        let job = JobHandle::parse(text)?;
        if job.company_id != company_id {
            Vec::new()
        } else {
            db::job_status::find(pool, company_id, job.job_id).await?.into_iter().collect()
        }
    } else if let Some(name) = call.optional("originalName") {
        db::job_status::by_target_name(pool, company_id, name).await?
    } else if active_only {
        db::job_status::active(pool, company_id, MAX_ACTIVE).await?
    } else {
        return Err(Fault::missing_parameter("jobHandle or originalName").into());
    };
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

fn active_job(job: &JobStatus) -> Node {
    let (state, progress, message) = match (job.state, job.attempts) {
        (JobState::Running, _) if job.kind == JobKind::Import => ("Running", 50, "fetching the image"),
        (JobState::Running, _) => ("Running", 50, "rendering the copy"),
        (_, 0) => ("New", 0, "waiting for a render slot"),
        // Queued again after a failed attempt: waiting for its retry time.
        _ => ("WaitingCoordinator", 0, "waiting to try the render again"),
    };
    Node::new("job")
        .child(Node::leaf("companyHandle", CompanyHandle(job.company_id)))
        .child(Node::leaf("jobHandle", handle(job)))
        .child(Node::leaf("name", job_name(job)))
        .child(Node::leaf("originalName", &job.target_name))
        .child(Node::leaf("type", job_type(job)))
        .child(Node::leaf("state", state))
        .child(Node::leaf("submitUserEmail", job.submit_user.as_deref().unwrap_or_default()))
        .child(Node::leaf("description", description(job)))
        .child(Node::leaf("serverName", SERVER_NAME))
        .child(Node::leaf("startDate", date(job.started_at.unwrap_or(job.created_at))))
        // One image to render.
        .child(Node::leaf("totalSize", 1))
        .child(Node::leaf("progress", progress))
        .child(Node::leaf("progressMessage", message))
        .child(Node::leaf("lastProgressUpdate", date(job.updated_at)))
        .child(Node::new("taskProgressArray"))
}

pub async fn get_active_jobs(call: &Call<'_>) -> Result<Node> {
    let mut items = Vec::new();
    for company_id in active_job_companies(call).await? {
        let jobs = named_jobs(call, company_id, true).await?;
        let active = jobs.iter().filter(|j| matches!(j.state, JobState::Queued | JobState::Running));
        items.extend(active.map(active_job));
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

/// A job's `JobLog`; with `details` (getJobLogDetails) its detail rows too.
fn job_log(job: &JobStatus, end: chrono::DateTime<chrono::Utc>, details: Option<&DetailQuery>) -> Node {
    let succeeded = job.state == JobState::Succeeded;
    let (log_type, message) = if succeeded {
        let asset = AssetHandle::new(job.company_id, job.target_asset_id);
        let done = if job.kind == JobKind::Import { "imported" } else { "copied" };
        ("Info", format!("{done} into {asset} ({})", job.target_name))
    } else {
        // `code: reason`, the failure's display form.
        let failure = job.failure().map(|f| f.to_string());
        ("Error", failure.unwrap_or_else(|| "Failed: the copy failed".into()))
    };
    let detail = Node::new("detail")
        .child(Node::leaf("logMessage", message))
        .child(Node::leaf("logType", log_type))
        .child(Node::leaf("assetName", &job.target_name))
        .child(Node::leaf("assetType", "Image"))
        .child(Node::leaf("assetHandle", AssetHandle::new(job.company_id, job.target_asset_id)));
    let count = |yes: bool| u8::from(yes);
    let imported = job.kind == JobKind::Import;
    let log = Node::new("log")
        .child(Node::leaf("companyHandle", CompanyHandle(job.company_id)))
        .child(Node::leaf("jobHandle", handle(job)))
        .child(Node::leaf("jobName", job_name(job)))
        .child(Node::leaf("originalJobName", &job.target_name))
        .child(Node::leaf("submitUserEmail", job.submit_user.as_deref().unwrap_or_default()))
        .child(Node::leaf("logType", log_type))
        .child(Node::leaf("jobSubType", job_type(job)))
        .child(Node::leaf("startDate", date(job.started_at.unwrap_or(job.created_at))))
        .child(Node::leaf("endDate", date(end)))
        .child(Node::leaf("description", description(job)))
        .child(Node::leaf("fileSuccessCount", count(succeeded)))
        .child(Node::leaf("fileErrorCount", count(!succeeded)))
        .child(Node::leaf("fileWarningCount", 0))
        .child(Node::leaf("fileDuplicateCount", 0))
        .child(Node::leaf("fileUpdateCount", 0))
        .child(Node::leaf("totalFileCount", 1))
        // A copy reads its source from storage: only an import transfers a file in.
        .child(Node::leaf("transferSuccessCount", count(imported && succeeded)))
        .child(Node::leaf("transferErrorCount", count(imported && !succeeded)))
        .child(Node::leaf("transferWarningCount", 0))
        .child(Node::leaf("fatalError", !succeeded));
    match details {
        Some(query) => {
            let (total, details) = query.page(vec![(log_type, job.target_name.clone(), detail)]);
            log.child(Node::leaf("detailTotalRows", total)).child(Node::array("detailArray", details))
        }
        None => log,
    }
}

pub async fn get_job_log_details(call: &Call<'_>) -> Result<Node> {
    let company = call.company().await?;
    let query = DetailQuery::read(call)?;
    let jobs = named_jobs(call, company.company_id, false).await?;
    let logs = jobs.iter().filter_map(|job| Some(job_log(job, job.finished_at?, Some(&query))));
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
        let jobs = db::job_status::finished(&call.state.pool, &query).await?;
        logs.extend(jobs.iter().filter_map(|job| Some(job_log(job, job.finished_at?, None))));
    }
    Ok(Node::new("getJobLogsReturn").child(Node::array("jobLogArray", logs)))
}
