//! When a transiently failed job runs again.

use std::time::Duration;

/// Delay before attempt `n + 1` after attempt `n` failed transiently: ten attempts span about
/// 16 hours, so an outage of a working day is ridden out.
const SCHEDULE_SECS: [u64; 9] = [5, 30, 120, 600, 1800, 3600, 7200, 14_400, 28_800];

/// The delay after failed attempt `attempt` (1-based), scaled by `jitter` in 0.0..1.0 to ±20 %
/// so that jobs failed together do not return together.
pub fn backoff(attempt: u32, jitter: f64) -> Duration {
    let index = (attempt.max(1) as usize - 1).min(SCHEDULE_SECS.len() - 1);
    let base = SCHEDULE_SECS[index] as f64;
    Duration::from_secs_f64(base * (0.8 + 0.4 * jitter.clamp(0.0, 1.0)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_with_each_attempt_and_stays_within_its_jitter_band() {
        assert_eq!(backoff(1, 0.5), Duration::from_secs(5));
        assert_eq!(backoff(2, 0.0), Duration::from_secs(24));
        assert_eq!(backoff(2, 1.0), Duration::from_secs(36));
        assert!(backoff(3, 0.5) > backoff(2, 0.5));
        assert_eq!(backoff(50, 0.5), Duration::from_secs(28_800));
    }

    #[test]
    fn ten_attempts_span_most_of_a_day() {
        let total: Duration = (1..10).map(|a| backoff(a, 0.5)).sum();
        assert!(
            total > Duration::from_secs(12 * 3600) && total < Duration::from_secs(24 * 3600),
            "{total:?}"
        );
    }
}
