//! Multipart uploads, so a large master streams in part by part instead of as one body held in
//! memory. An upload is a directory `bucket/.ipscopy-part-upload-<id>/` holding the key it is
//! for, its content type and one file per part; completing it copies the parts in order into a
//! temp file beside the object and renames that into place, as a PUT does. The directory's name
//! starts with the temp prefix, so listings skip it and no key can reach it.

use std::{
    fs::{self, File},
    io::{self, Write as _},
    path::{Path, PathBuf},
};

use s3s::{S3Error, S3Result, crypto::Checksum as _, crypto::Md5, s3_error};
use xattr::FileExt as _;

use super::{
    digests::hex,
    disk::internal,
    objects::{self, RemoveOnDrop, TEMP_PREFIX, XATTR_ETAG},
};

/// S3's floor on every part but the last.
const MIN_PART_SIZE: u64 = 5 << 20;
/// S3's ceiling on part numbers.
const MAX_PART_NUMBER: i32 = 10_000;
const KEY_FILE: &str = "key";
const CONTENT_TYPE_FILE: &str = "content-type";

fn upload_dir(bucket_dir: &Path, upload_id: &str) -> S3Result<PathBuf> {
    // The id becomes a path segment: only ids we could have made are looked up.
    if upload_id.len() != 32 || !upload_id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(s3_error!(NoSuchUpload));
    }
    Ok(bucket_dir.join(format!("{TEMP_PREFIX}upload-{upload_id}")))
}

fn part_file(dir: &Path, part_number: i32) -> PathBuf {
    dir.join(format!("{part_number:05}"))
}

/// Starts an upload for `key`; returns its id.
pub(super) fn create(bucket_dir: &Path, key: &str, content_type: Option<&str>) -> S3Result<String> {
    if !bucket_dir.is_dir() {
        return Err(s3_error!(NoSuchBucket));
    }
    let upload_id = format!("{:032x}", rand::random::<u128>());
    let dir = upload_dir(bucket_dir, &upload_id)?;
    fs::create_dir(&dir).map_err(|e| internal("create upload", &dir, &e))?;
    let mut written = fs::write(dir.join(KEY_FILE), key);
    if let (Ok(()), Some(content_type)) = (&written, content_type) {
        written = fs::write(dir.join(CONTENT_TYPE_FILE), content_type);
    }
    if let Err(e) = written {
        let _ = fs::remove_dir_all(&dir);
        return Err(internal("create upload", &dir, &e));
    }
    Ok(upload_id)
}

