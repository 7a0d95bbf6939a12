//! ListBuckets and ListObjectsV2 over the directory tree, run inside one `spawn_blocking` call.
//!
//! Keys come out in byte order without collecting and sorting the whole bucket: each directory's
//! entries are sorted with a directory `d` ranked as `d/` (every key below it starts so), and the
//! walk descends in that order. So it can start at the prefix's directory, skip subtrees wholly
//! before the resume point, and stop once the page is full.

use std::{fs, io, path::Path};

use s3s::{
    S3Result,
    dto::{Bucket, ETag, Object, Timestamp},
    s3_error,
};

use super::{
    disk::internal,
    objects::{TEMP_PREFIX, XATTR_ETAG},
};

/// Every bucket directory under `root`, by name.
pub(super) fn buckets(root: &Path) -> S3Result<Vec<Bucket>> {
    let entries = fs::read_dir(root).map_err(|e| internal("list buckets", root, &e))?;
    let mut buckets = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| internal("list buckets", root, &e))?;
        let Ok(name) = entry.file_name().into_string() else { continue };
        if !entry.file_type().is_ok_and(|t| t.is_dir()) || !s3s::path::check_bucket_name(&name) {
            continue;
        }
        let created = entry.metadata().and_then(|m| m.created().or_else(|_| m.modified()));
        buckets.push(Bucket {
            name: Some(name),
            creation_date: created.ok().map(Timestamp::from),
            bucket_region: None,
        });
    }
    buckets.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(buckets)
}

/// What a ListObjectsV2 request asks for.
pub(super) struct Query {
    pub prefix: String,
    pub delimiter: Option<String>,
    /// Only entries after this one (the later of start-after and the continuation token).
    pub marker: Option<String>,
    pub max_keys: usize,
}

/// One page of a listing.
#[derive(Default)]
pub(super) struct Page {
    pub objects: Vec<Object>,
    pub common_prefixes: Vec<String>,
    /// The last key or common prefix on the page: the continuation token when truncated.
    pub last: Option<String>,
    pub truncated: bool,
}

/// Lists the bucket's objects as S3 would, one page at a time.
pub(super) fn objects(bucket_dir: &Path, query: &Query) -> S3Result<Page> {
    if !bucket_dir.is_dir() {
        return Err(s3_error!(NoSuchBucket));
    }
    let mut walk = Walk { query, page: Page::default() };
    if query.max_keys == 0 {
        return Ok(walk.page);
    }
    // Start at the deepest directory the prefix names; `companies/7/as` starts at `companies/7`.
    let base = &query.prefix[..query.prefix.rfind('/').map_or(0, |i| i + 1)];
    if !base.is_empty() && base[..base.len() - 1].split('/').any(|s| !is_key_segment(s)) {
        // No stored key can start with this prefix.
        return Ok(walk.page);
    }
    walk.dir(&bucket_dir.join(base), base, None)?;
    Ok(walk.page)
}

fn is_key_segment(s: &str) -> bool {
    !s.is_empty() && s != "." && s != ".." && !s.starts_with(TEMP_PREFIX) && !s.contains('\0')
}

enum Flow {
    More,
    Stop,
}

struct Walk<'a> {
    query: &'a Query,
    page: Page,
}

struct Entry {
    name: String,
    /// The key, or for a directory the key prefix `path/` every key below it shares.
    key: String,
    is_dir: bool,
}

