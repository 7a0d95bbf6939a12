//! Event payloads, in the Standard Webhooks shape `{type, timestamp, data}`.

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Value, json};

use super::{JobEvent, handle::EndpointHandle};
pub use crate::db::jobs::JobFacts;
use crate::db::jobs::JobRow;
use crate::domain::{AssetHandle, BatchHandle, CompanyHandle, JobHandle, JobKind};

/// The ids of a job that its events name.
#[derive(Debug, Clone, Copy)]
pub struct JobIds<'a> {
    pub company_id: i64,
    pub job_id: i64,
    pub kind: JobKind,
    /// What a copy rendered.
    pub source_asset_id: Option<i64>,
    /// What an import fetched.
    pub source_url: Option<&'a str>,
    pub target_asset_id: i64,
    /// The batch or import the job is part of.
    pub batch_id: Option<i64>,
}

impl<'a> JobIds<'a> {
    /// The ids `job` carries.
    pub fn of(job: &'a JobRow) -> Self {
        JobIds {
            company_id: job.company_id,
            job_id: job.job_id,
            kind: job.kind,
            source_asset_id: job.source_asset_id,
            source_url: job.source_url.as_deref(),
            target_asset_id: job.target_asset_id,
            batch_id: job.batch_id,
        }
    }
}

/// Every event type an endpoint can subscribe to.
pub const EVENT_TYPES: [&str; 8] = [
    "copy.succeeded",
    "copy.failed",
    "copy.cancelled",
    "batch.completed",
    "asset.imported",
    "asset.import_failed",
    "import.completed",
    "endpoint.disabled",
];

/// A whole event body: `{type, timestamp, data}`.
pub fn envelope(event_type: &str, at: DateTime<Utc>, data: Value) -> String {
    json!({ "type": event_type, "timestamp": at.to_rfc3339_opts(SecondsFormat::Millis, true), "data": data })
        .to_string()
}

/// The body of a job's event: `copy.*` for a copy, `asset.import*` for an import.
pub fn job_payload(job: &JobIds<'_>, event: JobEvent, facts: &JobFacts, at: DateTime<Utc>) -> String {
    let error = match (&facts.error_code, &facts.error_reason) {
        (Some(code), Some(reason)) if event != JobEvent::Succeeded => {
            json!({ "code": code, "reason": reason })
        }
        _ => Value::Null,
    };
    let image_info = if event == JobEvent::Succeeded {
        json!({
            "width": facts.width,
            "height": facts.height,
            "fileSize": facts.file_size,
            "format": facts.format,
        })
    } else {
        Value::Null
    };
    let mut data = json!({
        "jobHandle": JobHandle { company_id: job.company_id, job_id: job.job_id }.to_string(),
        "companyHandle": CompanyHandle(job.company_id).to_string(),
        "assetHandle": AssetHandle::new(job.company_id, job.target_asset_id).to_string(),
        "state": facts.state.as_str(),
        "error": error,
        "imageInfo": image_info,
    });
    match job.kind {
        JobKind::Copy => {
            let source = job.source_asset_id.map(|id| AssetHandle::new(job.company_id, id).to_string());
            data["sourceAssetHandle"] = json!(source);
        }
        JobKind::Import => {
            data["sourceUrl"] = json!(job.source_url);
            let import = job.batch_id.map(|batch_id| BatchHandle { company_id: job.company_id, batch_id });
            data["importHandle"] = json!(import.map(|h| h.to_string()));
        }
    }
    envelope(event.event_type(job.kind), at, data)
}

/// The body of an `endpoint.disabled` event.
pub fn endpoint_disabled_payload(
    endpoint: EndpointHandle,
    url: Option<&str>,
    reason: &str,
    at: DateTime<Utc>,
) -> String {
    let data = json!({ "webhookHandle": endpoint.to_string(), "url": url, "reason": reason });
    envelope("endpoint.disabled", at, data)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::JobState;

    fn job() -> JobIds<'static> {
        JobIds {
            company_id: 6,
            job_id: 41,
            kind: JobKind::Copy,
            source_asset_id: Some(3),
            source_url: None,
            target_asset_id: 9,
            batch_id: None,
        }
    }

    #[test]
    fn a_success_carries_handles_and_image_info_and_no_error() {
        let facts = JobFacts {
            state: JobState::Succeeded,
            error_code: None,
            error_reason: None,
            callback_url: None,
            width: Some(64),
            height: Some(48),
            file_size: Some(1234),
            format: Some("png".into()),
        };
        let at = DateTime::parse_from_rfc3339("2026-01-02T03:04:05.5Z").unwrap().with_timezone(&Utc);
        let body: Value =
            serde_json::from_str(&job_payload(&job(), JobEvent::Succeeded, &facts, at)).unwrap();
        assert_eq!(body["type"], "copy.succeeded");
        assert_eq!(body["timestamp"], "2026-01-02T03:04:05.500Z");
        assert_eq!(body["data"]["jobHandle"], "j|6||copyImage-41|41");
        assert_eq!(body["data"]["assetHandle"], "a|6|1|9");
        assert_eq!(body["data"]["sourceAssetHandle"], "a|6|1|3");
        assert_eq!(
            body["data"]["imageInfo"],
            json!({"width": 64, "height": 48, "fileSize": 1234, "format": "png"})
        );
        assert_eq!(body["data"]["error"], Value::Null);
    }

    #[test]
    fn a_failure_carries_the_error_code_and_reason_and_no_image_info() {
        let facts = JobFacts {
            state: JobState::Failed,
            error_code: Some("SourceMissing".into()),
            error_reason: Some("gone".into()),
            callback_url: None,
            width: None,
            height: None,
            file_size: None,
            format: None,
        };
        let body: Value =
            serde_json::from_str(&job_payload(&job(), JobEvent::Failed, &facts, Utc::now())).unwrap();
        assert_eq!(body["type"], "copy.failed");
        assert_eq!(body["data"]["error"], json!({"code": "SourceMissing", "reason": "gone"}));
        assert_eq!(body["data"]["imageInfo"], Value::Null);
    }
}
