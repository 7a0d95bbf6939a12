//! Blocking filesystem work on single objects. Each function is the whole of one request's
//! disk access and runs inside one `spawn_blocking` call.

use std::{
    fs::{self, File},
    io::{self, Seek as _, SeekFrom, Write as _},
    ops::Range,
    os::unix::fs::FileExt as _,
    path::Path,
    sync::{
        OnceLock,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    time::{Duration, SystemTime},
};

use bytes::Bytes;
use s3s::{S3Error, S3Result, crypto::Checksum as _, crypto::Md5, s3_error};
use xattr::FileExt as _;

use super::{digests::hex, disk::internal};

/// Name prefix of the temp files a PUT writes before renaming them over the object. Keys may not
/// have a segment starting with it, so a temp file is never mistaken for an object.
pub(super) const TEMP_PREFIX: &str = ".ipscopy-part-";
pub(super) const XATTR_ETAG: &str = "user.ipscopy.etag";
const XATTR_CONTENT_TYPE: &str = "user.ipscopy.content-type";
/// Objects up to this size are read whole into memory; larger ones are streamed.
const READ_WHOLE_LIMIT: u64 = 16 << 20;
/// Temp files older than this at startup belong to a write that will never finish.
const STALE_TEMP_AGE: Duration = Duration::from_secs(3600);

/// An object's metadata.
pub(super) struct Info {
    pub len: u64,
    pub modified: SystemTime,
    /// Hex MD5 of the whole object.
    pub etag: String,
    pub content_type: Option<String>,
}

/// The bytes a GET returns.
pub(super) enum Contents {
    Bytes(Bytes),
    /// An open file positioned at the first byte to send, and how many bytes to send.
    File(File, u64),
}

/// An object read for a GET.
pub(super) struct Found {
    pub info: Info,
    /// The byte range served, when the request asked for one.
    pub range: Option<Range<u64>>,
    pub contents: Contents,
}

/// Writes an object through a temp file in its own directory and renames it into place, so a
/// reader sees the old object or the new one, never part of one. There is no fsync (s3s-fs has
/// none either): an object written just before a power cut may be lost or empty, which the
/// worker's retry of an unfinished job repairs.
pub(super) fn write(
    bucket_dir: &Path,
    target: &Path,
    data: &[u8],
    content_type: Option<&str>,
    etag: &str,
) -> S3Result<()> {
    write_with(bucket_dir, target, content_type, etag, |file| file.write_all(data))
}

/// [`write`] with the contents written by `fill` (a multipart upload's parts, copied in turn).
pub(super) fn write_with(
    bucket_dir: &Path,
    target: &Path,
    content_type: Option<&str>,
    etag: &str,
    fill: impl FnOnce(&mut File) -> io::Result<()>,
) -> S3Result<()> {
    let Some(dir) = target.parent() else { return Err(s3_error!(InternalError)) };
    let temp = dir.join(temp_name());
    let mut file = create_temp(bucket_dir, dir, &temp)?;
    let cleanup = RemoveOnDrop(&temp);
    fill(&mut file).map_err(|e| internal("write", &temp, &e))?;
    set_xattrs(&file, content_type, etag);
    drop(file);
    match fs::rename(&temp, target) {
        Ok(()) => {
            std::mem::forget(cleanup);
            Ok(())
        }
        Err(e) if e.kind() == io::ErrorKind::IsADirectory => Err(key_collision()),
        Err(e) => Err(internal("rename", target, &e)),
    }
}

/// Unique without a syscall: a per-process random part and a counter.
pub(super) fn temp_name() -> String {
    static PROCESS: OnceLock<u64> = OnceLock::new();
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let process = PROCESS.get_or_init(rand::random::<u64>);
    format!("{TEMP_PREFIX}{process:016x}-{}", COUNTER.fetch_add(1, Ordering::Relaxed))
}

/// Creates the temp file, making its directory only when the first attempt shows it is missing:
/// most PUTs land in a directory that already exists.
fn create_temp(bucket_dir: &Path, dir: &Path, temp: &Path) -> S3Result<File> {
    // A DELETE that empties the directory removes it; between our create_dir_all and open, it
    // may do so again, hence a few attempts.
    for _ in 0..4 {
        match File::options().write(true).create_new(true).open(temp) {
            Ok(file) => return Ok(file),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                if !bucket_dir.is_dir() {
                    return Err(s3_error!(NoSuchBucket));
                }
                match fs::create_dir_all(dir) {
                    Ok(()) => {}
                    Err(e) if is_collision(&e) => return Err(key_collision()),
                    Err(e) => return Err(internal("create directory", dir, &e)),
                }
            }
            Err(e) if is_collision(&e) => return Err(key_collision()),
            Err(e) => return Err(internal("create", temp, &e)),
        }
    }
    tracing::warn!(dir = %dir.display(), "embedded store: object directory kept disappearing");
    Err(s3_error!(InternalError))
}

