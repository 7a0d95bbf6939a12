//! Process-wide counters and histograms (the `metrics` facade, rendered by the Prometheus
//! recorder), and the one-line helpers the pipeline calls to record them.
//!
//! Counters live for the whole process, as Prometheus expects; figures that describe a
//! deployment (depth, jobs by state) are computed at scrape time instead, see `figures`.

use std::{
    sync::OnceLock,
    time::{Duration, Instant},
};

use metrics::{counter, histogram};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use crate::{domain::CompanyHandle, worker::Outcome};

/// Bucket bounds, in seconds, for everything timed: from a fast S3 call to a slow backlog.
const BUCKETS: &[f64] =
    &[0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0, 3600.0];

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// Installs the Prometheus recorder once per process and returns its handle; later calls (tests
/// start many apps in one process) get the same handle.
pub fn install() -> &'static PrometheusHandle {
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
    let handle = install();
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
    describe_counter!("ipscopy_jobs_cancelled_total", "Copy jobs cancelled while running, by company.");
    describe_counter!(
        "ipscopy_outbox_published_total",
        "Job messages the relay published and the broker confirmed."
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

fn company(company_id: i64) -> String {
    CompanyHandle(company_id).to_string()
}

/// Counts `count` accepted copies of a company.
pub fn submitted(company_id: i64, count: usize) {
    counter!("ipscopy_jobs_submitted_total", "company" => company(company_id)).increment(count as u64);
}

/// Counts a failed attempt that will run again.
pub fn retried(company_id: i64, code: &str) {
    counter!("ipscopy_jobs_retried_total", "company" => company(company_id), "code" => code.to_string())
        .increment(1);
}

/// Counts a job that failed for good.
pub fn failed(company_id: i64, code: &str) {
    counter!("ipscopy_jobs_failed_total", "company" => company(company_id), "code" => code.to_string())
        .increment(1);
}

/// Records how an attempt ended: for a final state, its counter (failures are counted with their
/// code by [`failed`]) and the job's end-to-end duration.
pub fn finished(company_id: i64, outcome: Outcome, submitted_at: chrono::DateTime<chrono::Utc>) {
    let outcome = match outcome {
        Outcome::Succeeded => {
            counter!("ipscopy_jobs_succeeded_total", "company" => company(company_id)).increment(1);
            "succeeded"
        }
        Outcome::Cancelled => {
            counter!("ipscopy_jobs_cancelled_total", "company" => company(company_id)).increment(1);
            "cancelled"
        }
        Outcome::Failed => "failed",
        Outcome::RetryScheduled | Outcome::Skipped | Outcome::Unknown => return,
    };
    let elapsed = (chrono::Utc::now() - submitted_at).to_std().unwrap_or_default();
    histogram!("ipscopy_job_duration_seconds", "outcome" => outcome.to_string())
        .record(elapsed.as_secs_f64());
}

/// Records one render's duration.
pub fn rendered(elapsed: Duration) {
    histogram!("ipscopy_render_duration_seconds").record(elapsed.as_secs_f64());
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
