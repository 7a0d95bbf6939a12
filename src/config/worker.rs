//! The worker's settings: concurrency, heartbeats, render limits and shutdown.

use clap::Args;

/// Worker settings.
#[derive(Args, Clone, Debug)]
pub struct WorkerSettings {
    /// Jobs this worker holds at once (also its RabbitMQ prefetch); most of a job's time is
    /// spent waiting on S3 and PostgreSQL, so this is well above the render threads. 0 = 16 per
    /// CPU core.
    #[arg(long, env = "IPSCOPY_WORKER_CONCURRENCY", default_value_t = 0)]
    pub worker_concurrency: usize,
    /// Renders running at once (CPU-bound, on the blocking pool); 0 = one per CPU core.
    #[arg(long, env = "IPSCOPY_RENDER_THREADS", default_value_t = 0)]
    pub render_threads: usize,
    /// Attempts a job gets before a transient error fails it for good.
    #[arg(long, env = "IPSCOPY_MAX_ATTEMPTS", default_value_t = 10)]
    pub max_attempts: u32,
    /// How often a running job records that its worker is alive, in milliseconds.
    #[arg(long, env = "IPSCOPY_HEARTBEAT_INTERVAL_MS", default_value_t = 5_000)]
    pub heartbeat_interval_ms: u64,
    /// A running job without a heartbeat for this long is rescued and run again, in milliseconds.
    #[arg(long, env = "IPSCOPY_STALE_AFTER_MS", default_value_t = 60_000)]
    pub stale_after_ms: u64,
    /// A job published this long ago that no worker has claimed is published again (its message
    /// was lost or dead-lettered), in milliseconds; keep it above the longest wait in the queue,
    /// though a needless copy is harmless: the worker drops it.
    #[arg(long, env = "IPSCOPY_REPUBLISH_AFTER_MS", default_value_t = 600_000)]
    pub republish_after_ms: u64,
    /// Largest source, intermediate and output image a render may handle, in pixels; a render
    /// needs up to about 40 bytes per pixel of it (README, "Memory"), so this bounds a worker's
    /// memory together with the render threads.
    #[arg(long, env = "IPSCOPY_RENDER_MAX_PIXELS", default_value_t = 100_000_000)]
    pub render_max_pixels: u64,
    /// A render taking longer fails its job (`RenderTimeout`), in milliseconds.
    #[arg(long, env = "IPSCOPY_RENDER_TIMEOUT_MS", default_value_t = 120_000)]
    pub render_timeout_ms: u64,
    /// On shutdown, how long in-flight jobs may take to finish before they are left to be
    /// redelivered, in milliseconds.
    #[arg(long, env = "IPSCOPY_SHUTDOWN_TIMEOUT_MS", default_value_t = 30_000)]
    pub shutdown_timeout_ms: u64,
    /// Bytes of masters a worker keeps for the next copies of them (0 = none): a batch of
    /// copies of one master then fetches it once. Counts toward the worker's memory.
    #[arg(long, env = "IPSCOPY_WORKER_SOURCE_CACHE_BYTES", default_value_t = 256 << 20)]
    pub source_cache_bytes: u64,
    /// Bytes of decoded masters a worker keeps while copies of them are running (0 = none):
    /// copies of one master that decode it at the same scale (renditions of a batch, say) then
    /// decode it once. A decode larger than a quarter of this is not kept. Counts toward the
    /// worker's memory.
    #[arg(long, env = "IPSCOPY_WORKER_DECODE_CACHE_BYTES", default_value_t = 128 << 20)]
    pub decode_cache_bytes: u64,
    /// Multiplies the retry backoff schedule (5 s, 30 s, 2 min, …); below 1 only for tests.
    #[arg(long, env = "IPSCOPY_RETRY_DELAY_SCALE", default_value_t = 1.0)]
    pub retry_delay_scale: f64,
}

impl WorkerSettings {
    /// The jobs in flight actually used.
    pub fn slots(&self) -> usize {
        if self.worker_concurrency > 0 { self.worker_concurrency } else { 16 * cores() }
    }

    /// The render threads actually used.
    pub fn render_threads(&self) -> usize {
        if self.render_threads > 0 { self.render_threads } else { cores() }
    }

    /// The render engine's limits, with the configured pixel ceiling.
    pub fn render_limits(&self) -> ipscopy_render::Limits {
        let pixels = self.render_max_pixels;
        ipscopy_render::Limits {
            max_source_pixels: pixels,
            max_output_pixels: pixels,
            max_intermediate_pixels: pixels,
            ..ipscopy_render::Limits::default()
        }
    }
}

fn cores() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}
