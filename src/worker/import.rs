//! One attempt of an import: fetch the source (an http(s) URL through the webhooks' SSRF guard
//! and rules, or an object of a bucket the operator allowed), probe its head, and stream it to
//! the new asset's key through the same checks as an upload. Memory stays at two store parts
//! whatever the source's size.

use std::{error::Error as _, sync::Arc, time::Duration};

use futures::{StreamExt, TryStreamExt};
use ipscopy_render::Limits;
use reqwest::StatusCode;

use super::execute::Stored;
use crate::{
    config::ImportSettings,
    domain::JobFailure,
    storage::{ByteChunks, PutStreamError, Storage, StorageError},
    upload::{self, Refusal},
    webhook::guard::{AddressPolicy, GuardedResolver, Refused},
};

/// Fetches import sources.
#[derive(Clone)]
pub struct Fetcher {
    client: reqwest::Client,
    storage: Storage,
    buckets: Arc<Vec<String>>,
    timeout: Duration,
    /// Largest source accepted, in bytes (the upload limit).
    pub max_bytes: u64,
}

/// Where an import's source is, as its `source_url` names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceUrl<'a> {
    Http(&'a str),
    S3 { bucket: &'a str, key: &'a str },
}

impl<'a> SourceUrl<'a> {
    /// Reads a stored source URL: `s3://bucket/key`, or anything else as http(s).
    pub fn parse(text: &'a str) -> Self {
        match text.strip_prefix("s3://").and_then(|rest| rest.split_once('/')) {
            Some((bucket, key)) => SourceUrl::S3 { bucket, key },
            None => SourceUrl::Http(text),
        }
    }
}

impl Fetcher {
    /// A fetcher with the import settings: guarded resolver, no redirects, no proxy, the fetch
    /// deadline.
    pub fn new(settings: &ImportSettings, storage: Storage, max_bytes: u64) -> anyhow::Result<Self> {
        let timeout = Duration::from_secs_f64(settings.import_timeout_secs.max(0.1));
        let policy = AddressPolicy::for_imports(settings.import_allowed_networks.clone());
        let client = reqwest::Client::builder()
            .dns_resolver(Arc::new(GuardedResolver { policy }))
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(10)))
            .user_agent(concat!("ipscopy-import/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Self {
            client,
            storage,
            buckets: Arc::new(settings.import_s3_buckets.clone()),
            timeout,
            max_bytes,
        })
    }

    /// Fetches `source` and stores it, checked, under `key`.
    pub(super) async fn import(
        &self,
        source: &str,
        key: &str,
        limits: &Limits,
    ) -> Result<Stored, JobFailure> {
        let (len, mut body) = match SourceUrl::parse(source) {
            SourceUrl::Http(url) => self.open_http(url).await?,
            SourceUrl::S3 { bucket, key } => self.open_s3(bucket, key).await?,
        };
        if len.is_some_and(|len| len > self.max_bytes) {
            return Err(failure(Refusal::TooLarge(self.max_bytes)));
        }
        let probed = upload::probe(&mut body, limits, self.max_bytes).await.map_err(failure)?;
        let info = probed.info.clone();
        let file_size =
            upload::store(&self.storage, key, probed, body, self.max_bytes).await.map_err(|e| match e {
                PutStreamError::Body(refusal) => failure(refusal),
                PutStreamError::Storage(e) => {
                    tracing::warn!(error = %e, "storing the import failed");
                    JobFailure::storage_write()
                }
            })?;
        Ok(Stored {
            key: key.to_string(),
            width: info.width,
            height: info.height,
            file_size,
            format: info.format,
        })
    }

    async fn open_http(&self, url: &str) -> Result<(Option<u64>, ByteChunks), JobFailure> {
        let response = self.client.get(url).send().await.map_err(|e| self.request_failure(&e))?;
        let status = response.status();
        if !status.is_success() {
            return Err(status_failure(status, response.headers().get(reqwest::header::LOCATION)));
        }
        let len = response.content_length();
        let timeout = self.timeout;
        let body = response.bytes_stream().map_err(move |e| describe(&e, timeout));
        Ok((len, body.boxed()))
    }

    async fn open_s3(&self, bucket: &str, key: &str) -> Result<(Option<u64>, ByteChunks), JobFailure> {
        if !self.buckets.iter().any(|b| b == bucket) {
            return Err(JobFailure::FetchRefused(format!(
                "bucket {bucket:?} is not one imports may read (IPSCOPY_IMPORT_S3_BUCKETS)"
            )));
        }
        self.storage.in_bucket(bucket).get_stream(key).await.map_err(|e| match e {
            StorageError::NotFound(_) => {
                JobFailure::SourceMissing(format!("s3://{bucket}/{key} does not exist"))
            }
            StorageError::Unavailable(detail) => {
                tracing::warn!(error = %detail, "reading the import's object failed");
                JobFailure::FetchFailed(format!("s3://{bucket}/{key} could not be read"))
            }
        })
    }

    /// A request that got no answer: refused by the address policy for good, else worth retrying.
    fn request_failure(&self, error: &reqwest::Error) -> JobFailure {
        let mut source = error.source();
        while let Some(cause) = source {
            if let Some(refused) = cause.downcast_ref::<Refused>() {
                return JobFailure::FetchRefused(format!("the source URL's host {refused}"));
            }
            source = cause.source();
        }
        JobFailure::FetchFailed(format!("the source URL {}", describe(error, self.timeout)))
    }
}

