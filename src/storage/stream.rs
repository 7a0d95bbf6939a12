//! Storing a body of unknown length without holding it: a body that fits in one part is one
//! PUT; a longer one is a multipart upload whose next part is read from the client while the
//! last one is sent, so memory stays at two parts whatever the body's size.

use aws_sdk_s3::{
    primitives::ByteStream,
    types::{ChecksumAlgorithm, CompletedMultipartUpload, CompletedPart},
};
use bytes::{Bytes, BytesMut};
use futures::{Stream, StreamExt};

use super::{Storage, StorageError, unavailable};

/// Size of each part of a multipart upload (S3 takes 5 MiB to 5 GiB; 10,000 parts of this
/// size are 80 GiB).
pub const PART_SIZE: usize = 8 << 20;

/// Why a streamed put failed: the body's own error, or the store's.
#[derive(Debug)]
pub enum PutStreamError<E> {
    Body(E),
    Storage(StorageError),
}

impl Storage {
    /// Stores `body` under `key`; returns its length. When the body fails, nothing is stored
    /// under `key` and any parts already sent are discarded.
    pub async fn put_stream<S, E>(
        &self,
        key: &str,
        content_type: &str,
        body: &mut S,
    ) -> Result<u64, PutStreamError<E>>
    where
        S: Stream<Item = Result<Bytes, E>> + Send + Unpin,
        E: Send,
    {
        let first = fill(body).await.map_err(PutStreamError::Body)?;
        if first.len() < PART_SIZE {
            let len = first.len() as u64;
            self.put(key, first.freeze(), content_type).await.map_err(PutStreamError::Storage)?;
            return Ok(len);
        }
        let mut upload = self.start_upload(key, content_type).await.map_err(PutStreamError::Storage)?;
        let result = self.send_parts(&mut upload, first, body).await;
        match result {
            Ok(len) => Ok(len),
            Err(e) => {
                upload.abort().await;
                Err(e)
            }
        }
    }

    async fn start_upload(&self, key: &str, content_type: &str) -> Result<Upload, StorageError> {
        let _timer = crate::metrics::s3_timer("create_multipart_upload");
        let created = self
            .client
            .create_multipart_upload()
            .bucket(&self.bucket)
            .key(key)
            .content_type(content_type)
            .checksum_algorithm(ChecksumAlgorithm::Crc32)
            .send()
            .await
            .map_err(unavailable)?;
        let id = created
            .upload_id()
            .ok_or_else(|| StorageError::Unavailable("the store started an upload without an id".into()))?;
        Ok(Upload { storage: self.clone(), key: key.to_string(), id: id.to_string(), done: false })
    }

    /// Sends `first` and the rest of `body` as parts, then completes the upload.
    async fn send_parts<S, E>(
        &self,
        upload: &mut Upload,
        first: BytesMut,
        body: &mut S,
    ) -> Result<u64, PutStreamError<E>>
    where
        S: Stream<Item = Result<Bytes, E>> + Send + Unpin,
    {
        let mut parts = Vec::new();
        let mut len = 0_u64;
        let mut part = first;
        loop {
            let number = i32::try_from(parts.len() + 1).unwrap_or(i32::MAX);
            len += part.len() as u64;
            let (sent, next) = tokio::join!(upload.part(number, part.freeze()), fill(body));
            parts.push(sent.map_err(PutStreamError::Storage)?);
            part = next.map_err(PutStreamError::Body)?;
            if part.is_empty() {
                break;
            }
        }
        upload.complete(parts).await.map_err(PutStreamError::Storage)?;
        Ok(len)
    }
}

/// Reads `body` until a part is full or the body ends.
async fn fill<S, E>(body: &mut S) -> Result<BytesMut, E>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
{
    let mut part = BytesMut::new();
    while part.len() < PART_SIZE {
        match body.next().await {
            Some(chunk) => part.extend_from_slice(&chunk?),
            None => break,
        }
    }
    Ok(part)
}

/// A multipart upload under way; dropped unfinished (its request cancelled), it is aborted in
/// the background so its parts do not linger in the store.
struct Upload {
    storage: Storage,
    key: String,
    id: String,
    done: bool,
}

impl Upload {
    async fn part(&self, number: i32, data: Bytes) -> Result<CompletedPart, StorageError> {
        let _timer = crate::metrics::s3_timer("upload_part");
        let part = self
            .storage
            .client
            .upload_part()
            .bucket(&self.storage.bucket)
            .key(&self.key)
            .upload_id(&self.id)
            .part_number(number)
            .checksum_algorithm(ChecksumAlgorithm::Crc32)
            .body(ByteStream::from(data))
            .customize();
        let part = if self.storage.sign_payloads { part } else { part.disable_payload_signing() };
        let sent = part.send().await.map_err(unavailable)?;
        Ok(CompletedPart::builder()
            .part_number(number)
            .set_e_tag(sent.e_tag().map(str::to_string))
            .set_checksum_crc32(sent.checksum_crc32().map(str::to_string))
            .build())
    }

    async fn complete(&mut self, parts: Vec<CompletedPart>) -> Result<(), StorageError> {
        let _timer = crate::metrics::s3_timer("complete_multipart_upload");
        self.storage
            .client
            .complete_multipart_upload()
            .bucket(&self.storage.bucket)
            .key(&self.key)
            .upload_id(&self.id)
            .multipart_upload(CompletedMultipartUpload::builder().set_parts(Some(parts)).build())
            .send()
            .await
            .map_err(unavailable)?;
        self.done = true;
        Ok(())
    }

    async fn abort(mut self) {
        self.done = true;
        abort(&self.storage, &self.key, &self.id).await;
    }
}

impl Drop for Upload {
    fn drop(&mut self) {
        if self.done {
            return;
        }
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            let (storage, key, id) =
                (self.storage.clone(), std::mem::take(&mut self.key), std::mem::take(&mut self.id));
            runtime.spawn(async move { abort(&storage, &key, &id).await });
        }
    }
}

/// Discards an upload's parts; a failure only leaves them to the store's own expiry.
async fn abort(storage: &Storage, key: &str, id: &str) {
    let aborted =
        storage.client.abort_multipart_upload().bucket(&storage.bucket).key(key).upload_id(id).send().await;
    if let Err(e) = aborted {
        tracing::warn!(key, error = %unavailable(e), "an abandoned multipart upload was not aborted");
    }
}
