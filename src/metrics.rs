//! Process-wide counters and histograms (the `metrics` facade, rendered by the Prometheus
//! recorder), and the one-line helpers the pipeline calls to record them. A leaf: it takes
//! plain labels and knows no other module of the crate.
//!
//! Counters live for the whole process, as Prometheus expects; figures that describe a
//! deployment (depth, jobs by state) are computed at scrape time instead, see `ops::figures`.

use std::{
    collections::HashSet,
    sync::{
        Mutex, OnceLock,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use metrics::{counter, histogram};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

/// Bucket bounds, in seconds, for everything timed: from a fast S3 call to a slow backlog.
const BUCKETS: &[f64] =
    &[0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0, 3600.0];

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// Companies that may carry their own `company` label; 0 leaves the label off.
static COMPANY_LABELS: AtomicUsize = AtomicUsize::new(0);
/// The companies labelled so far, at most [`COMPANY_LABELS`] of them.
static LABELLED: Mutex<Option<HashSet<i64>>> = Mutex::new(None);
/// The label of every company past the bound.
const OTHER: &str = "other";

/// Installs the Prometheus recorder once per process and returns its handle. `company_labels`
/// is how many companies get a `company` label of their own (0: none, the default); tests start
/// many apps in one process, so the largest bound asked for wins.
pub fn install(company_labels: usize) -> &'static PrometheusHandle {
    COMPANY_LABELS.fetch_max(company_labels, Ordering::Relaxed);
    handle()
}

fn handle() -> &'static PrometheusHandle {
    HANDLE.get_or_init(|| {
        let builder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), BUCKETS)
            .expect("bucket bounds are not empty");
        let recorder = builder.build_recorder();
        let handle = recorder.handle();
        if metrics::set_global_recorder(recorder).is_err() {
            // Someone else's recorder won; our families then stay empty rather than failing.
            tracing::warn!("a metrics recorder was already installed; ipscopy counters are not exported");
        }
        describe();
        handle
    })
}

/// The counters and histograms in Prometheus text format.
pub fn render() -> String {
    let handle = handle();
    handle.run_upkeep();
    handle.render()
}

fn describe() {
    use metrics::{describe_counter, describe_histogram};
    describe_counter!("ipscopy_jobs_submitted_total", "Copy jobs accepted, by company.");
    describe_counter!("ipscopy_jobs_succeeded_total", "Copy jobs rendered and stored, by company.");
    describe_counter!("ipscopy_jobs_failed_total", "Copy jobs failed for good, by company and error code.");
    describe_counter!(
        "ipscopy_jobs_retried_total",
        "Attempts that failed and were scheduled again, by company and error code."
    );
    describe_counter!("ipscopy_jobs_cancelled_total", "Copy jobs cancelled, queued or running, by company.");
    describe_counter!(
        "ipscopy_outbox_published_total",
        "Job messages the relay published and the broker confirmed."
    );
    describe_counter!("ipscopy_uploads_total", "Masters uploaded and kept (new assets and overwrites).");
    describe_counter!("ipscopy_upload_bytes_total", "Bytes of the masters uploaded and kept.");
    describe_counter!(
        "ipscopy_source_cache_hits_total",
        "Copies whose master the worker's cache already held."
    );
    describe_counter!(
        "ipscopy_source_cache_misses_total",
        "Copies whose master the worker fetched from the store."
    );
    metrics::describe_gauge!("ipscopy_source_cache_bytes", "Bytes of masters the worker's cache holds.");
    describe_counter!(
        "ipscopy_decode_cache_hits_total",
        "Copies rendered from a decode another copy of the same master made."
    );
    describe_counter!(
        "ipscopy_decode_cache_misses_total",
        "Copies whose master the worker decoded for the cache."
    );
    metrics::describe_gauge!(
        "ipscopy_decode_cache_bytes",
        "Bytes of decoded masters the worker's cache holds."
    );
    describe_histogram!("ipscopy_render_duration_seconds", "Time the render engine took for one attempt.");
    describe_histogram!(
        "ipscopy_job_duration_seconds",
        "Time from submission to the final state, by outcome."
    );
    describe_histogram!("ipscopy_s3_request_duration_seconds", "S3 request latency, by operation.");
    describe_histogram!(
        "ipscopy_db_transaction_duration_seconds",
        "PostgreSQL transaction latency, by operation."
    );
}

/// The `company` label for a company's counters, or `None` when company labels are off. The
/// label is the company handle (`c|<id>`); past the bound every company shares `other`, so
/// the number of series stays bounded whatever the number of tenants.
pub fn company_label(company_id: i64) -> Option<String> {
    let bound = COMPANY_LABELS.load(Ordering::Relaxed);
    if bound == 0 {
        return None;
    }
    let mut labelled = LABELLED.lock().unwrap_or_else(|e| e.into_inner());
    let labelled = labelled.get_or_insert_with(HashSet::new);
    if labelled.contains(&company_id) || labelled.len() < bound && labelled.insert(company_id) {
        Some(format!("c|{company_id}"))
    } else {
        Some(OTHER.to_string())
    }
}

