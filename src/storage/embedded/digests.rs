//! Upload bodies and their digests: collecting a PUT body, and checking it against the
//! Content-MD5 and `x-amz-checksum-*` values the client sent.

use base64::{Engine as _, engine::general_purpose::STANDARD as BASE64};
use futures::StreamExt as _;
use hyper::HeaderMap;
use s3s::{
    S3Error, S3Result, StdError,
    checksum::ChecksumHasher,
    crypto::{Checksum as _, Md5},
    dto::{Checksum, StreamingBlob},
    s3_error,
    stream::ByteStream as _,
};

/// Upper bound on what a declared length may make us reserve before any byte has arrived.
const MAX_RESERVE: usize = 256 << 20;

/// Reads a whole request body into memory.
pub(super) async fn collect(mut body: StreamingBlob, declared_len: Option<i64>) -> S3Result<Vec<u8>> {
    let hint = body
        .remaining_length()
        .exact()
        .or_else(|| declared_len.and_then(|n| usize::try_from(n).ok()))
        .unwrap_or(0);
    let mut data = Vec::with_capacity(hint.min(MAX_RESERVE));
    while let Some(chunk) = body.next().await {
        data.extend_from_slice(&chunk.map_err(body_error)?);
    }
    Ok(data)
}

/// A body that fails mid-way is the client's problem unless s3s says otherwise (a bad chunk
/// signature arrives as an `S3Error`).
fn body_error(e: StdError) -> S3Error {
    match e.downcast::<S3Error>() {
        Ok(e) => *e,
        Err(e) => {
            tracing::debug!(error = %e, "embedded store: request body failed");
            s3_error!(IncompleteBody)
        }
    }
}

/// The digests a client sent for a body, to check once the body is complete.
pub(super) struct Expected {
    md5: Option<[u8; 16]>,
    checksums: Checksum,
}

/// A body that matched every digest sent for it.
pub(super) struct Verified {
    /// The hex MD5 of the body: its ETag.
    pub etag: String,
    /// The checksums the client sent, all of which matched.
    pub checksums: Checksum,
}

impl Expected {
    /// Gathers Content-MD5 and the checksum headers, taking from the aws-chunked trailers any
    /// checksum that is not a header.
    pub(super) fn new(
        content_md5: Option<&str>,
        mut checksums: Checksum,
        trailers: Option<&HeaderMap>,
    ) -> S3Result<Self> {
        let md5 = match content_md5 {
            None => None,
            Some(encoded) => {
                let bytes = BASE64.decode(encoded).map_err(|_| s3_error!(InvalidDigest))?;
                Some(<[u8; 16]>::try_from(bytes.as_slice()).map_err(|_| s3_error!(InvalidDigest))?)
            }
        };
        if let Some(trailers) = trailers {
            let fields = [
                ("x-amz-checksum-crc32", &mut checksums.checksum_crc32),
                ("x-amz-checksum-crc32c", &mut checksums.checksum_crc32c),
                ("x-amz-checksum-sha1", &mut checksums.checksum_sha1),
                ("x-amz-checksum-sha256", &mut checksums.checksum_sha256),
                ("x-amz-checksum-crc64nvme", &mut checksums.checksum_crc64nvme),
            ];
            for (name, field) in fields {
                if field.is_none()
                    && let Some(value) = trailers.get(name)
                {
                    let value =
                        value.to_str().map_err(|_| s3_error!(InvalidArgument, "malformed {name} trailer"))?;
                    *field = Some(value.to_string());
                }
            }
        }
        Ok(Self { md5, checksums })
    }

    /// Hashes `data` once for its ETag and every checksum sent; `BadDigest` on any mismatch.
    pub(super) fn verify(self, data: &[u8]) -> S3Result<Verified> {
        let expected = self.checksums;
        let mut hasher = ChecksumHasher {
            crc32: expected.checksum_crc32.as_ref().map(|_| Default::default()),
            crc32c: expected.checksum_crc32c.as_ref().map(|_| Default::default()),
            sha1: expected.checksum_sha1.as_ref().map(|_| Default::default()),
            sha256: expected.checksum_sha256.as_ref().map(|_| Default::default()),
            crc64nvme: expected.checksum_crc64nvme.as_ref().map(|_| Default::default()),
        };
        hasher.update(data);
        let md5 = Md5::checksum(data);
        if self.md5.is_some_and(|sent| sent != md5) {
            return Err(s3_error!(BadDigest, "Content-MD5 does not match the body"));
        }
        let actual = hasher.finalize();
        let pairs = [
            ("CRC32", &expected.checksum_crc32, &actual.checksum_crc32),
            ("CRC32C", &expected.checksum_crc32c, &actual.checksum_crc32c),
            ("SHA1", &expected.checksum_sha1, &actual.checksum_sha1),
            ("SHA256", &expected.checksum_sha256, &actual.checksum_sha256),
            ("CRC64NVME", &expected.checksum_crc64nvme, &actual.checksum_crc64nvme),
        ];
        for (algorithm, sent, computed) in pairs {
            if sent.is_some() && sent != computed {
                return Err(s3_error!(BadDigest, "the {algorithm} checksum does not match the body"));
            }
        }
        Ok(Verified { etag: hex(&md5), checksums: actual })
    }
}

/// Lower-case hex, the form S3 gives an MD5 ETag.
pub(super) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expected(md5: Option<&str>, crc32: Option<&str>, trailers: Option<&HeaderMap>) -> Expected {
        let checksums = Checksum { checksum_crc32: crc32.map(str::to_string), ..Default::default() };
        Expected::new(md5, checksums, trailers).expect("well-formed digests")
    }

    #[test]
    fn the_etag_is_the_hex_md5_of_the_body() {
        let verified = expected(None, None, None).verify(b"hello").unwrap();
        assert_eq!(verified.etag, "5d41402abc4b2a76b9719d911017c592");
    }

    #[test]
    fn a_matching_content_md5_and_crc32_pass_and_wrong_ones_are_bad_digests() {
        let md5 = "XUFAKrxLKna5cZ2REBfFkg==";
        let crc32 = "NhCmhg==";
        assert!(expected(Some(md5), Some(crc32), None).verify(b"hello").is_ok());
        let bad_md5 = expected(Some(md5), None, None).verify(b"hellO").err().unwrap();
        assert_eq!(*bad_md5.code(), s3s::S3ErrorCode::BadDigest);
        let bad_crc = expected(None, Some(crc32), None).verify(b"hellO").err().unwrap();
        assert_eq!(*bad_crc.code(), s3s::S3ErrorCode::BadDigest);
    }

    #[test]
    fn a_checksum_sent_as_a_trailer_is_checked() {
        let mut trailers = HeaderMap::new();
        trailers.insert("x-amz-checksum-crc32", "AAAAAA==".parse().unwrap());
        let err = expected(None, None, Some(&trailers)).verify(b"hello").err().unwrap();
        assert_eq!(*err.code(), s3s::S3ErrorCode::BadDigest);
    }

    #[test]
    fn a_content_md5_that_is_not_sixteen_bytes_is_an_invalid_digest() {
        let err = Expected::new(Some("AAAA"), Checksum::default(), None).err().unwrap();
        assert_eq!(*err.code(), s3s::S3ErrorCode::InvalidDigest);
    }
}
