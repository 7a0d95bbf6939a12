//! When a failed delivery is tried again: a fixed schedule with jitter, stretched by the
//! receiver's `Retry-After` when it asks for more time.

use std::{fmt, str::FromStr, time::Duration};

use chrono::{DateTime, Utc};

/// Svix's schedule after the immediate first attempt: 8 attempts over about 27.6 hours.
pub const DEFAULT_SCHEDULE: &str = "5s,5m,30m,2h,5h,10h,10h";
/// Longest wait a `Retry-After` header can ask for.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(24 * 3600);
/// Each delay is scaled by a random factor in 1 ± this, so deliveries failed together spread out.
const JITTER: f64 = 0.2;

/// Delays between scheduled attempts: entry `i` is the wait after failed attempt `i + 1`.
#[derive(Debug, Clone, PartialEq)]
pub struct RetrySchedule(pub Vec<Duration>);

impl RetrySchedule {
    /// Attempts a delivery gets from the schedule, the first one included.
    pub fn attempts(&self) -> usize {
        self.0.len() + 1
    }

    /// The wait after `failed` scheduled attempts (1-based) with `jitter` in 0.0..1.0, or
    /// `None` when the schedule is exhausted.
    pub fn delay_after(&self, failed: usize, jitter: f64) -> Option<Duration> {
        let base = self.0.get(failed.checked_sub(1)?)?;
        Some(base.mul_f64(1.0 - JITTER + 2.0 * JITTER * jitter.clamp(0.0, 1.0)))
    }
}

impl Default for RetrySchedule {
    fn default() -> Self {
        DEFAULT_SCHEDULE.parse().expect("the default schedule parses")
    }
}

impl FromStr for RetrySchedule {
    type Err = String;

    /// Parses comma-separated durations such as `5s,5m,2h` or `150ms,300ms`.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let delays = text
            .split(',')
            .map(str::trim)
            .filter(|part| !part.is_empty())
            .map(parse_duration)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self(delays))
    }
}

impl fmt::Display for RetrySchedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self.0.iter().map(|d| format!("{}ms", d.as_millis())).collect();
        f.write_str(&parts.join(","))
    }
}

fn parse_duration(part: &str) -> Result<Duration, String> {
    let split = part.find(|c: char| !c.is_ascii_digit() && c != '.').unwrap_or(part.len());
    let (number, unit) = part.split_at(split);
    let value: f64 =
        number.parse().map_err(|_| format!("{part:?} is not a duration like 5s, 5m or 150ms"))?;
    let seconds = match unit {
        "ms" => value / 1000.0,
        "s" | "" => value,
        "m" => value * 60.0,
        "h" => value * 3600.0,
        "d" => value * 86_400.0,
        _ => return Err(format!("{part:?} has an unknown unit (use ms, s, m, h or d)")),
    };
    Ok(Duration::from_secs_f64(seconds))
}

/// The wait a `Retry-After` value asks for: delay-seconds or an HTTP date, capped at a day.
pub fn retry_after(value: &str, now: DateTime<Utc>) -> Option<Duration> {
    let value = value.trim();
    let wait = match value.parse::<u64>() {
        Ok(seconds) => Duration::from_secs(seconds),
        Err(_) => {
            let at = DateTime::parse_from_rfc2822(value).ok()?.with_timezone(&Utc);
            (at - now).to_std().unwrap_or(Duration::ZERO)
        }
    };
    Some(wait.min(MAX_RETRY_AFTER))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_schedule_is_svix_eight_attempts_over_about_27_hours() {
        let schedule = RetrySchedule::default();
        assert_eq!(schedule.attempts(), 8);
        let total: Duration = schedule.0.iter().sum();
        assert_eq!(total.as_secs(), 5 + 300 + 1800 + 7200 + 18_000 + 36_000 + 36_000);
    }

    #[test]
    fn delays_carry_twenty_percent_jitter_and_end_with_the_schedule() {
        let schedule: RetrySchedule = "10s,100s".parse().unwrap();
        assert_eq!(schedule.delay_after(1, 0.0), Some(Duration::from_secs(8)));
        assert_eq!(schedule.delay_after(1, 1.0), Some(Duration::from_secs(12)));
        assert_eq!(schedule.delay_after(2, 0.5), Some(Duration::from_secs(100)));
        assert_eq!(schedule.delay_after(3, 0.5), None);
        assert_eq!(schedule.delay_after(0, 0.5), None);
    }

    #[test]
    fn schedules_parse_units_and_refuse_nonsense() {
        let parsed: RetrySchedule = "150ms, 2s,1.5m,1h,1d".parse().unwrap();
        assert_eq!(parsed.0[0], Duration::from_millis(150));
        assert_eq!(parsed.0[2], Duration::from_secs(90));
        assert_eq!(parsed.0[4], Duration::from_secs(86_400));
        assert!("5 parsecs".parse::<RetrySchedule>().is_err());
        assert!("abc".parse::<RetrySchedule>().is_err());
    }

    #[test]
    fn retry_after_accepts_seconds_and_http_dates_and_is_capped() {
        let now = DateTime::parse_from_rfc3339("2015-10-21T07:27:00Z").unwrap().with_timezone(&Utc);
        assert_eq!(retry_after("120", now), Some(Duration::from_secs(120)));
        assert_eq!(retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now), Some(Duration::from_secs(60)));
        assert_eq!(retry_after("999999999", now), Some(MAX_RETRY_AFTER));
        assert_eq!(retry_after("soon", now), None);
    }
}
