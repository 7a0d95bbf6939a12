//! The object store: source masters and rendered copies, through `aws-sdk-s3` over HTTP.

mod embedded;
mod stream;

use aws_sdk_s3::{
    Client,
    config::{BehaviorVersion, Credentials, Region, timeout::TimeoutConfig},
    error::{ProvideErrorMetadata, SdkError},
    operation::get_object::GetObjectError,
    primitives::ByteStream,
};
use bytes::Bytes;

pub use embedded::EmbeddedStore;
pub use stream::{PART_SIZE, PutStreamError};

use crate::{config::S3Settings, secret::ExposeSecret};

/// Why a storage call failed, classified for retry decisions.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// The object does not exist: retrying cannot help.
    #[error("object {0} does not exist")]
    NotFound(String),
    /// The store could not be reached or answered with an error; worth retrying.
    #[error("object store request failed: {0}")]
    Unavailable(String),
}

/// An object's bytes as they arrive; an error ends it.
pub type ByteChunks = futures::stream::BoxStream<'static, Result<Bytes, String>>;

/// A bucket in an S3-compatible store.
#[derive(Clone)]
pub struct Storage {
    client: Client,
    bucket: String,
    /// Whether request bodies are hashed into their signatures (see [`signs_payloads`]).
    sign_payloads: bool,
}

impl Storage {
    /// Builds a client for `endpoint` with the credentials in `settings`.
    pub fn connect(settings: &S3Settings, endpoint: &str) -> Self {
        Self {
            client: Client::from_conf(client_config(settings, endpoint)),
            bucket: settings.s3_bucket.clone(),
            sign_payloads: signs_payloads(endpoint),
        }
    }

    /// Creates the bucket unless it exists.
    pub async fn ensure_bucket(&self) -> Result<(), StorageError> {
        if self.client.head_bucket().bucket(&self.bucket).send().await.is_ok() {
            return Ok(());
        }
        match self.client.create_bucket().bucket(&self.bucket).send().await {
            Ok(_) => Ok(()),
            Err(e) if matches!(e.code(), Some("BucketAlreadyOwnedByYou" | "BucketAlreadyExists")) => Ok(()),
            Err(e) => Err(unavailable(e)),
        }
    }

    /// Stores `bytes` under `key`, replacing any object there.
    pub async fn put(
        &self,
        key: &str,
        bytes: impl Into<Bytes>,
        content_type: &str,
    ) -> Result<(), StorageError> {
        let _timer = crate::metrics::s3_timer("put");
        let put = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type(content_type)
            .body(ByteStream::from(bytes.into()))
            .customize();
        let put = if self.sign_payloads { put } else { put.disable_payload_signing() };
        put.send().await.map_err(unavailable)?;
        Ok(())
    }

    /// Reads the whole object under `key`.
    pub async fn get(&self, key: &str) -> Result<Bytes, StorageError> {
        let _timer = crate::metrics::s3_timer("get");
        let output = self.get_object(key).await?;
        let data = output.body.collect().await.map_err(|e| StorageError::Unavailable(e.to_string()))?;
        Ok(data.into_bytes())
    }

    /// Reads the object under `key` as it arrives: its length, if the store said it, and its
    /// bytes.
    pub async fn get_stream(&self, key: &str) -> Result<(Option<u64>, ByteChunks), StorageError> {
        let _timer = crate::metrics::s3_timer("get");
        let output = self.get_object(key).await?;
        let len = output.content_length().and_then(|n| u64::try_from(n).ok());
        let chunks = futures::stream::unfold(output.body, |mut body| async move {
            let chunk = body.next().await?;
            Some((chunk.map_err(|e| e.to_string()), body))
        });
        Ok((len, Box::pin(chunks)))
    }

    async fn get_object(
        &self,
        key: &str,
    ) -> Result<aws_sdk_s3::operation::get_object::GetObjectOutput, StorageError> {
        self.client.get_object().bucket(&self.bucket).key(key).send().await.map_err(|e| {
            match e.as_service_error() {
                Some(GetObjectError::NoSuchKey(_)) => StorageError::NotFound(key.to_string()),
                _ => unavailable(e),
            }
        })
    }

    /// The same store and credentials, another bucket.
    pub fn in_bucket(&self, bucket: &str) -> Self {
        Self { bucket: bucket.to_string(), ..self.clone() }
    }

    /// Deletes the object under `key`; deleting one that is not there succeeds.
    pub async fn delete(&self, key: &str) -> Result<(), StorageError> {
        let _timer = crate::metrics::s3_timer("delete");
        self.client.delete_object().bucket(&self.bucket).key(key).send().await.map_err(unavailable)?;
        Ok(())
    }

    /// Every key under `prefix`.
    pub async fn list_keys(&self, prefix: &str) -> Result<Vec<String>, StorageError> {
        let mut keys = Vec::new();
        let mut pages =
            self.client.list_objects_v2().bucket(&self.bucket).prefix(prefix).into_paginator().send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(unavailable)?;
            keys.extend(page.contents().iter().filter_map(|o| o.key().map(str::to_string)));
        }
        Ok(keys)
    }

    /// Checks that the bucket answers.
    pub async fn ping(&self) -> Result<(), StorageError> {
        self.client.head_bucket().bucket(&self.bucket).send().await.map_err(unavailable)?;
        Ok(())
    }
}

/// The SDK's configuration for an S3-compatible store at `endpoint`: path-style bucket
/// addressing, static credentials, no `aws-config` lookup.
pub fn client_config(settings: &S3Settings, endpoint: &str) -> aws_sdk_s3::Config {
    let credentials = Credentials::new(
        &settings.aws_access_key_id,
        settings.aws_secret_access_key.expose_secret(),
        None,
        None,
        "ipscopy-settings",
    );
    aws_sdk_s3::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(settings.aws_region.clone()))
        .endpoint_url(endpoint)
        .force_path_style(true)
        .credentials_provider(credentials)
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(CONNECT_TIMEOUT)
                .read_timeout(FIRST_BYTE_TIMEOUT)
                .build(),
        )
        .build()
}

/// The SDK's own default for opening a connection.
const CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_millis(3_100);

/// How long a request may take from its start (its body sent, at most one part or one small
/// object) to the first byte of its answer: without it, a store that accepts a request and
/// never answers holds the job (or the upload) for ever. Generous, since completing a multipart
/// upload of gigabytes answers only once the parts are joined.
const FIRST_BYTE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(120);

/// A body's SHA-256 in its signature guards it against changes on the way; over TLS, or to a
/// store on this machine, nothing on the way can change it, and the hash costs as much CPU as
/// the store's own MD5. The CRC32 checksum the SDK adds still catches corruption.
fn signs_payloads(endpoint: &str) -> bool {
    let Ok(url) = url::Url::parse(endpoint) else { return true };
    let loopback = match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        None => false,
    };
    url.scheme() != "https" && !loopback
}

fn unavailable<E, R>(e: SdkError<E, R>) -> StorageError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    let detail = match &e {
        SdkError::ServiceError(service) => {
            let err = service.err();
            format!("{}: {}", err.code().unwrap_or("error"), err.message().unwrap_or(""))
        }
        other => format!("{other}: {:?}", std::error::Error::source(other)),
    };
    StorageError::Unavailable(detail)
}

/// The object key of an asset's master: a pure function of the asset, so a retried render
/// overwrites its own object and never leaves a second one.
pub fn asset_key(company_id: i64, asset_id: i64) -> String {
    format!("companies/{company_id}/assets/{asset_id}")
}