/// A path segment is a file where the key needs a directory, or the other way round.
fn is_collision(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::NotADirectory | io::ErrorKind::AlreadyExists | io::ErrorKind::IsADirectory
    )
}

/// On a file system an object cannot also be a "directory" of other keys, as it can in S3.
fn key_collision() -> S3Error {
    s3_error!(
        InvalidRequest,
        "the key collides with another key's path: 'a' and 'a/b' cannot both exist here"
    )
}

pub(super) struct RemoveOnDrop<'a>(pub &'a Path);

impl Drop for RemoveOnDrop<'_> {
    fn drop(&mut self) {
        let _ = fs::remove_file(self.0);
    }
}

/// Best effort: without xattrs an object still works, its ETag recomputed on read and its content
/// type the S3 default.
pub(super) fn set_xattrs(file: &File, content_type: Option<&str>, etag: &str) {
    static WARNED: AtomicBool = AtomicBool::new(false);
    let mut result = file.set_xattr(XATTR_ETAG, etag.as_bytes());
    if let (Ok(()), Some(content_type)) = (&result, content_type) {
        result = file.set_xattr(XATTR_CONTENT_TYPE, content_type.as_bytes());
    }
    if let Err(e) = result
        && !WARNED.swap(true, Ordering::Relaxed)
    {
        tracing::warn!(error = %e, "embedded store: cannot store object metadata in extended attributes; \
            ETags will be recomputed on read and content types lost");
    }
}

pub(super) fn xattr_string(value: io::Result<Option<Vec<u8>>>) -> Option<String> {
    value.ok().flatten().and_then(|v| String::from_utf8(v).ok())
}

/// The answer for a path that does not exist: the bucket or the key is missing.
fn missing(bucket_dir: &Path) -> S3Error {
    if bucket_dir.is_dir() { s3_error!(NoSuchKey) } else { s3_error!(NoSuchBucket) }
}

fn is_not_found(e: &io::Error) -> bool {
    matches!(e.kind(), io::ErrorKind::NotFound | io::ErrorKind::NotADirectory)
}

/// Reads an object, or the slice of it `range` asks for.
pub(super) fn read(bucket_dir: &Path, path: &Path, range: Option<s3s::dto::Range>) -> S3Result<Found> {
    let file = match File::open(path) {
        Ok(file) => file,
        Err(e) if is_not_found(&e) => return Err(missing(bucket_dir)),
        Err(e) => return Err(internal("open", path, &e)),
    };
    let meta = file.metadata().map_err(|e| internal("stat", path, &e))?;
    if !meta.is_file() {
        return Err(s3_error!(NoSuchKey));
    }
    let len = meta.len();
    let modified = meta.modified().map_err(|e| internal("stat", path, &e))?;
    let range = range.map(|r| r.check(len)).transpose()?;
    let span = range.clone().unwrap_or(0..len);
    let count = span.end - span.start;
    let stored_etag = xattr_string(file.get_xattr(XATTR_ETAG));
    let content_type = xattr_string(file.get_xattr(XATTR_CONTENT_TYPE));
    // Objects are replaced by rename, never rewritten, so the open file cannot change under us.
    let (contents, etag) = if count <= READ_WHOLE_LIMIT {
        let mut buf = vec![0; usize::try_from(count).map_err(|_| s3_error!(InternalError))?];
        file.read_exact_at(&mut buf, span.start).map_err(|e| internal("read", path, &e))?;
        let etag = match stored_etag {
            Some(etag) => etag,
            None if range.is_none() => hex(&Md5::checksum(&buf)),
            None => md5_of(&file, len).map_err(|e| internal("read", path, &e))?,
        };
        (Contents::Bytes(Bytes::from(buf)), etag)
    } else {
        let etag = match stored_etag {
            Some(etag) => etag,
            None => md5_of(&file, len).map_err(|e| internal("read", path, &e))?,
        };
        let mut file = file;
        file.seek(SeekFrom::Start(span.start)).map_err(|e| internal("seek", path, &e))?;
        (Contents::File(file, count), etag)
    };
    Ok(Found { info: Info { len, modified, etag, content_type }, range, contents })
}