fn labels(company_id: i64, code: Option<&str>) -> Vec<metrics::Label> {
    let mut labels = Vec::with_capacity(2);
    if let Some(company) = company_label(company_id) {
        labels.push(metrics::Label::new("company", company));
    }
    if let Some(code) = code {
        labels.push(metrics::Label::new("code", code.to_string()));
    }
    labels
}

/// Counts `count` accepted copies of a company.
pub fn submitted(company_id: i64, count: usize) {
    counter!("ipscopy_jobs_submitted_total", labels(company_id, None)).increment(count as u64);
}

/// Counts a failed attempt that will run again.
pub fn retried(company_id: i64, code: &str) {
    counter!("ipscopy_jobs_retried_total", labels(company_id, Some(code))).increment(1);
}

/// Counts a job that failed for good.
pub fn failed(company_id: i64, code: &str) {
    counter!("ipscopy_jobs_failed_total", labels(company_id, Some(code))).increment(1);
}

/// How a job reached its final state, as the `outcome` label says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Final {
    Succeeded,
    Failed,
    Cancelled,
}

/// Records a job's final state: its counter (failures are counted with their code by
/// [`failed`]) and the job's end-to-end duration.
pub fn finished(company_id: i64, outcome: Final, submitted_at: chrono::DateTime<chrono::Utc>) {
    let outcome = match outcome {
        Final::Succeeded => {
            counter!("ipscopy_jobs_succeeded_total", labels(company_id, None)).increment(1);
            "succeeded"
        }
        Final::Cancelled => {
            counter!("ipscopy_jobs_cancelled_total", labels(company_id, None)).increment(1);
            "cancelled"
        }
        Final::Failed => "failed",
    };
    let elapsed = (chrono::Utc::now() - submitted_at).to_std().unwrap_or_default();
    histogram!("ipscopy_job_duration_seconds", "outcome" => outcome).record(elapsed.as_secs_f64());
}

/// Records one render's duration.
pub fn rendered(elapsed: Duration) {
    histogram!("ipscopy_render_duration_seconds").record(elapsed.as_secs_f64());
}

/// Counts a master uploaded and kept, of `bytes`.
pub fn uploaded(bytes: u64) {
    counter!("ipscopy_uploads_total").increment(1);
    counter!("ipscopy_upload_bytes_total").increment(bytes);
}

/// Counts one lookup in the worker's master cache.
pub fn source_cache_lookup(miss: bool) {
    let name = if miss { "ipscopy_source_cache_misses_total" } else { "ipscopy_source_cache_hits_total" };
    counter!(name).increment(1);
}

/// Records the bytes the worker's master cache holds.
pub fn source_cache_bytes(bytes: u64) {
    metrics::gauge!("ipscopy_source_cache_bytes").set(bytes as f64);
}

/// Counts one lookup in the worker's cache of decoded masters.
pub fn decode_cache_lookup(miss: bool) {
    let name = if miss { "ipscopy_decode_cache_misses_total" } else { "ipscopy_decode_cache_hits_total" };
    counter!(name).increment(1);
}

/// Records the bytes the worker's cache of decoded masters holds.
pub fn decode_cache_bytes(bytes: u64) {
    metrics::gauge!("ipscopy_decode_cache_bytes").set(bytes as f64);
}

/// Counts messages the broker confirmed.
pub fn published(count: usize) {
    counter!("ipscopy_outbox_published_total").increment(count as u64);
}

/// Times what lives until it is dropped, into a latency histogram.
#[must_use = "the time is recorded when the timer is dropped"]
pub struct Timer {
    name: &'static str,
    op: &'static str,
    started: Instant,
}

impl Drop for Timer {
    fn drop(&mut self) {
        histogram!(self.name, "op" => self.op).record(self.started.elapsed().as_secs_f64());
    }
}

/// Times one S3 request (`get`, `put`, …) until the returned timer is dropped.
pub fn s3_timer(op: &'static str) -> Timer {
    Timer { name: "ipscopy_s3_request_duration_seconds", op, started: Instant::now() }
}

/// Times one PostgreSQL transaction (`finalize`, `publish`, …) until the timer is dropped.
pub fn db_timer(op: &'static str) -> Timer {
    Timer { name: "ipscopy_db_transaction_duration_seconds", op, started: Instant::now() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn company_labels_stop_at_the_bound_and_later_companies_share_other() {
        install(2);
        let first = company_label(1_000_001).expect("labels are on");
        let second = company_label(1_000_002).expect("labels are on");
        // Other unit tests may have labelled companies already; the bound holds whatever they did.
        let third = company_label(1_000_003).expect("labels are on");
        assert!(first == "c|1000001" || first == OTHER);
        assert!(second == "c|1000002" || second == OTHER);
        assert_eq!(third, OTHER, "a third company past a bound of two");
        assert_eq!(company_label(1_000_001), Some(first), "a company keeps its label");
    }
}
