//! Figures from what the bench's webhook receivers logged; pure, so they are tested without a
//! server.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::domain::JobHandle;

/// One POST a receiver got.
#[derive(Debug, Clone)]
pub struct Receipt {
    /// Wall-clock time it arrived, before any answer delay.
    pub at: DateTime<Utc>,
    /// The job named by the body's `data.jobHandle`, when it names one.
    pub job_id: Option<i64>,
    pub webhook_id: Option<String>,
}

/// The job id of an event body's `data.jobHandle` (`j|<company>||copyImage-<job>|<job>`).
pub fn job_id(body: &[u8]) -> Option<i64> {
    let body: Value = serde_json::from_slice(body).ok()?;
    JobHandle::parse(body["data"]["jobHandle"].as_str()?).ok().map(|h| h.job_id)
}

/// The nearest-rank percentile `p` (0 to 100) of sorted values; NaN when there are none.
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

/// What a group of receivers (the fast ones, the slow ones) got, summed over its endpoints.
#[derive(Debug)]
pub struct Figures {
    pub endpoints: usize,
    /// Every POST received, duplicates included.
    pub events: usize,
    /// POSTs whose webhook-id the same endpoint had already received.
    pub duplicates: usize,
    /// Expected jobs an endpoint got no event for, summed over the endpoints.
    pub missing: usize,
    /// Each endpoint's first receipt of each expected job, minus the job's reference time, sorted.
    pub latency_ms: Vec<f64>,
    /// Events divided by the time from the group's first receipt to its last.
    pub per_sec: f64,
}

/// Sums up each endpoint's receipts against `expected`: every job an endpoint should get an
/// event for, with the time latencies are measured from (when it finished, or was queued).
pub fn summarise(logs: &[Vec<Receipt>], expected: &HashMap<i64, DateTime<Utc>>) -> Figures {
    let mut figures = Figures {
        endpoints: logs.len(),
        events: 0,
        duplicates: 0,
        missing: 0,
        latency_ms: Vec::new(),
        per_sec: f64::NAN,
    };
    let mut span: Option<(DateTime<Utc>, DateTime<Utc>)> = None;
    for log in logs {
        let mut ids = HashSet::new();
        let mut first: HashMap<i64, DateTime<Utc>> = HashMap::new();
        for receipt in log {
            figures.events += 1;
            if let Some(id) = &receipt.webhook_id
                && !ids.insert(id.as_str())
            {
                figures.duplicates += 1;
            }
            if let Some(job) = receipt.job_id {
                first.entry(job).and_modify(|at| *at = (*at).min(receipt.at)).or_insert(receipt.at);
            }
            span = Some(
                span.map_or((receipt.at, receipt.at), |(lo, hi)| (lo.min(receipt.at), hi.max(receipt.at))),
            );
        }
        for (job, since) in expected {
            match first.get(job) {
                Some(at) => figures
                    .latency_ms
                    .push((*at - *since).num_microseconds().unwrap_or(i64::MAX) as f64 / 1000.0),
                None => figures.missing += 1,
            }
        }
    }
    figures.latency_ms.sort_by(f64::total_cmp);
    if let Some((lo, hi)) = span {
        let secs = (hi - lo).num_microseconds().unwrap_or(0) as f64 / 1e6;
        if secs > 0.0 {
            figures.per_sec = figures.events as f64 / secs;
        }
    }
    figures
}

impl Figures {
    /// The slowest latency, NaN when there is none.
    pub fn max_ms(&self) -> f64 {
        self.latency_ms.last().copied().unwrap_or(f64::NAN)
    }

    /// The group's output line; `scripts/bench-webhooks.sh` reads its fields by name.
    pub fn line(&self, group: &str, measured: &str) -> String {
        format!(
            "webhooks {group:<9} endpoints {}  events {}  duplicates {}  missing {}  {measured} ms  p50 {:.0}  p95 {:.0}  max {:.0}  deliveries/s {:.0}",
            self.endpoints,
            self.events,
            self.duplicates,
            self.missing,
            percentile(&self.latency_ms, 50.0),
            percentile(&self.latency_ms, 95.0),
            self.max_ms(),
            self.per_sec
        )
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeDelta;

    use super::*;

    #[test]
    fn percentiles_pick_the_nearest_rank() {
        let sorted: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&sorted, 50.0), 51.0);
        assert_eq!(percentile(&sorted, 99.0), 99.0);
        assert!(percentile(&[], 50.0).is_nan());
    }

    #[test]
    fn the_job_id_comes_from_the_bodys_job_handle() {
        assert_eq!(
            job_id(br#"{"type":"copy.succeeded","data":{"jobHandle":"j|6||copyImage-41|41"}}"#),
            Some(41)
        );
        for bad in
            [&br#"{"data":{"jobHandle":"j|6||copyImage-41|42"}}"#[..], br#"{"data":{}}"#, b"not json", b""]
        {
            assert_eq!(job_id(bad), None, "{}", String::from_utf8_lossy(bad));
        }
    }

    fn at(ms: i64) -> DateTime<Utc> {
        DateTime::UNIX_EPOCH + TimeDelta::milliseconds(ms)
    }

    fn receipt(ms: i64, job: i64, id: &str) -> Receipt {
        Receipt { at: at(ms), job_id: Some(job), webhook_id: Some(id.into()) }
    }

    #[test]
    fn a_summary_counts_duplicates_and_missing_per_endpoint_and_times_first_receipts() {
        let expected: HashMap<i64, DateTime<Utc>> = [(1, at(1000)), (2, at(1000)), (3, at(2000))].into();
        let logs = vec![
            // A retry of job 1 (same webhook-id) after the first receipt; job 3 never came.
            vec![receipt(1100, 1, "m1"), receipt(1300, 2, "m2"), receipt(1500, 1, "m1")],
            vec![receipt(1200, 1, "m1"), receipt(2000, 2, "m2"), receipt(3000, 3, "m3")],
        ];
        let figures = summarise(&logs, &expected);
        assert_eq!((figures.endpoints, figures.events, figures.duplicates, figures.missing), (2, 6, 1, 1));
        assert_eq!(figures.latency_ms, vec![100.0, 200.0, 300.0, 1000.0, 1000.0]);
        assert_eq!(figures.max_ms(), 1000.0);
        // Six events from 1.1 s to 3.0 s.
        assert!((figures.per_sec - 6.0 / 1.9).abs() < 1e-9);
    }

    #[test]
    fn an_empty_group_has_no_rate_or_latency_and_misses_everything() {
        let expected: HashMap<i64, DateTime<Utc>> = [(1, at(0))].into();
        let figures = summarise(&[Vec::new()], &expected);
        assert_eq!((figures.events, figures.missing), (0, 1));
        assert!(figures.per_sec.is_nan() && figures.max_ms().is_nan());
        assert!(figures.line("fast", "finish→receipt").contains("missing 1"));
    }
}
