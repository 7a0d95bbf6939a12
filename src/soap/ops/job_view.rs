//! One IPS job as the job calls show it: a copy (one file, `copyImage`) or an import (its
//! items as the files of one `UrlUpload` job), with its `ActiveJob` and `JobLog` elements.

use chrono::{DateTime, Utc};

use super::types::date;
use crate::{
    db::job_status::{ImportStatus, JobStatus, UploadFileRow, UploadStatus},
    domain::{AssetHandle, CompanyHandle, ImportJobHandle, JobHandle, JobKind, JobState, UploadJobHandle},
    soap::xml::Node,
};

/// The server a job runs on, as `ActiveJob/serverName` names it.
const SERVER_NAME: &str = "ipscopy";

/// A job as IPS shows it.
pub struct JobView {
    pub company_id: i64,
    handle: String,
    job_type: &'static str,
    name: String,
    original_name: String,
    submit_user: Option<String>,
    description: String,
    created: DateTime<Utc>,
    started: Option<DateTime<Utc>>,
    updated: DateTime<Utc>,
    /// When the job's last file ended; `None` while one is queued or running.
    pub finished: Option<DateTime<Utc>>,
    files: Files,
    /// Files transferred in (an import's) rather than read from storage (a copy's).
    transfers: bool,
    /// What the details are read from.
    pub items: Items,
}

/// A job's files by where they are.
#[derive(Debug, Clone, Copy, Default)]
struct Files {
    total: i64,
    queued: i64,
    running: i64,
    succeeded: i64,
    /// Failed or cancelled.
    failed: i64,
    /// Queued again after a failed attempt.
    retrying: bool,
}

/// Where a job's detail rows come from.
pub enum Items {
    /// The copy itself.
    One(Box<JobStatus>),
    /// The import's jobs, read when its details are asked for.
    Import(i64),
    /// The servlet job's files, read when its details are asked for.
    Upload(i64),
}

/// The IPS job type of a job of `kind`.
fn job_type(kind: JobKind) -> &'static str {
    match kind {
        JobKind::Copy => "copyImage",
        JobKind::Import => "UrlUpload",
    }
}

impl JobView {
    /// A copy job (or one item of an import, named by its own handle).
    pub fn of_job(job: JobStatus) -> Self {
        let target = AssetHandle::new(job.company_id, job.target_asset_id);
        let description = match (job.source_asset_id, &job.source_url) {
            (Some(source), _) => format!(
                "copyImage of {} into {target} ({})",
                AssetHandle::new(job.company_id, source),
                job.target_name
            ),
            (None, url) => format!(
                "UrlUpload of {} into {target} ({})",
                url.as_deref().unwrap_or_default(),
                job.target_name
            ),
        };
        let count = |yes: bool| i64::from(yes);
        let files = Files {
            total: 1,
            queued: count(job.state == JobState::Queued),
            running: count(job.state == JobState::Running),
            succeeded: count(job.state == JobState::Succeeded),
            failed: count(matches!(job.state, JobState::Failed | JobState::Cancelled)),
            retrying: job.state == JobState::Queued && job.attempts > 0,
        };
        Self {
            company_id: job.company_id,
            handle: JobHandle { company_id: job.company_id, job_id: job.job_id }.to_string(),
            job_type: job_type(job.kind),
            name: format!("{}-{}", job_type(job.kind), job.job_id),
            original_name: job.target_name.clone(),
            submit_user: job.submit_user.clone(),
            description,
            created: job.created_at,
            started: job.started_at,
            updated: job.updated_at,
            finished: job.finished_at,
            files,
            transfers: job.kind == JobKind::Import,
            items: Items::One(Box::new(job)),
        }
    }

