//! The worker's cache of master bytes, so a batch of copies of one master fetches it once.
//!
//! Keyed by object key alone, which is sound because a master's object is never rewritten: a
//! new master (an upload with `overwrite`) goes under a new, versioned key, and a copy's key is
//! written only while its asset is pending, when nothing can copy from it. Concurrent misses of
//! one key share one GET. The bound is on bytes held; a master larger than the whole bound is
//! fetched and used but not kept.

use std::sync::{
    Arc,
    atomic::{AtomicU64, Ordering},
};

use bytes::Bytes;

use crate::storage::{Storage, StorageError};

/// Masters held for reuse, up to a number of bytes.
#[derive(Clone)]
pub struct SourceCache {
    cache: Option<moka::future::Cache<String, Bytes>>,
    stats: Arc<Stats>,
}

/// What a cache has done since it was made.
#[derive(Debug, Default)]
pub struct Stats {
    pub hits: AtomicU64,
    pub misses: AtomicU64,
}

impl Stats {
    /// Counts one lookup, a miss or a hit.
    pub(super) fn record(&self, miss: bool) {
        let counter = if miss { &self.misses } else { &self.hits };
        counter.fetch_add(1, Ordering::Relaxed);
    }
}

impl SourceCache {
    /// A cache holding at most `max_bytes` of masters; 0 turns it off (every copy fetches).
    pub fn new(max_bytes: u64) -> Self {
        let cache = (max_bytes > 0).then(|| {
            moka::future::Cache::builder()
                .max_capacity(max_bytes)
                .weigher(|_key: &String, bytes: &Bytes| u32::try_from(bytes.len()).unwrap_or(u32::MAX))
                .build()
        });
        Self { cache, stats: Arc::default() }
    }

    /// The bytes of the object under `key`, from the cache or the store.
    pub async fn get(&self, storage: &Storage, key: &str) -> Result<Bytes, StorageError> {
        let Some(cache) = &self.cache else {
            self.count(true);
            return storage.get(key).await;
        };
        let fetched = AtomicU64::new(0);
        let result = cache
            .try_get_with_by_ref(key, async {
                fetched.store(1, Ordering::Relaxed);
                storage.get(key).await
            })
            .await;
        self.count(fetched.load(Ordering::Relaxed) == 1);
        crate::metrics::source_cache_bytes(cache.weighted_size());
        // The loader's error is shared by every caller that waited on it.
        result.map_err(|e| match e.as_ref() {
            StorageError::NotFound(key) => StorageError::NotFound(key.clone()),
            StorageError::Unavailable(detail) => StorageError::Unavailable(detail.clone()),
        })
    }

    fn count(&self, miss: bool) {
        self.stats.record(miss);
        crate::metrics::source_cache_lookup(miss);
    }

    /// Hits and misses so far.
    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    /// Bytes held now (after pending evictions ran).
    pub async fn held_bytes(&self) -> u64 {
        held_bytes(self.cache.as_ref()).await
    }
}

/// Bytes a worker cache holds, after its pending evictions ran; 0 for a cache turned off.
pub(super) async fn held_bytes<K, V>(cache: Option<&moka::future::Cache<K, V>>) -> u64
where
    K: std::hash::Hash + Eq + Send + Sync + 'static,
    V: Clone + Send + Sync + 'static,
{
    match cache {
        Some(cache) => {
            cache.run_pending_tasks().await;
            cache.weighted_size()
        }
        None => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{config::S3Settings, storage::EmbeddedStore};

    async fn store_with(
        objects: &[(&str, usize)],
    ) -> (Storage, tempfile::TempDir, tokio_util::sync::DropGuard) {
        let dir = tempfile::tempdir().unwrap();
        let shutdown = tokio_util::sync::CancellationToken::new();
        let store = EmbeddedStore::start(dir.path(), "key", "secret", shutdown.clone()).await.unwrap();
        let settings = S3Settings {
            s3_endpoint: None,
            s3_bucket: "sources".into(),
            aws_access_key_id: "key".into(),
            aws_secret_access_key: "secret".into(),
            aws_region: "us-east-1".into(),
            data_dir: dir.path().to_path_buf(),
        };
        let storage = Storage::connect(&settings, &store.endpoint());
        storage.ensure_bucket().await.unwrap();
        for (key, len) in objects {
            storage.put(key, vec![7_u8; *len], "image/png").await.unwrap();
        }
        (storage, dir, shutdown.drop_guard())
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sixteen_copies_of_one_master_at_once_fetch_it_once() {
        let (storage, _dir, _stop) = store_with(&[("m", 300_000)]).await;
        let cache = SourceCache::new(10 << 20);

        let fetches = (0..16).map(|_| cache.get(&storage, "m"));
        let results = futures::future::join_all(fetches).await;

        assert!(results.iter().all(|r| r.as_ref().is_ok_and(|b| b.len() == 300_000)));
        assert_eq!(cache.stats().misses.load(Ordering::Relaxed), 1);
        assert_eq!(cache.stats().hits.load(Ordering::Relaxed), 15);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_cache_never_holds_more_than_its_bound_and_skips_a_master_larger_than_it() {
        let objects = [("a", 400_000), ("b", 400_000), ("c", 400_000), ("huge", 2_000_000)];
        let (storage, _dir, _stop) = store_with(&objects).await;
        let cache = SourceCache::new(1_000_000);

        for (key, len) in objects {
            assert_eq!(cache.get(&storage, key).await.unwrap().len(), len);
            assert!(cache.held_bytes().await <= 1_000_000, "over the bound after {key}");
        }
        let huge_again = cache.get(&storage, "huge").await;

        assert!(huge_again.is_ok());
        assert_eq!(cache.stats().misses.load(Ordering::Relaxed), 5, "the huge master was not kept");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_missing_master_is_not_found_and_not_remembered() {
        let (storage, _dir, _stop) = store_with(&[]).await;
        let cache = SourceCache::new(1 << 20);

        let first = cache.get(&storage, "gone").await;
        storage.put("gone", b"now here".to_vec(), "image/png").await.unwrap();
        let second = cache.get(&storage, "gone").await;

        assert!(matches!(first, Err(StorageError::NotFound(_))));
        assert_eq!(second.unwrap().as_ref(), b"now here");
    }

    #[tokio::test]
    async fn a_cache_of_zero_bytes_is_off_and_every_copy_fetches() {
        let (storage, _dir, _stop) = store_with(&[("m", 10)]).await;
        let cache = SourceCache::new(0);

        cache.get(&storage, "m").await.unwrap();
        cache.get(&storage, "m").await.unwrap();

        assert_eq!(cache.stats().misses.load(Ordering::Relaxed), 2);
        assert_eq!(cache.held_bytes().await, 0);
    }
}
