//! Failed-login throttling per user and per client address, so passwords cannot be guessed at
//! the speed of the network.
//!
//! Only failures count: every JSON and SOAP request authenticates, so counting successes would
//! throttle busy integrations. That needs a look at a key's state without taking from it, which
//! `governor` (the submit limiter) does not offer; the same GCRA arithmetic is kept here, one
//! "theoretical arrival time" per key, in a `moka` cache bounded in entries whose entries expire
//! once they are indistinguishable from a fresh key.

use std::{
    net::IpAddr,
    time::{Duration, Instant},
};

use moka::sync::Cache;

use crate::{
    config::LoginSettings,
    domain::{Fault, FaultClass},
};

/// Most keys of one kind tracked at once. Past it the cache evicts the least useful entries,
/// which only forgets some failures: memory stays bounded however many names are tried.
const MAX_KEYS: u64 = 100_000;
/// Longest e-mail kept as a key; no real address is longer (RFC 5321 allows 254).
const MAX_EMAIL_CHARS: usize = 320;

/// Failures allowed per key: `limit` at once, then one more every `window / limit`.
struct Counter<K: std::hash::Hash + Eq + Send + Sync + 'static> {
    /// Time one failure occupies (the GCRA emission interval).
    per_failure: Duration,
    /// How far ahead of now a key's arrival time may be before it is throttled.
    tolerance: Duration,
    /// Per key: when its failures will have drained.
    drained_at: Cache<K, Instant>,
}

impl<K: std::hash::Hash + Eq + Clone + Send + Sync + 'static> Counter<K> {
    fn new(limit: u32, window: Duration) -> Option<Self> {
        if limit == 0 || window.is_zero() {
            return None;
        }
        let per_failure = window / limit;
        Some(Self {
            per_failure,
            tolerance: window.saturating_sub(per_failure),
            // An entry has drained a window after its last failure: dropping it changes nothing.
            drained_at: Cache::builder().max_capacity(MAX_KEYS).time_to_live(window).build(),
        })
    }

    /// How long `key` must wait before its next attempt, if it must.
    fn wait(&self, key: &K, now: Instant) -> Option<Duration> {
        let drained_at = self.drained_at.get(key)?;
        let allowed_from = drained_at.checked_sub(self.tolerance)?;
        allowed_from.checked_duration_since(now).filter(|wait| !wait.is_zero())
    }

    fn failed(&self, key: K, now: Instant) {
        let per_failure = self.per_failure;
        // Failures racing past `wait` together could push a key further out; capped at one
        // window, no key waits longer than that, and the cache's time-to-live stays exact.
        let latest = now + self.tolerance + per_failure;
        self.drained_at.entry(key).and_upsert_with(|entry| {
            (entry.map_or(now, |e| (*e.value()).max(now)) + per_failure).min(latest)
        });
    }

    fn forget(&self, key: &K) {
        self.drained_at.invalidate(key);
    }
}

/// Counts failed logins per e-mail and per client address and refuses attempts over the limits.
pub struct LoginThrottle {
    users: Option<Counter<String>>,
    addresses: Option<Counter<IpAddr>>,
}

impl LoginThrottle {
    /// A throttle with the configured limits; a limit of 0 turns that side off.
    pub fn new(settings: &LoginSettings) -> Self {
        let window = Duration::from_secs(settings.login_failure_window_secs);
        Self {
            users: Counter::new(settings.login_max_failures_per_user, window),
            addresses: Counter::new(settings.login_max_failures_per_address, window),
        }
    }

    /// Refuses an attempt while its address or e-mail is over its failure limit, before any
    /// password is checked.
    pub fn check(&self, email: &str, address: Option<IpAddr>) -> Result<(), Fault> {
        self.check_at(email, address, Instant::now())
    }

    /// Records a wrong password or an unknown user.
    pub fn failed(&self, email: &str, address: Option<IpAddr>) {
        self.failed_at(email, address, Instant::now());
    }

    fn failed_at(&self, email: &str, address: Option<IpAddr>, now: Instant) {
        if let Some(users) = &self.users {
            users.failed(user_key(email), now);
        }
        if let (Some(addresses), Some(address)) = (&self.addresses, address) {
            addresses.failed(address_key(address), now);
        }
    }

    /// Records a correct password: the user's past failures are forgiven. The address's are
    /// not, or one valid account would unlock guessing everyone else's from that address.
    pub fn succeeded(&self, email: &str) {
        if let Some(users) = &self.users {
            users.forget(&user_key(email));
        }
    }