/// What a non-2xx answer means for the import: gone, refused for good, or worth retrying.
fn status_failure(status: StatusCode, location: Option<&reqwest::header::HeaderValue>) -> JobFailure {
    let answered = format!("the source URL answered {status}");
    if status.is_redirection() {
        let to = location.and_then(|l| l.to_str().ok()).unwrap_or("(no Location)");
        return JobFailure::FetchRefused(format!(
            "{answered}, a redirect to {to}; imports do not follow redirects: give the final URL"
        ));
    }
    match status {
        StatusCode::NOT_FOUND | StatusCode::GONE => JobFailure::SourceMissing(answered),
        StatusCode::REQUEST_TIMEOUT | StatusCode::TOO_MANY_REQUESTS => JobFailure::FetchFailed(answered),
        s if s.is_server_error() => JobFailure::FetchFailed(answered),
        _ => JobFailure::FetchRefused(answered),
    }
}

/// The job failure of a body the checks refused.
fn failure(refusal: Refusal) -> JobFailure {
    match refusal {
        Refusal::Empty => JobFailure::SourceUndecodable("the source is empty".into()),
        Refusal::TooLarge(max) => {
            JobFailure::LimitExceeded(format!("the source is larger than the import limit of {max} bytes"))
        }
        Refusal::Image(e) => e.into(),
        Refusal::Body(reason) => {
            JobFailure::FetchFailed(format!("the source did not arrive whole: {reason}"))
        }
    }
}

/// A fetch error in words for the client, without internals.
fn describe(error: &reqwest::Error, timeout: Duration) -> String {
    if error.is_timeout() {
        format!("did not send the whole image within {} s", timeout.as_secs_f64())
    } else if error.is_connect() {
        "could not be connected to".into()
    } else {
        "broke off the connection".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stored_source_url_reads_as_an_s3_object_or_an_http_url() {
        assert_eq!(SourceUrl::parse("s3://in/a/b.jpg"), SourceUrl::S3 { bucket: "in", key: "a/b.jpg" });
        assert_eq!(SourceUrl::parse("https://x.example/a.jpg"), SourceUrl::Http("https://x.example/a.jpg"));
    }

    #[test]
    fn answers_are_gone_refused_or_worth_retrying_by_their_status() {
        let code = |s: u16| status_failure(StatusCode::from_u16(s).unwrap(), None).code().to_string();
        assert_eq!(code(404), "SourceMissing");
        assert_eq!(code(410), "SourceMissing");
        assert_eq!(code(403), "FetchRefused");
        assert_eq!(code(302), "FetchRefused");
        assert_eq!(code(429), "FetchFailed");
        assert_eq!(code(503), "FetchFailed");
    }
}