impl Walk<'_> {
    /// Lists the keys below `dir`, whose keys all start with `base`. `rolled_up` is set when every
    /// key below `dir` falls into that one common prefix.
    fn dir(&mut self, dir: &Path, base: &str, rolled_up: Option<&str>) -> S3Result<Flow> {
        let entries = match sorted_entries(dir, base) {
            Ok(entries) => entries,
            // The prefix names a directory that does not exist, or a concurrent DELETE removed it.
            Err(e) if matches!(e.kind(), io::ErrorKind::NotFound | io::ErrorKind::NotADirectory) => {
                return Ok(Flow::More);
            }
            Err(e) => return Err(internal("list", dir, &e)),
        };
        let prefix = self.query.prefix.as_str();
        let marker = self.query.marker.as_deref();
        for entry in entries {
            if rolled_up.is_some() && self.page.common_prefixes.last().map(String::as_str) == rolled_up {
                break;
            }
            if entry.is_dir {
                if !(entry.key.starts_with(prefix) || prefix.starts_with(&entry.key)) {
                    continue;
                }
                // Every key below sorts before the marker.
                if marker.is_some_and(|m| entry.key.as_str() < m && !m.starts_with(&entry.key)) {
                    continue;
                }
                // A delimiter inside the directory's own path is inside every key below it.
                let common = self.common_prefix(&entry.key);
                if let Some(common) = &common
                    && (marker.is_some_and(|m| common.as_str() <= m)
                        || self.page.common_prefixes.last() == Some(common))
                {
                    continue;
                }
                if let Flow::Stop = self.dir(&dir.join(&entry.name), &entry.key, common.as_deref())? {
                    return Ok(Flow::Stop);
                }
            } else if entry.key.starts_with(prefix)
                && let Flow::Stop = self.file(dir, entry)?
            {
                return Ok(Flow::Stop);
            }
        }
        Ok(Flow::More)
    }

    fn file(&mut self, dir: &Path, entry: Entry) -> S3Result<Flow> {
        let marker = self.query.marker.as_deref();
        let common = self.common_prefix(&entry.key);
        let listed = common.as_deref().unwrap_or(&entry.key);
        if marker.is_some_and(|m| listed <= m)
            || common.is_some() && self.page.common_prefixes.last() == common.as_ref()
        {
            return Ok(Flow::More);
        }
        if self.page.objects.len() + self.page.common_prefixes.len() == self.query.max_keys {
            self.page.truncated = true;
            return Ok(Flow::Stop);
        }
        let listed = listed.to_string();
        match common {
            Some(common) => self.page.common_prefixes.push(common),
            None => {
                let path = dir.join(&entry.name);
                let meta = match fs::symlink_metadata(&path) {
                    Ok(meta) => meta,
                    // Deleted since the directory was read.
                    Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Flow::More),
                    Err(e) => return Err(internal("stat", &path, &e)),
                };
                let etag =
                    xattr::get(&path, XATTR_ETAG).ok().flatten().and_then(|v| String::from_utf8(v).ok());
                self.page.objects.push(Object {
                    key: Some(entry.key),
                    size: Some(i64::try_from(meta.len()).unwrap_or(i64::MAX)),
                    last_modified: meta.modified().ok().map(Timestamp::from),
                    e_tag: etag.map(ETag::Strong),
                    ..Default::default()
                });
            }
        }
        self.page.last = Some(listed);
        Ok(Flow::More)
    }

    /// The common prefix `key` rolls up into, when the request has a delimiter.
    fn common_prefix(&self, key: &str) -> Option<String> {
        let delimiter = self.query.delimiter.as_deref()?;
        let rest = key.strip_prefix(self.query.prefix.as_str())?;
        let at = rest.find(delimiter)?;
        Some(key[..self.query.prefix.len() + at + delimiter.len()].to_string())
    }
}

/// The directory's objects and subdirectories in key order; temp files, names that are not UTF-8
/// and anything neither a file nor a directory are not objects.
fn sorted_entries(dir: &Path, base: &str) -> io::Result<Vec<Entry>> {
    let mut entries = Vec::new();
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let Ok(name) = entry.file_name().into_string() else { continue };
        if name.starts_with(TEMP_PREFIX) {
            continue;
        }
        let kind = entry.file_type()?;
        let is_dir = kind.is_dir();
        if !is_dir && !kind.is_file() {
            continue;
        }
        let key = if is_dir { format!("{base}{name}/") } else { format!("{base}{name}") };
        entries.push(Entry { name, key, is_dir });
    }
    entries.sort_unstable_by(|a, b| a.key.cmp(&b.key));
    Ok(entries)
}