    fn check_at(&self, email: &str, address: Option<IpAddr>, now: Instant) -> Result<(), Fault> {
        if let (Some(addresses), Some(address)) = (&self.addresses, address)
            && let Some(wait) = addresses.wait(&address_key(address), now)
        {
            return Err(throttled(&format!("from address {address}"), wait));
        }
        if let Some(users) = &self.users
            && let Some(wait) = users.wait(&user_key(email), now)
        {
            return Err(throttled("for this user", wait));
        }
        Ok(())
    }
}

/// E-mails are matched without regard to case, so the key is too.
fn user_key(email: &str) -> String {
    email.chars().take(MAX_EMAIL_CHARS).collect::<String>().to_lowercase()
}

/// One IPv6 client usually holds a whole /64, so it counts as one address; an IPv4-mapped
/// address counts as the IPv4 address it is.
fn address_key(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V4(v4) => IpAddr::V4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6((u128::from(v6) & !u128::from(u64::MAX)).into()),
        },
    }
}

fn throttled(whom: &str, wait: Duration) -> Fault {
    let retry_after_secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    Fault {
        class: FaultClass::RateLimited { retry_after_secs },
        ..Fault::new(
            Fault::EXCEPTION,
            format!("too many failed logins {whom}; retry in {retry_after_secs} s"),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn throttle(per_user: u32, per_address: u32) -> LoginThrottle {
        LoginThrottle::new(&LoginSettings {
            login_max_failures_per_user: per_user,
            login_max_failures_per_address: per_address,
            login_failure_window_secs: 300,
        })
    }

    const HOME: Option<IpAddr> = Some(IpAddr::V4(std::net::Ipv4Addr::new(192, 0, 2, 1)));

    #[test]
    fn a_user_is_throttled_after_the_limit_and_may_try_again_once_a_failure_has_drained() {
        let t = throttle(10, 0);
        let now = Instant::now();
        for _ in 0..9 {
            t.failed_at("ann@x", HOME, now);
        }
        assert!(t.check_at("ann@x", HOME, now).is_ok(), "the tenth attempt is still allowed");
        t.failed_at("ann@x", HOME, now);

        let fault = t.check_at("ANN@X", HOME, now).unwrap_err();
        assert!(matches!(fault.class, FaultClass::RateLimited { retry_after_secs: 30 }), "{fault:?}");
        assert_eq!(fault.code, Fault::EXCEPTION);
        assert!(fault.reason.contains("retry in 30 s"), "{}", fault.reason);
        assert!(t.check_at("bob@x", HOME, now).is_ok());
        assert!(t.check_at("ann@x", HOME, now + Duration::from_secs(30)).is_ok());
    }

    #[test]
    fn an_address_is_throttled_whichever_users_it_tries() {
        let t = throttle(10, 3);
        let now = Instant::now();
        for user in ["a@x", "b@x", "c@x"] {
            t.failed_at(user, HOME, now);
        }

        let fault = t.check_at("d@x", HOME, now).unwrap_err();
        assert!(fault.reason.contains("from address 192.0.2.1"), "{}", fault.reason);
        assert!(t.check_at("d@x", Some("198.51.100.7".parse().unwrap()), now).is_ok());
    }

    #[test]
    fn a_success_forgives_the_users_failures_but_not_the_addresses() {
        let t = throttle(2, 3);
        let now = Instant::now();
        t.failed_at("ann@x", HOME, now);
        t.failed_at("ann@x", HOME, now);
        t.succeeded("ann@x");
        assert!(t.check_at("ann@x", None, now).is_ok());
        t.failed_at("ann@x", HOME, now);
        assert!(t.check_at("ann@x", HOME, now).is_err(), "the address still has three failures");
    }

    #[test]
    fn ipv6_clients_count_per_64_and_mapped_ipv4_as_ipv4() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::9".parse().unwrap();
        assert_eq!(address_key(a), address_key(b));
        assert_ne!(address_key(a), address_key("2001:db8:1:3::1".parse().unwrap()));
        assert_eq!(address_key("::ffff:192.0.2.1".parse().unwrap()), HOME.unwrap());
    }

    #[test]
    fn a_flood_of_failures_still_allows_one_attempt_per_window_share() {
        let t = throttle(10, 0);
        let now = Instant::now();
        for _ in 0..1000 {
            t.failed_at("ann@x", HOME, now);
        }
        let fault = t.check_at("ann@x", HOME, now).unwrap_err();
        assert!(matches!(fault.class, FaultClass::RateLimited { retry_after_secs: 30 }), "{fault:?}");
    }

    #[test]
    fn a_zero_limit_turns_that_side_off() {
        let t = throttle(0, 0);
        let now = Instant::now();
        for _ in 0..100 {
            t.failed_at("ann@x", HOME, now);
        }
        assert!(t.check_at("ann@x", HOME, now).is_ok());
    }
}
