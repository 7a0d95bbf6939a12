//! The worker's cache of decoded masters, so renditions of one master decode it once.
//!
//! A decode depends on the master's bytes and the shrink-on-load scale alone
//! ([`Prepared::decode_scale`]), and a finish only reads it, so a copy made from a shared decode
//! is the file it would be alone. Keyed by object key and scale: a master's object is never
//! rewritten (see [`super::SourceCache`]). Concurrent misses of one key share one decode; the
//! others wait without holding a render thread. Entries leave when the bytes bound needs room
//! or after a minute unused, and a decode above a quarter of the bound is never kept, so one
//! huge master neither takes the cache nor lingers in memory after its copy.

use std::{
    future::Future,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use ipscopy_render::{Decoded, Prepared};

use super::sources::Stats;
use crate::domain::JobFailure;

/// Decoded masters held for the renders still to come, up to a number of bytes.
#[derive(Clone)]
pub struct DecodeCache {
    cache: Option<moka::future::Cache<(String, u32), Arc<Decoded>>>,
    largest: u64,
    stats: Arc<Stats>,
}

/// How long an unused decode is kept: renditions of a batch arrive together.
const IDLE: Duration = Duration::from_secs(60);

impl DecodeCache {
    /// A cache holding at most `max_bytes` of decoded pixels; 0 turns it off.
    pub fn new(max_bytes: u64) -> Self {
        let cache = (max_bytes > 0).then(|| {
            moka::future::Cache::builder()
                .max_capacity(max_bytes)
                .weigher(|_key: &(String, u32), decoded: &Arc<Decoded>| {
                    u32::try_from(decoded.heap_bytes()).unwrap_or(u32::MAX)
                })
                .time_to_idle(IDLE)
                .build()
        });
        Self { cache, largest: max_bytes / 4, stats: Arc::default() }
    }

    /// Whether the decode `prepared` needs may be kept here.
    pub fn admits(&self, prepared: &Prepared) -> bool {
        self.cache.is_some() && prepared.decoded_bytes() <= self.largest
    }

    /// The decode of the master under `key` that `prepared` needs: from the cache, or made by
    /// `decode` (once for all the callers that ask for it meanwhile) and kept.
    pub async fn get<F>(&self, key: &str, prepared: &Prepared, decode: F) -> Result<Arc<Decoded>, JobFailure>
    where
        F: Future<Output = Result<Decoded, JobFailure>>,
    {
        let Some(cache) = self.cache.as_ref().filter(|_| self.admits(prepared)) else {
            return decode.await.map(Arc::new);
        };
        let decoded = AtomicBool::new(false);
        let key = (key.to_owned(), prepared.decode_scale());
        let result = cache
            .try_get_with_by_ref(&key, async {
                decoded.store(true, Ordering::Relaxed);
                decode.await.map(Arc::new)
            })
            .await;
        let miss = decoded.load(Ordering::Relaxed);
        self.stats.record(miss);
        crate::metrics::decode_cache_lookup(miss);
        // The size was estimated before decoding; a decode that came out larger (a lossless
        // JPEG, which libjpeg does not shrink on load) is used but not kept.
        if let Ok(decoded) = &result
            && decoded.heap_bytes() as u64 > self.largest
        {
            cache.invalidate(&key).await;
        }
        crate::metrics::decode_cache_bytes(cache.weighted_size());
        // A failed decode is not kept: each waiter gets its error, the next caller tries again.
        result.map_err(|e| e.as_ref().clone())
    }

    /// Hits and misses so far.
    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    /// Bytes held now (after pending evictions ran).
    pub async fn held_bytes(&self) -> u64 {
        super::sources::held_bytes(self.cache.as_ref()).await
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicUsize;

    use ipscopy_render::{Limits, parse, prepare};

    use super::*;

    fn photo() -> Vec<u8> {
        std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/rocket.jpg")).unwrap()
    }

    fn prepared(source: &[u8], modifier: &str) -> Prepared {
        prepare(source, &parse(modifier).unwrap(), &Limits::default()).unwrap()
    }

    /// Decodes `source` for `p` on the blocking pool, counting the decodes.
    async fn counted(count: &AtomicUsize, source: Arc<Vec<u8>>, p: Prepared) -> Result<Decoded, JobFailure> {
        count.fetch_add(1, Ordering::Relaxed);
        tokio::task::spawn_blocking(move || p.decode(&source)).await.unwrap().map_err(JobFailure::from)
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn renditions_of_one_master_asked_at_once_decode_it_once_per_scale() {
        let source = Arc::new(photo());
        let cache = DecodeCache::new(64 << 20);
        let decodes = AtomicUsize::new(0);
        let small = prepared(&source, "wid=40");
        let also_small = prepared(&source, "wid=50&fmt=webp");
        let whole = prepared(&source, "rotate=90");
        assert_eq!(small.decode_scale(), also_small.decode_scale());
        assert_ne!(small.decode_scale(), whole.decode_scale());
        let asks = (0..12).map(|i| {
            let p = [&small, &also_small, &whole][i % 3].clone();
            let (cache, source, decodes) = (&cache, source.clone(), &decodes);
            async move { cache.get("m", &p.clone(), counted(decodes, source, p)).await.unwrap() }
        });
        futures::future::join_all(asks).await;
        assert_eq!(decodes.load(Ordering::Relaxed), 2, "one decode per scale");
        assert_eq!(cache.stats().misses.load(Ordering::Relaxed), 2);
        assert_eq!(cache.stats().hits.load(Ordering::Relaxed), 10);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_bound_holds_and_a_decode_above_a_quarter_of_it_is_not_kept() {
        let source = Arc::new(photo());
        let whole = prepared(&source, "rotate=90");
        let size = whole.decoded_bytes();
        // Each whole decode fits under a quarter of the bound; eight of them do not fit at once.
        let cache = DecodeCache::new(size * 4 + 1);
        let decodes = AtomicUsize::new(0);
        let mut held = 0;
        for key in ["a", "b", "c", "d", "e", "f", "g", "h"] {
            held += cache
                .get(key, &whole, counted(&decodes, source.clone(), whole.clone()))
                .await
                .unwrap()
                .heap_bytes();
        }
        let kept = cache.held_bytes().await;
        assert!(held as u64 > size * 4 + 1, "the decodes were more than the bound");
        assert!(kept <= size * 4 + 1 && kept > 0, "the bound holds: {kept} of {held} bytes kept");
        let over = DecodeCache::new(size * 4 - 4);
        assert!(!over.admits(&whole));
        over.get("a", &whole, counted(&decodes, source.clone(), whole.clone())).await.unwrap();
        over.get("a", &whole, counted(&decodes, source.clone(), whole.clone())).await.unwrap();
        assert_eq!(over.held_bytes().await, 0, "an oversize decode is used, not kept");
        assert_eq!(decodes.load(Ordering::Relaxed), 10);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_failed_decode_is_not_kept_and_zero_turns_the_cache_off() {
        let source = Arc::new(photo());
        let p = prepared(&source, "wid=40");
        let cache = DecodeCache::new(64 << 20);
        let failed = cache.get("m", &p, async { Err(JobFailure::storage_read()) }).await;
        assert_eq!(failed.unwrap_err(), JobFailure::storage_read());
        let decodes = AtomicUsize::new(0);
        cache.get("m", &p, counted(&decodes, source.clone(), p.clone())).await.unwrap();
        assert_eq!(decodes.load(Ordering::Relaxed), 1, "the next caller decodes again");

        let off = DecodeCache::new(0);
        assert!(!off.admits(&p));
        for _ in 0..2 {
            off.get("m", &p, counted(&decodes, source.clone(), p.clone())).await.unwrap();
        }
        assert_eq!(decodes.load(Ordering::Relaxed), 3);
        assert_eq!(off.held_bytes().await, 0);
    }
}