    /// An import, as the one `UrlUpload` job of its items.
    pub fn of_import(import: ImportStatus) -> Self {
        let handle = ImportJobHandle { company_id: import.company_id, batch_id: import.batch_id };
        let name = format!("UrlUpload-{}", import.batch_id);
        Self {
            company_id: import.company_id,
            handle: handle.to_string(),
            job_type: "UrlUpload",
            original_name: import.name.clone().unwrap_or_else(|| name.clone()),
            name,
            submit_user: import.submit_user,
            description: format!("UrlUpload of {} files", import.total),
            created: import.created_at,
            started: import.started_at,
            updated: import.updated_at,
            finished: import.finished_at,
            files: Files {
                total: i64::from(import.total),
                queued: import.queued,
                running: import.running,
                succeeded: import.succeeded,
                failed: import.failed + import.cancelled,
                retrying: false,
            },
            transfers: true,
            items: Items::Import(import.batch_id),
        }
    }

    /// What `getJobLogs` sorts by: the start or the end, then the handle.
    pub fn sort_key(&self, by_start: bool) -> (Option<DateTime<Utc>>, String) {
        let at = if by_start { Some(self.started.unwrap_or(self.created)) } else { self.finished };
        (at, self.handle.clone())
    }

    /// A job of the UploadFile servlet: open until a request ends it, its files stored as they came.
    pub fn of_upload(upload: UploadStatus) -> Self {
        let handle = UploadJobHandle { company_id: upload.company_id, upload_job_id: upload.upload_job_id };
        let open = i64::from(upload.finished_at.is_none());
        Self {
            company_id: upload.company_id,
            handle: handle.to_string(),
            job_type: "UploadFile",
            name: format!("uploadFileServlet-{}", upload.upload_job_id),
            original_name: upload.name,
            submit_user: upload.submit_user,
            description: format!("UploadFile of {} files", upload.total),
            created: upload.created_at,
            started: Some(upload.created_at),
            updated: upload.updated_at,
            finished: upload.finished_at,
            // An open job counts as one file still running: more may come.
            files: Files {
                total: upload.total + open,
                queued: 0,
                running: open,
                succeeded: upload.succeeded,
                failed: upload.failed,
                retrying: false,
            },
            transfers: true,
            items: Items::Upload(upload.upload_job_id),
        }
    }

    pub fn is_active(&self) -> bool {
        self.files.queued + self.files.running > 0
    }

    /// The `ActiveJob` element.
    pub fn active_job(&self) -> Node {
        let f = self.files;
        let done = f.succeeded + f.failed;
        let (state, message) = match (f.running, done, self.transfers) {
            (0, 0, _) if f.retrying => ("WaitingCoordinator", "waiting to try again".to_string()),
            (0, 0, false) => ("New", "waiting for a render slot".to_string()),
            (0, 0, true) => ("New", "waiting for a fetch slot".to_string()),
            (_, _, false) => ("Running", "rendering the copy".to_string()),
            (_, _, true) => ("Running", format!("{done} of {} files imported or failed", f.total)),
        };
        // A running single file is half done: it has been fetched, not yet stored.
        let progress = if f.total == 1 && f.running == 1 { 50 } else { done * 100 / f.total.max(1) };
        Node::new("job")
            .child(Node::leaf("companyHandle", CompanyHandle(self.company_id)))
            .child(Node::leaf("jobHandle", &self.handle))
            .child(Node::leaf("name", &self.name))
            .child(Node::leaf("originalName", &self.original_name))
            .child(Node::leaf("type", self.job_type))
            .child(Node::leaf("state", state))
            .child(Node::leaf("submitUserEmail", self.submit_user.as_deref().unwrap_or_default()))
            .child(Node::leaf("description", &self.description))
            .child(Node::leaf("serverName", SERVER_NAME))
            .child(Node::leaf("startDate", date(self.started.unwrap_or(self.created))))
            .child(Node::leaf("totalSize", f.total))
            .child(Node::leaf("progress", progress))
            .child(Node::leaf("progressMessage", message))
            .child(Node::leaf("lastProgressUpdate", date(self.updated)))
            .child(Node::new("taskProgressArray"))
    }

