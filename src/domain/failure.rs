//! Why a copy or import job failed: the one list of job error codes the worker records, metrics label
//! and the status answers (JSON, SOAP, batches) report.

use std::{fmt, time::Duration};

use ipscopy_render::RenderError;
use serde::ser::{Serialize, SerializeStruct, Serializer};

/// Why a copy job, or one attempt of it, did not produce the copy. Each variant holds the
/// reason a client reads; [`JobFailure::code`] is the stable code it branches on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobFailure {
    /// The source asset, or its stored image, is gone.
    SourceMissing(String),
    /// The recorded `urlModifier` no longer parses.
    InvalidModifier(String),
    /// The source bytes are not an image the engine decodes.
    SourceUndecodable(String),
    /// The source, the output or an intermediate image is over a configured limit.
    LimitExceeded(String),
    /// The copy could not be encoded in the requested format.
    EncodeFailed(String),
    /// A step of the engine failed on valid input.
    RenderFailed(String),
    /// The render ran past its time limit.
    RenderTimeout(String),
    /// The render thread panicked or was lost.
    RenderCrashed(String),
    /// The object store could not be read or written.
    StorageUnavailable(String),
    /// The worker shut down before the attempt could render.
    WorkerStopping(String),
    /// The worker running the attempt stopped sending heartbeats.
    WorkerLost(String),
    /// The job was delivered again after its last allowed attempt.
    RetriesExhausted(String),
    /// An import's source may not be fetched: an address the operator did not open, a redirect
    /// (never followed), a bucket not allowed, or an answer retrying cannot change.
    FetchRefused(String),
    /// An import's source could not be fetched now: no connection, a timeout, a 5xx or 429.
    FetchFailed(String),
    /// A code this build does not know, as another version of ipscopy recorded it.
    Unrecognised { code: String, reason: String },
}

impl JobFailure {
    /// The source asset is no longer a ready image of the job's company.
    pub fn source_gone() -> Self {
        Self::SourceMissing("the source asset no longer exists".into())
    }

    /// The source asset exists but its image is not in the object store.
    pub fn source_object_missing() -> Self {
        Self::SourceMissing("the source image is missing from storage".into())
    }

    /// The job's `urlModifier` was refused by the parser with `error`.
    pub fn invalid_modifier(error: impl fmt::Display) -> Self {
        Self::InvalidModifier(format!("urlModifier {error}"))
    }

    /// The render did not end within `limit`.
    pub fn render_timeout(limit: Duration) -> Self {
        Self::RenderTimeout(format!("the render took longer than {} s", limit.as_secs_f64()))
    }

    /// The render thread ended without an answer.
    pub fn render_crashed(error: impl fmt::Display) -> Self {
        Self::RenderCrashed(format!("the render engine failed: {error}"))
    }

    /// Reading the source from the object store failed.
    pub fn storage_read() -> Self {
        Self::StorageUnavailable("the object store could not be read".into())
    }

    /// Writing the copy to the object store failed.
    pub fn storage_write() -> Self {
        Self::StorageUnavailable("the object store could not be written".into())
    }

    /// The worker is stopping and takes no more renders.
    pub fn worker_stopping() -> Self {
        Self::WorkerStopping("the worker is shutting down".into())
    }

    /// The attempt's worker vanished.
    pub fn worker_lost() -> Self {
        Self::WorkerLost("the worker stopped sending heartbeats".into())
    }

    /// All `max_attempts` attempts were used up.
    pub fn retries_exhausted(max_attempts: i32) -> Self {
        Self::RetriesExhausted(format!("gave up after {max_attempts} attempts"))
    }

    /// A failure as stored with a job: its code and reason columns.
    pub fn recorded(code: &str, reason: String) -> Self {
        let known = match code {
            "SourceMissing" => Self::SourceMissing,
            "InvalidModifier" => Self::InvalidModifier,
            "SourceUndecodable" => Self::SourceUndecodable,
            "LimitExceeded" => Self::LimitExceeded,
            "EncodeFailed" => Self::EncodeFailed,
            "RenderFailed" => Self::RenderFailed,
            "RenderTimeout" => Self::RenderTimeout,
            "RenderCrashed" => Self::RenderCrashed,
            "StorageUnavailable" => Self::StorageUnavailable,
            "WorkerStopping" => Self::WorkerStopping,
            "WorkerLost" => Self::WorkerLost,
            "RetriesExhausted" => Self::RetriesExhausted,
            "FetchRefused" => Self::FetchRefused,
            "FetchFailed" => Self::FetchFailed,
            code => return Self::Unrecognised { code: code.to_string(), reason },
        };
        known(reason)
    }

    /// The stable machine-readable code, as clients and the metrics' `code` label see it.
    pub fn code(&self) -> &str {
        match self {
            Self::SourceMissing(_) => "SourceMissing",
            Self::InvalidModifier(_) => "InvalidModifier",
            Self::SourceUndecodable(_) => "SourceUndecodable",
            Self::LimitExceeded(_) => "LimitExceeded",
            Self::EncodeFailed(_) => "EncodeFailed",
            Self::RenderFailed(_) => "RenderFailed",
            Self::RenderTimeout(_) => "RenderTimeout",
            Self::RenderCrashed(_) => "RenderCrashed",
            Self::StorageUnavailable(_) => "StorageUnavailable",
            Self::WorkerStopping(_) => "WorkerStopping",
            Self::WorkerLost(_) => "WorkerLost",
            Self::RetriesExhausted(_) => "RetriesExhausted",
            Self::FetchRefused(_) => "FetchRefused",
            Self::FetchFailed(_) => "FetchFailed",
            Self::Unrecognised { code, .. } => code,
        }
    }

