//! The embedded store's S3 backend. An object is the plain file `root/bucket/key`, with its ETag
//! and content type in extended attributes, so a request touches one file and no sidecar; and
//! each request does all its filesystem work in a single `spawn_blocking` call, because every
//! `tokio::fs` call is a thread hop of its own.

use std::{
    io,
    path::{Path, PathBuf},
};

use s3s::{S3, S3Error, S3Request, S3Response, S3Result, dto::*, s3_error};
use tokio::io::AsyncReadExt as _;
use tokio_util::io::ReaderStream;

use super::{
    digests,
    listing::{self, Query},
    multipart,
    objects::{self, Contents, TEMP_PREFIX},
};

/// What S3 answers for an object stored without a content type.
const DEFAULT_CONTENT_TYPE: &str = "binary/octet-stream";
/// S3's own ceiling on `max-keys`, and its default.
const MAX_KEYS: i32 = 1000;
/// Longest file name Linux file systems take; a longer key segment could never be stored.
const MAX_SEGMENT_LEN: usize = 255;
/// Read size for objects streamed from disk instead of read whole.
const STREAM_CHUNK: usize = 1 << 20;

/// An S3 backend that keeps each bucket as a directory of plain files under one root.
pub struct DiskStore {
    root: PathBuf,
}

impl DiskStore {
    /// A store over `root`, which must already exist.
    pub fn new(root: PathBuf) -> Self {
        Self { root }
    }

    /// Removes, in the background, temp files that a crash left behind mid-write.
    pub fn sweep_stale_temp_files(&self) {
        let root = self.root.clone();
        tokio::task::spawn_blocking(move || objects::sweep_stale_temp_files(&root));
    }

    fn bucket_dir(&self, bucket: &str) -> S3Result<PathBuf> {
        // s3s validates bucket names already; this guards the path should that ever loosen.
        if bucket.is_empty() || bucket.starts_with('.') || bucket.contains(['/', '\\', '\0']) {
            return Err(s3_error!(InvalidBucketName));
        }
        Ok(self.root.join(bucket))
    }

    /// The bucket directory and the object's path, after refusing keys that could leave the bucket.
    fn object_path(&self, bucket: &str, key: &str) -> S3Result<(PathBuf, PathBuf)> {
        check_key(key)?;
        let bucket_dir = self.bucket_dir(bucket)?;
        let path = bucket_dir.join(key);
        Ok((bucket_dir, path))
    }
}

/// Refuses keys that are not a plain relative path, or that could be mistaken for a temp file.
fn check_key(key: &str) -> S3Result<()> {
    if key.is_empty() || key.starts_with('/') || key.contains('\0') {
        return Err(s3_error!(InvalidArgument, "object keys must be non-empty relative paths"));
    }
    for segment in key.split('/') {
        if segment.is_empty() || segment == "." || segment == ".." {
            return Err(s3_error!(InvalidArgument, "object keys may not have empty, '.' or '..' segments"));
        }
        if segment.starts_with(TEMP_PREFIX) {
            return Err(s3_error!(InvalidArgument, "object key segments may not start with {TEMP_PREFIX}"));
        }
        if segment.len() > MAX_SEGMENT_LEN {
            return Err(s3_error!(KeyTooLongError, "each '/'-separated key segment is limited to 255 bytes"));
        }
    }
    Ok(())
}

/// An upload body (PutObject or UploadPart) with the digests sent for it.
struct Incoming {
    body: Option<StreamingBlob>,
    declared_len: Option<i64>,
    content_md5: Option<String>,
    checksums: Checksum,
    trailers: Option<s3s::TrailingHeaders>,
}

/// The body of a PutObject or UploadPart request, whose inputs name these fields alike.
macro_rules! incoming {
    ($input:expr, $trailers:expr) => {
        Incoming {
            body: $input.body,
            declared_len: $input.content_length,
            content_md5: $input.content_md5,
            checksums: Checksum {
                checksum_crc32: $input.checksum_crc32,
                checksum_crc32c: $input.checksum_crc32c,
                checksum_sha1: $input.checksum_sha1,
                checksum_sha256: $input.checksum_sha256,
                checksum_crc64nvme: $input.checksum_crc64nvme,
                ..Default::default()
            },
            trailers: $trailers,
        }
    };
}