/// The upload's directory, once it is known to exist and to be for `key`.
fn open_upload(bucket_dir: &Path, upload_id: &str, key: &str) -> S3Result<PathBuf> {
    let dir = upload_dir(bucket_dir, upload_id)?;
    match fs::read_to_string(dir.join(KEY_FILE)) {
        Ok(stored) if stored == key => Ok(dir),
        Ok(_) => Err(s3_error!(NoSuchUpload)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Err(s3_error!(NoSuchUpload)),
        Err(e) => Err(internal("read upload", &dir, &e)),
    }
}

/// Stores one part, replacing an earlier one of the same number.
pub(super) fn write_part(
    bucket_dir: &Path,
    upload_id: &str,
    key: &str,
    part_number: i32,
    data: &[u8],
    etag: &str,
) -> S3Result<()> {
    if !(1..=MAX_PART_NUMBER).contains(&part_number) {
        return Err(s3_error!(InvalidArgument, "part numbers run from 1 to {MAX_PART_NUMBER}"));
    }
    let dir = open_upload(bucket_dir, upload_id, key)?;
    let temp = dir.join(objects::temp_name());
    let cleanup = RemoveOnDrop(&temp);
    let mut file = File::options().write(true).create_new(true).open(&temp).map_err(|e| {
        if e.kind() == io::ErrorKind::NotFound {
            s3_error!(NoSuchUpload)
        } else {
            internal("create part", &temp, &e)
        }
    })?;
    file.write_all(data).map_err(|e| internal("write part", &temp, &e))?;
    objects::set_xattrs(&file, None, etag);
    drop(file);
    let target = part_file(&dir, part_number);
    fs::rename(&temp, &target).map_err(|e| internal("rename part", &target, &e))?;
    std::mem::forget(cleanup);
    Ok(())
}

/// Joins the listed parts, in order, into the object `target`; returns the object's ETag (S3's
/// form for multipart objects: the MD5 of the parts' MD5s, a dash, the part count).
pub(super) fn complete(
    bucket_dir: &Path,
    target: &Path,
    upload_id: &str,
    key: &str,
    parts: &[(i32, String)],
) -> S3Result<String> {
    let dir = open_upload(bucket_dir, upload_id, key)?;
    if parts.is_empty() {
        return Err(s3_error!(MalformedXML, "a multipart upload completes with at least one part"));
    }
    if parts.windows(2).any(|w| w[0].0 >= w[1].0) {
        return Err(s3_error!(InvalidPartOrder, "parts must be listed in ascending order of part number"));
    }
    let mut files = Vec::with_capacity(parts.len());
    let mut digests = Vec::with_capacity(parts.len() * 16);
    for (i, (number, sent_etag)) in parts.iter().enumerate() {
        let path = part_file(&dir, *number);
        let file = File::open(&path).map_err(|e| missing_part(*number, &path, &e))?;
        let len = file.metadata().map_err(|e| internal("stat part", &path, &e))?.len();
        if i + 1 < parts.len() && len < MIN_PART_SIZE {
            return Err(s3_error!(
                EntityTooSmall,
                "part {number} is smaller than the 5 MiB every part but the last needs"
            ));
        }
        let etag = match objects::xattr_string(file.get_xattr(XATTR_ETAG)) {
            Some(etag) => etag,
            None => objects::md5_of(&file, len).map_err(|e| internal("read part", &path, &e))?,
        };
        if sent_etag.trim_matches('"') != etag {
            return Err(s3_error!(InvalidPart, "part {number} has a different ETag than the one listed"));
        }
        digests.extend(from_hex(&etag).ok_or_else(|| s3_error!(InternalError))?);
        files.push((path, file));
    }
    let etag = format!("{}-{}", hex(&Md5::checksum(&digests)), parts.len());
    let content_type = fs::read_to_string(dir.join(CONTENT_TYPE_FILE)).ok();
    objects::write_with(bucket_dir, target, content_type.as_deref(), &etag, |out| {
        for (_, mut file) in files {
            io::copy(&mut file, out)?;
        }
        Ok(())
    })?;
    remove(&dir);
    Ok(etag)
}

/// Drops an upload and its parts.
pub(super) fn abort(bucket_dir: &Path, upload_id: &str, key: &str) -> S3Result<()> {
    let dir = open_upload(bucket_dir, upload_id, key)?;
    remove(&dir);
    Ok(())
}

/// A leftover directory is only disk: the start-up sweep removes it later.
fn remove(dir: &Path) {
    if let Err(e) = fs::remove_dir_all(dir) {
        tracing::warn!(dir = %dir.display(), error = %e, "embedded store: an upload's parts were not removed");
    }
}

fn missing_part(number: i32, path: &Path, e: &io::Error) -> S3Error {
    if e.kind() == io::ErrorKind::NotFound {
        s3_error!(InvalidPart, "part {number} was never uploaded")
    } else {
        internal("open part", path, e)
    }
}

fn from_hex(s: &str) -> Option<Vec<u8>> {
    (0..s.len()).step_by(2).map(|i| s.get(i..i + 2).and_then(|b| u8::from_str_radix(b, 16).ok())).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bucket() -> (tempfile::TempDir, PathBuf) {
        let root = tempfile::tempdir().unwrap();
        let bucket = root.path().join("b");
        fs::create_dir(&bucket).unwrap();
        (root, bucket)
    }

    fn md5(data: &[u8]) -> String {
        hex(&Md5::checksum(data))
    }

    #[test]
    fn parts_join_in_order_into_one_object_with_the_multipart_etag() {
        let (_root, bucket) = bucket();
        let id = create(&bucket, "a/b", Some("image/png")).unwrap();
        let first = vec![1_u8; MIN_PART_SIZE as usize];
        write_part(&bucket, &id, "a/b", 2, b"tail", &md5(b"tail")).unwrap();
        write_part(&bucket, &id, "a/b", 1, &first, &md5(&first)).unwrap();

        let parts = [(1, md5(&first)), (2, format!("\"{}\"", md5(b"tail")))];
        let etag = complete(&bucket, &bucket.join("a/b"), &id, "a/b", &parts).unwrap();

        let stored = fs::read(bucket.join("a/b")).unwrap();
        assert_eq!(stored.len(), first.len() + 4);
        assert!(stored.ends_with(b"tail"));
        assert!(etag.ends_with("-2"), "{etag}");
        assert_eq!(fs::read_dir(&bucket).unwrap().count(), 1, "the upload's directory is gone");
    }

    #[test]
    fn a_small_part_before_the_last_a_wrong_etag_or_a_missing_part_is_refused() {
        let (_root, bucket) = bucket();
        let id = create(&bucket, "k", None).unwrap();
        write_part(&bucket, &id, "k", 1, b"small", &md5(b"small")).unwrap();
        write_part(&bucket, &id, "k", 2, b"last", &md5(b"last")).unwrap();
        let target = bucket.join("k");

        let too_small = complete(&bucket, &target, &id, "k", &[(1, md5(b"small")), (2, md5(b"last"))]);
        let wrong_etag = complete(&bucket, &target, &id, "k", &[(2, md5(b"other"))]);
        let missing = complete(&bucket, &target, &id, "k", &[(3, md5(b"last"))]);

        assert_eq!(*too_small.unwrap_err().code(), s3s::S3ErrorCode::EntityTooSmall);
        assert_eq!(*wrong_etag.unwrap_err().code(), s3s::S3ErrorCode::InvalidPart);
        assert_eq!(*missing.unwrap_err().code(), s3s::S3ErrorCode::InvalidPart);
        assert!(!target.exists());
    }

    #[test]
    fn an_aborted_upload_leaves_nothing_and_is_gone_for_its_parts() {
        let (_root, bucket) = bucket();
        let id = create(&bucket, "k", None).unwrap();
        write_part(&bucket, &id, "k", 1, b"x", &md5(b"x")).unwrap();

        abort(&bucket, &id, "k").unwrap();
        let late = write_part(&bucket, &id, "k", 2, b"y", &md5(b"y"));

        assert_eq!(*late.unwrap_err().code(), s3s::S3ErrorCode::NoSuchUpload);
        assert_eq!(fs::read_dir(&bucket).unwrap().count(), 0);
    }

    #[test]
    fn an_upload_id_for_another_key_or_not_ours_is_no_such_upload() {
        let (_root, bucket) = bucket();
        let id = create(&bucket, "k", None).unwrap();

        let other_key = write_part(&bucket, &id, "other", 1, b"x", &md5(b"x"));
        let forged = abort(&bucket, "../../etc", "k");

        assert_eq!(*other_key.unwrap_err().code(), s3s::S3ErrorCode::NoSuchUpload);
        assert_eq!(*forged.unwrap_err().code(), s3s::S3ErrorCode::NoSuchUpload);
    }
}