/// An object's metadata without opening it: a stat and the xattrs.
pub(super) fn stat(bucket_dir: &Path, path: &Path) -> S3Result<Info> {
    let meta = match fs::metadata(path) {
        Ok(meta) => meta,
        Err(e) if is_not_found(&e) => return Err(missing(bucket_dir)),
        Err(e) => return Err(internal("stat", path, &e)),
    };
    if !meta.is_file() {
        return Err(s3_error!(NoSuchKey));
    }
    let len = meta.len();
    let modified = meta.modified().map_err(|e| internal("stat", path, &e))?;
    let etag = match xattr_string(xattr::get(path, XATTR_ETAG)) {
        Some(etag) => etag,
        None => {
            let file = File::open(path).map_err(|e| internal("open", path, &e))?;
            md5_of(&file, len).map_err(|e| internal("read", path, &e))?
        }
    };
    let content_type = xattr_string(xattr::get(path, XATTR_CONTENT_TYPE));
    Ok(Info { len, modified, etag, content_type })
}

pub(super) fn md5_of(file: &File, len: u64) -> io::Result<String> {
    let mut md5 = Md5::new();
    let mut buf = vec![0; 1 << 20];
    let mut offset = 0;
    while offset < len {
        let n = file.read_at(&mut buf, offset)?;
        if n == 0 {
            break;
        }
        md5.update(&buf[..n]);
        offset += n as u64;
    }
    Ok(hex(&md5.finalize()))
}

/// Deletes an object; a missing one is not an error, as in S3. Directories the deletion leaves
/// empty go too, so a later PUT of a key equal to their path does not collide with them.
pub(super) fn delete(bucket_dir: &Path, path: &Path) -> S3Result<()> {
    match fs::remove_file(path) {
        Ok(()) => {
            let mut dir = path.parent();
            while let Some(d) = dir.filter(|d| *d != bucket_dir && d.starts_with(bucket_dir)) {
                if fs::remove_dir(d).is_err() {
                    break;
                }
                dir = d.parent();
            }
            Ok(())
        }
        Err(e) if is_not_found(&e) || e.kind() == io::ErrorKind::IsADirectory => {
            if bucket_dir.is_dir() {
                Ok(())
            } else {
                Err(s3_error!(NoSuchBucket))
            }
        }
        Err(e) => Err(internal("remove", path, &e)),
    }
}

/// Removes the temp files that writes interrupted by a crash left anywhere under `root`. Recent
/// ones are kept: another process sharing the directory may still be writing them.
pub(super) fn sweep_stale_temp_files(root: &Path) {
    let mut dirs = vec![root.to_path_buf()];
    let mut removed = 0_u64;
    while let Some(dir) = dirs.pop() {
        let Ok(entries) = fs::read_dir(&dir) else { continue };
        for entry in entries.flatten() {
            let Ok(kind) = entry.file_type() else { continue };
            let stale = || {
                entry
                    .metadata()
                    .and_then(|m| m.modified())
                    .is_ok_and(|t| t.elapsed().is_ok_and(|age| age > STALE_TEMP_AGE))
            };
            let temp = entry.file_name().to_string_lossy().starts_with(TEMP_PREFIX);
            if kind.is_dir() && temp {
                // A multipart upload that was neither completed nor aborted.
                if stale() && fs::remove_dir_all(entry.path()).is_ok() {
                    removed += 1;
                }
            } else if kind.is_dir() {
                dirs.push(entry.path());
            } else if kind.is_file() && temp && stale() && fs::remove_file(entry.path()).is_ok() {
                removed += 1;
            }
        }
    }
    if removed > 0 {
        tracing::info!(removed, "embedded store: removed temp files left by interrupted writes");
    }
}