    /// The `JobLog` element of a finished job; `details` (from [`detail`]) when asked for.
    pub fn job_log(&self, end: DateTime<Utc>, details: Option<(usize, Vec<Node>)>) -> Node {
        let f = self.files;
        let log_type = if f.failed == 0 { "Info" } else { "Error" };
        let transferred = |n: i64| if self.transfers { n } else { 0 };
        let log = Node::new("log")
            .child(Node::leaf("companyHandle", CompanyHandle(self.company_id)))
            .child(Node::leaf("jobHandle", &self.handle))
            .child(Node::leaf("jobName", &self.name))
            .child(Node::leaf("originalJobName", &self.original_name))
            .child(Node::leaf("submitUserEmail", self.submit_user.as_deref().unwrap_or_default()))
            .child(Node::leaf("logType", log_type))
            .child(Node::leaf("jobSubType", self.job_type))
            .child(Node::leaf("startDate", date(self.started.unwrap_or(self.created))))
            .child(Node::leaf("endDate", date(end)))
            .child(Node::leaf("description", &self.description))
            .child(Node::leaf("fileSuccessCount", f.succeeded))
            .child(Node::leaf("fileErrorCount", f.failed))
            .child(Node::leaf("fileWarningCount", 0))
            .child(Node::leaf("fileDuplicateCount", 0))
            .child(Node::leaf("fileUpdateCount", 0))
            .child(Node::leaf("totalFileCount", f.total))
            // A copy reads its source from storage: only an import transfers files in.
            .child(Node::leaf("transferSuccessCount", transferred(f.succeeded)))
            .child(Node::leaf("transferErrorCount", transferred(f.failed)))
            .child(Node::leaf("transferWarningCount", 0))
            .child(Node::leaf("fatalError", f.succeeded == 0 && f.failed > 0));
        match details {
            Some((total, details)) => {
                log.child(Node::leaf("detailTotalRows", total)).child(Node::array("detailArray", details))
            }
            None => log,
        }
    }
}

/// One file's detail row: its log type, its asset's name, and the `JobLogDetail` element.
pub fn detail(job: &JobStatus) -> (&'static str, String, Node) {
    let asset = AssetHandle::new(job.company_id, job.target_asset_id);
    let (log_type, message) = if job.state == JobState::Succeeded {
        let done = match &job.source_url {
            Some(url) => format!("imported {url}"),
            None => "copied".to_string(),
        };
        ("Info", format!("{done} into {asset} ({})", job.target_name))
    } else {
        // `code: reason`, the failure's display form.
        let failure = job.failure().map(|f| f.to_string());
        ("Error", failure.unwrap_or_else(|| format!("{}: the job did not finish", job.state)))
    };
    let node = Node::new("detail")
        .child(Node::leaf("logMessage", message))
        .child(Node::leaf("logType", log_type))
        .child(Node::leaf("assetName", &job.target_name))
        .child(Node::leaf("assetType", "Image"))
        .child(Node::leaf("assetHandle", asset));
    (log_type, job.target_name.clone(), node)
}

/// One servlet file's detail row, as [`detail`].
pub fn upload_detail(company_id: i64, file: &UploadFileRow) -> (&'static str, String, Node) {
    let name = file.asset_name.clone().unwrap_or_else(|| file.file_name.clone());
    let (log_type, message) = match (file.asset_id, file.error_code, &file.error_reason) {
        (Some(asset), _, _) => (
            "Info",
            format!("uploaded {} into {} ({name})", file.file_name, AssetHandle::new(company_id, asset)),
        ),
        (None, code, reason) => (
            "Error",
            format!(
                "{}: {} ({})",
                file.file_name,
                reason.as_deref().unwrap_or_default(),
                code.unwrap_or_default()
            ),
        ),
    };
    let node = Node::new("detail")
        .child(Node::leaf("logMessage", message))
        .child(Node::leaf("logType", log_type))
        .child(Node::leaf("assetName", &name))
        .child(Node::leaf("assetType", "Image"))
        .opt("assetHandle", file.asset_id.map(|id| AssetHandle::new(company_id, id)));
    (log_type, name, node)
}
