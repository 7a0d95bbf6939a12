//! Copy jobs through the IPS job calls: `getActiveJobs` while queued or running,
//! `getJobLogDetails` once finished. A copy job's `originalName` is the name given to
//! `copyImage`, so a client that only kept the new asset's name can find its job.

use super::{Call, types::date};
use crate::{
    db::{self, job_status::JobStatus},
    domain::{AssetHandle, CompanyHandle, JobHandle, JobState},
    error::Result,
    soap::xml::Node,
};

/// Most jobs one `getActiveJobs` call lists.
const MAX_ACTIVE: i64 = 1000;

fn handle(job: &JobStatus) -> JobHandle {
    JobHandle { company_id: job.company_id, job_id: job.job_id }
}

fn description(job: &JobStatus) -> String {
    format!(
        "copyImage of {} into {} ({})",
        AssetHandle(job.source_asset_id),
        AssetHandle(job.target_asset_id),
        job.target_name
    )
}

/// The jobs a call names by `jobHandle` or `originalName`, or every job when it names none.
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
        return Err(crate::domain::Fault::missing_parameter("jobHandle or originalName").into());
    };
    Ok(jobs)
}

pub async fn get_active_jobs(call: &Call<'_>) -> Result<Node> {
    let company = call.company().await?;
    let jobs = named_jobs(call, company.company_id, true).await?;
    let items = jobs.iter().filter(|j| matches!(j.state, JobState::Queued | JobState::Running)).map(|job| {
        let (state, progress) = match (job.state, job.attempts) {
            (JobState::Running, _) => ("Running", 50),
            (_, 0) => ("New", 0),
            // Queued again after a failed attempt: waiting for its retry time.
            _ => ("WaitingCoordinator", 0),
        };
        Node::new("job")
            .child(Node::leaf("companyHandle", CompanyHandle(job.company_id)))
            .child(Node::leaf("jobHandle", handle(job)))
            .child(Node::leaf("name", format!("copyImage-{}", job.job_id)))
            .child(Node::leaf("originalName", &job.target_name))
            .child(Node::leaf("type", "copyImage"))
            .child(Node::leaf("state", state))
            .opt("submitUserEmail", job.submit_user.as_ref())
            .child(Node::leaf("description", description(job)))
            .child(Node::leaf("startDate", date(job.started_at.unwrap_or(job.created_at))))
            .child(Node::leaf("progress", progress))
            .child(Node::leaf("lastProgressUpdate", date(job.updated_at)))
    });
    Ok(Node::new("getActiveJobsReturn").child(Node::array("jobArray", items)))
}

pub async fn get_job_log_details(call: &Call<'_>) -> Result<Node> {
    let company = call.company().await?;
    let jobs = named_jobs(call, company.company_id, false).await?;
    let items = jobs.iter().filter_map(|job| {
        let end = job.finished_at?;
        let succeeded = job.state == JobState::Succeeded;
        let (log_type, message) = if succeeded {
            ("Info", format!("copied into {} ({})", AssetHandle(job.target_asset_id), job.target_name))
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
            .child(Node::leaf("assetHandle", AssetHandle(job.target_asset_id)));
        Some(
            Node::new("log")
                .child(Node::leaf("companyHandle", CompanyHandle(job.company_id)))
                .child(Node::leaf("jobHandle", handle(job)))
                .child(Node::leaf("jobName", format!("copyImage-{}", job.job_id)))
                .child(Node::leaf("originalJobName", &job.target_name))
                .opt("submitUserEmail", job.submit_user.as_ref())
                .child(Node::leaf("startDate", date(job.started_at.unwrap_or(job.created_at))))
                .child(Node::leaf("endDate", date(end)))
                .child(Node::leaf("description", description(job)))
                .child(Node::leaf("fileSuccessCount", u8::from(succeeded)))
                .child(Node::leaf("fileErrorCount", u8::from(!succeeded)))
                .child(Node::leaf("fileWarningCount", 0))
                .child(Node::leaf("totalFileCount", 1))
                .child(Node::leaf("fatalError", !succeeded))
                .child(Node::leaf("detailTotalRows", 1))
                .child(Node::array("detailArray", [detail])),
        )
    });
    Ok(Node::new("getJobLogDetailsReturn").child(Node::array("jobLogArray", items)))
}