/// An output struct with the checksums that were verified.
macro_rules! with_checksums {
    ($output:ident { $($field:ident: $value:expr),* $(,)? }, $checksums:expr) => {{
        let checksums = $checksums;
        $output {
            $($field: $value,)*
            checksum_crc32: checksums.checksum_crc32,
            checksum_crc32c: checksums.checksum_crc32c,
            checksum_sha1: checksums.checksum_sha1,
            checksum_sha256: checksums.checksum_sha256,
            checksum_crc64nvme: checksums.checksum_crc64nvme,
            ..Default::default()
        }
    }};
}

/// Reads a body whole, then on the blocking pool checks it against its digests and hands it,
/// with its ETag, to `store`. Returns the verified digests and the body's length.
async fn receive<F>(incoming: Incoming, store: F) -> S3Result<(digests::Verified, i64)>
where
    F: FnOnce(&[u8], &str) -> S3Result<()> + Send + 'static,
{
    let data = match incoming.body {
        Some(body) => digests::collect(body, incoming.declared_len).await?,
        None => Vec::new(),
    };
    // Trailers only arrive once the body has been read to its end.
    let trailers = incoming.trailers.and_then(|t| t.take());
    let expected =
        digests::Expected::new(incoming.content_md5.as_deref(), incoming.checksums, trailers.as_ref())?;
    let size = content_length(data.len() as u64)?;
    let verified = blocking(move || {
        // Hashing a large image is real CPU work: it stays off the async workers.
        let verified = expected.verify(&data)?;
        store(&data, &verified.etag)?;
        Ok(verified)
    })
    .await?;
    Ok((verified, size))
}

/// Runs `work` on the blocking pool: the one thread hop a request makes.
async fn blocking<T, F>(work: F) -> S3Result<T>
where
    T: Send + 'static,
    F: FnOnce() -> S3Result<T> + Send + 'static,
{
    tokio::task::spawn_blocking(work).await.map_err(|e| {
        tracing::warn!(error = %e, "embedded store: blocking task failed");
        s3_error!(InternalError)
    })?
}

/// Logs a filesystem failure and answers `InternalError`, which names no path to the client.
pub(super) fn internal(op: &'static str, path: &Path, e: &io::Error) -> S3Error {
    tracing::warn!(op, path = %path.display(), error = %e, "embedded store: filesystem call failed");
    s3_error!(InternalError)
}

fn content_length(len: u64) -> S3Result<i64> {
    i64::try_from(len).map_err(|_| s3_error!(InternalError))
}