    /// Whether another attempt may succeed: a dependency was away, not the job at fault.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            Self::StorageUnavailable(_)
                | Self::WorkerStopping(_)
                | Self::WorkerLost(_)
                | Self::FetchFailed(_)
        )
    }

    /// The words a client reads.
    pub fn reason(&self) -> &str {
        match self {
            Self::SourceMissing(r)
            | Self::InvalidModifier(r)
            | Self::SourceUndecodable(r)
            | Self::LimitExceeded(r)
            | Self::EncodeFailed(r)
            | Self::RenderFailed(r)
            | Self::RenderTimeout(r)
            | Self::RenderCrashed(r)
            | Self::StorageUnavailable(r)
            | Self::WorkerStopping(r)
            | Self::WorkerLost(r)
            | Self::RetriesExhausted(r)
            | Self::FetchRefused(r)
            | Self::FetchFailed(r)
            | Self::Unrecognised { reason: r, .. } => r,
        }
    }

    /// The failure that ends a job whose last attempt, `attempts`, failed transiently.
    pub fn given_up(self, attempts: i32) -> Self {
        let reason = format!("{} (gave up after {attempts} attempts)", self.reason());
        match self {
            Self::Unrecognised { code, .. } => Self::Unrecognised { code, reason },
            known => Self::recorded(known.code(), reason),
        }
    }
}

impl From<RenderError> for JobFailure {
    fn from(e: RenderError) -> Self {
        let reason = e.to_string();
        match e {
            RenderError::Undecodable(_) => Self::SourceUndecodable(reason),
            RenderError::LimitExceeded(_) => Self::LimitExceeded(reason),
            RenderError::Encode(_) => Self::EncodeFailed(reason),
            RenderError::Internal(_) => Self::RenderFailed(reason),
        }
    }
}

impl fmt::Display for JobFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code(), self.reason())
    }
}

/// `{"code": …, "reason": …}`, the error shape of job answers and events.
impl Serialize for JobFailure {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut error = serializer.serialize_struct("JobFailure", 2)?;
        error.serialize_field("code", self.code())?;
        error.serialize_field("reason", self.reason())?;
        error.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn every_known() -> Vec<JobFailure> {
        vec![
            JobFailure::source_gone(),
            JobFailure::invalid_modifier("wid: bad"),
            RenderError::Undecodable("x".into()).into(),
            RenderError::LimitExceeded("x".into()).into(),
            RenderError::Encode("x".into()).into(),
            RenderError::Internal("x".into()).into(),
            JobFailure::render_timeout(Duration::from_secs(3)),
            JobFailure::render_crashed("panic"),
            JobFailure::storage_read(),
            JobFailure::worker_stopping(),
            JobFailure::worker_lost(),
            JobFailure::retries_exhausted(5),
            JobFailure::FetchRefused("x".into()),
            JobFailure::FetchFailed("x".into()),
        ]
    }

    #[test]
    fn the_codes_clients_see_are_the_ones_recorded_before_the_enum() {
        let all = every_known();
        let codes: Vec<&str> = all.iter().map(JobFailure::code).collect();
        assert_eq!(
            codes,
            [
                "SourceMissing",
                "InvalidModifier",
                "SourceUndecodable",
                "LimitExceeded",
                "EncodeFailed",
                "RenderFailed",
                "RenderTimeout",
                "RenderCrashed",
                "StorageUnavailable",
                "WorkerStopping",
                "WorkerLost",
                "RetriesExhausted",
                "FetchRefused",
                "FetchFailed",
            ]
        );
    }

    #[test]
    fn only_an_unavailable_store_or_source_or_a_vanished_or_stopping_worker_is_retried() {
        let all = every_known();
        let transient: Vec<&str> = all.iter().filter(|f| f.is_transient()).map(JobFailure::code).collect();
        assert_eq!(transient, ["StorageUnavailable", "WorkerStopping", "WorkerLost", "FetchFailed"]);
        assert!(JobFailure::storage_write().is_transient());
        assert!(!JobFailure::recorded("FromTheFuture", "x".into()).is_transient());
    }

    #[test]
    fn render_errors_keep_the_engines_code_and_message() {
        for e in [
            RenderError::Undecodable("truncated".into()),
            RenderError::LimitExceeded("too wide".into()),
            RenderError::Encode("no gif".into()),
            RenderError::Internal("resize".into()),
        ] {
            let (code, message) = (e.code(), e.to_string());
            let failure = JobFailure::from(e);
            assert_eq!((failure.code(), failure.reason()), (code, message.as_str()));
            assert!(!failure.is_transient(), "{failure}");
        }
    }

    #[test]
    fn a_recorded_failure_reads_back_as_the_variant_that_wrote_it() {
        for failure in every_known() {
            let stored = JobFailure::recorded(failure.code(), failure.reason().to_string());
            assert_eq!(stored, failure);
        }
        let unknown = JobFailure::recorded("FromTheFuture", "newer worker".into());
        assert_eq!((unknown.code(), unknown.reason()), ("FromTheFuture", "newer worker"));
    }

    #[test]
    fn giving_up_keeps_the_code_and_says_after_how_many_attempts() {
        let failure = JobFailure::storage_read().given_up(10);
        assert_eq!(failure.code(), "StorageUnavailable");
        assert_eq!(failure.reason(), "the object store could not be read (gave up after 10 attempts)");
        assert_eq!(JobFailure::retries_exhausted(5).reason(), "gave up after 5 attempts");
        assert_eq!(
            JobFailure::render_timeout(Duration::from_millis(1500)).reason(),
            "the render took longer than 1.5 s"
        );
    }

    #[test]
    fn a_failure_serializes_as_code_and_reason() {
        let json = serde_json::to_value(JobFailure::source_object_missing()).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"code": "SourceMissing", "reason": "the source image is missing from storage"})
        );
    }
}