#[async_trait::async_trait]
impl S3 for DiskStore {
    async fn create_bucket(
        &self,
        req: S3Request<CreateBucketInput>,
    ) -> S3Result<S3Response<CreateBucketOutput>> {
        let dir = self.bucket_dir(&req.input.bucket)?;
        blocking(move || match std::fs::create_dir(&dir) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Err(s3_error!(BucketAlreadyOwnedByYou)),
            Err(e) => Err(internal("create bucket", &dir, &e)),
        })
        .await?;
        Ok(S3Response::new(CreateBucketOutput::default()))
    }

    async fn head_bucket(&self, req: S3Request<HeadBucketInput>) -> S3Result<S3Response<HeadBucketOutput>> {
        let dir = self.bucket_dir(&req.input.bucket)?;
        blocking(move || if dir.is_dir() { Ok(()) } else { Err(s3_error!(NoSuchBucket)) }).await?;
        Ok(S3Response::new(HeadBucketOutput::default()))
    }

    async fn list_buckets(
        &self,
        _req: S3Request<ListBucketsInput>,
    ) -> S3Result<S3Response<ListBucketsOutput>> {
        let root = self.root.clone();
        let buckets = blocking(move || listing::buckets(&root)).await?;
        Ok(S3Response::new(ListBucketsOutput { buckets: Some(buckets), ..Default::default() }))
    }

    async fn put_object(&self, req: S3Request<PutObjectInput>) -> S3Result<S3Response<PutObjectOutput>> {
        let S3Request { input, trailing_headers, .. } = req;
        // Ignoring these would silently turn a conditional or appending write into an overwrite.
        if input.if_match.is_some() || input.if_none_match.is_some() || input.write_offset_bytes.is_some() {
            return Err(s3_error!(NotImplemented, "conditional and appending writes are not supported"));
        }
        let (bucket_dir, path) = self.object_path(&input.bucket, &input.key)?;
        let content_type = input.content_type.clone();
        let (verified, size) = receive(incoming!(input, trailing_headers), move |data, etag| {
            objects::write(&bucket_dir, &path, data, content_type.as_deref(), etag)
        })
        .await?;
        Ok(S3Response::new(with_checksums!(
            PutObjectOutput { e_tag: Some(ETag::Strong(verified.etag)), size: Some(size) },
            verified.checksums
        )))
    }

    async fn create_multipart_upload(
        &self,
        req: S3Request<CreateMultipartUploadInput>,
    ) -> S3Result<S3Response<CreateMultipartUploadOutput>> {
        let input = req.input;
        let (bucket_dir, _) = self.object_path(&input.bucket, &input.key)?;
        let (key, content_type) = (input.key.clone(), input.content_type);
        let upload_id =
            blocking(move || multipart::create(&bucket_dir, &key, content_type.as_deref())).await?;
        Ok(S3Response::new(CreateMultipartUploadOutput {
            bucket: Some(input.bucket),
            key: Some(input.key),
            upload_id: Some(upload_id),
            checksum_algorithm: input.checksum_algorithm,
            ..Default::default()
        }))
    }

    async fn upload_part(&self, req: S3Request<UploadPartInput>) -> S3Result<S3Response<UploadPartOutput>> {
        let S3Request { input, trailing_headers, .. } = req;
        let (bucket_dir, _) = self.object_path(&input.bucket, &input.key)?;
        let (upload_id, key, part_number) = (input.upload_id.clone(), input.key.clone(), input.part_number);
        let (verified, _) = receive(incoming!(input, trailing_headers), move |data, etag| {
            multipart::write_part(&bucket_dir, &upload_id, &key, part_number, data, etag)
        })
        .await?;
        Ok(S3Response::new(with_checksums!(
            UploadPartOutput { e_tag: Some(ETag::Strong(verified.etag)) },
            verified.checksums
        )))
    }

    async fn complete_multipart_upload(
        &self,
        req: S3Request<CompleteMultipartUploadInput>,
    ) -> S3Result<S3Response<CompleteMultipartUploadOutput>> {
        let input = req.input;
        if input.if_match.is_some() || input.if_none_match.is_some() {
            return Err(s3_error!(NotImplemented, "conditional writes are not supported"));
        }
        let (bucket_dir, path) = self.object_path(&input.bucket, &input.key)?;
        let parts = input
            .multipart_upload
            .and_then(|upload| upload.parts)
            .unwrap_or_default()
            .into_iter()
            .map(|part| match (part.part_number, part.e_tag) {
                (Some(number), Some(etag)) => Ok((number, etag.into_value())),
                _ => Err(s3_error!(InvalidPart, "every listed part needs its PartNumber and ETag")),
            })
            .collect::<S3Result<Vec<_>>>()?;
        let (upload_id, key) = (input.upload_id, input.key.clone());
        let etag =
            blocking(move || multipart::complete(&bucket_dir, &path, &upload_id, &key, &parts)).await?;
        Ok(S3Response::new(CompleteMultipartUploadOutput {
            bucket: Some(input.bucket),
            key: Some(input.key),
            e_tag: Some(ETag::Strong(etag)),
            ..Default::default()
        }))
    }

    async fn abort_multipart_upload(
        &self,
        req: S3Request<AbortMultipartUploadInput>,
    ) -> S3Result<S3Response<AbortMultipartUploadOutput>> {
        let input = req.input;
        let (bucket_dir, _) = self.object_path(&input.bucket, &input.key)?;
        blocking(move || multipart::abort(&bucket_dir, &input.upload_id, &input.key)).await?;
        Ok(S3Response::new(AbortMultipartUploadOutput::default()))
    }

    async fn get_object(&self, req: S3Request<GetObjectInput>) -> S3Result<S3Response<GetObjectOutput>> {
        let input = req.input;
        let (bucket_dir, path) = self.object_path(&input.bucket, &input.key)?;
        let range = input.range;
        let found = blocking(move || objects::read(&bucket_dir, &path, range)).await?;
        let content_range =
            found.range.as_ref().map(|r| format!("bytes {}-{}/{}", r.start, r.end - 1, found.info.len));
        let (body, length) = match found.contents {
            Contents::Bytes(bytes) => {
                let length = bytes.len() as u64;
                (StreamingBlob::from(s3s::Body::from(bytes)), length)
            }
            Contents::File(file, length) => {
                let reader = tokio::fs::File::from_std(file).take(length);
                (StreamingBlob::wrap(ReaderStream::with_capacity(reader, STREAM_CHUNK)), length)
            }
        };
        let info = found.info;
        Ok(S3Response::new(GetObjectOutput {
            body: Some(body),
            content_length: Some(content_length(length)?),
            content_range,
            accept_ranges: Some("bytes".to_string()),
            content_type: Some(info.content_type.unwrap_or_else(|| DEFAULT_CONTENT_TYPE.to_string())),
            e_tag: Some(ETag::Strong(info.etag)),
            last_modified: Some(Timestamp::from(info.modified)),
            ..Default::default()
        }))
    }

    async fn head_object(&self, req: S3Request<HeadObjectInput>) -> S3Result<S3Response<HeadObjectOutput>> {
        let input = req.input;
        let (bucket_dir, path) = self.object_path(&input.bucket, &input.key)?;
        let info = blocking(move || objects::stat(&bucket_dir, &path)).await?;
        Ok(S3Response::new(HeadObjectOutput {
            content_length: Some(content_length(info.len)?),
            accept_ranges: Some("bytes".to_string()),
            content_type: Some(info.content_type.unwrap_or_else(|| DEFAULT_CONTENT_TYPE.to_string())),
            e_tag: Some(ETag::Strong(info.etag)),
            last_modified: Some(Timestamp::from(info.modified)),
            ..Default::default()
        }))
    }

    async fn delete_object(
        &self,
        req: S3Request<DeleteObjectInput>,
    ) -> S3Result<S3Response<DeleteObjectOutput>> {
        let input = req.input;
        let (bucket_dir, path) = self.object_path(&input.bucket, &input.key)?;
        blocking(move || objects::delete(&bucket_dir, &path)).await?;
        Ok(S3Response::new(DeleteObjectOutput::default()))
    }

    async fn list_objects_v2(
        &self,
        req: S3Request<ListObjectsV2Input>,
    ) -> S3Result<S3Response<ListObjectsV2Output>> {
        let input = req.input;
        let bucket_dir = self.bucket_dir(&input.bucket)?;
        let max_keys = match input.max_keys {
            None => MAX_KEYS,
            Some(n) if n < 0 => return Err(s3_error!(InvalidArgument, "max-keys must not be negative")),
            Some(n) => n.min(MAX_KEYS),
        };
        // The token is the last key or common prefix of the previous page; resume after the later
        // of it and start-after.
        let marker = match (input.continuation_token.clone(), input.start_after.clone()) {
            (Some(token), Some(after)) => Some(token.max(after)),
            (token, after) => token.or(after),
        };
        let query = Query {
            prefix: input.prefix.clone().unwrap_or_default(),
            delimiter: input.delimiter.clone().filter(|d| !d.is_empty()),
            marker,
            max_keys: usize::try_from(max_keys).unwrap_or_default(),
        };
        let page = blocking(move || listing::objects(&bucket_dir, &query)).await?;
        let key_count = i32::try_from(page.objects.len() + page.common_prefixes.len()).unwrap_or(i32::MAX);
        let next_continuation_token = if page.truncated { page.last } else { None };
        Ok(S3Response::new(ListObjectsV2Output {
            name: Some(input.bucket),
            prefix: input.prefix,
            delimiter: input.delimiter,
            max_keys: Some(max_keys),
            key_count: Some(key_count),
            continuation_token: input.continuation_token,
            start_after: input.start_after,
            is_truncated: Some(page.truncated),
            next_continuation_token,
            contents: Some(page.objects),
            common_prefixes: (!page.common_prefixes.is_empty()).then(|| {
                page.common_prefixes.into_iter().map(|p| CommonPrefix { prefix: Some(p) }).collect()
            }),
            ..Default::default()
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::check_key;

    #[test]
    fn keys_that_could_leave_the_bucket_or_shadow_temp_files_are_refused() {
        for key in [
            "",
            "/abs",
            "a/../b",
            "..",
            "a/./b",
            "a//b",
            "a/",
            "nul\0byte",
            ".ipscopy-part-1",
            "a/.ipscopy-part-x",
        ] {
            assert!(check_key(key).is_err(), "{key:?} was accepted");
        }
        assert!(check_key(&"x".repeat(256)).is_err());
    }

    #[test]
    fn ordinary_nested_keys_are_accepted() {
        for key in ["a", "companies/1/assets/2", "..a/b..", ".hidden/x", "a b/ç"] {
            assert!(check_key(key).is_ok(), "{key:?} was refused");
        }
    }
}
