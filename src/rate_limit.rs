//! Per-company submit rate limit: copies per second with a burst, shared by every front of one
//! API process.

use std::num::NonZeroU32;

use governor::{
    DefaultKeyedRateLimiter, Quota, RateLimiter,
    clock::{Clock, DefaultClock},
};

use crate::domain::{CompanyHandle, Fault, FaultClass};

/// Counts submitted copies per company.
pub struct SubmitLimiter {
    limiter: DefaultKeyedRateLimiter<i64>,
    burst: u32,
}

impl SubmitLimiter {
    /// `None` when `per_second` is 0 (no limit).
    pub fn new(per_second: u32, burst: u32) -> Option<Self> {
        let rate = NonZeroU32::new(per_second)?;
        let burst = NonZeroU32::new(burst.max(per_second)).unwrap_or(rate);
        let limiter = RateLimiter::keyed(Quota::per_second(rate).allow_burst(burst));
        Some(Self { limiter, burst: burst.get() })
    }

    /// Takes `copies` from the company's allowance, or says when to come back.
    pub fn check(&self, company: CompanyHandle, copies: usize) -> Result<(), Fault> {
        let n = u32::try_from(copies).ok().and_then(NonZeroU32::new).unwrap_or(NonZeroU32::MIN);
        match self.limiter.check_key_n(&company.0, n) {
            Ok(Ok(())) => Ok(()),
            Ok(Err(not_until)) => {
                let wait = not_until.wait_time_from(DefaultClock::default().now());
                let retry_after_secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
                Err(Fault {
                    class: FaultClass::RateLimited { retry_after_secs },
                    ..Fault::new(
                        Fault::EXCEPTION,
                        format!(
                            "company {company} is submitting faster than allowed; retry in {retry_after_secs} s"
                        ),
                    )
                })
            }
            Err(_) => Err(Fault::invalid_parameter(format!(
                "{copies} copies at once exceed the submit burst of {}; split the batch",
                self.burst
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_company_over_its_rate_is_told_when_to_retry_and_others_are_unaffected() {
        let limiter = SubmitLimiter::new(1, 3).unwrap();
        assert!(limiter.check(CompanyHandle(1), 3).is_ok());
        let fault = limiter.check(CompanyHandle(1), 1).unwrap_err();
        assert!(matches!(fault.class, FaultClass::RateLimited { retry_after_secs: 1 }), "{fault:?}");
        assert!(fault.reason.contains("c|1"));
        assert!(limiter.check(CompanyHandle(2), 1).is_ok());
    }

    #[test]
    fn a_batch_larger_than_the_burst_is_refused_as_invalid() {
        let limiter = SubmitLimiter::new(10, 100).unwrap();
        assert_eq!(limiter.check(CompanyHandle(1), 101).unwrap_err().code, Fault::INVALID_PARAMETER);
    }

    #[test]
    fn a_zero_rate_means_no_limit() {
        assert!(SubmitLimiter::new(0, 100).is_none());
    }
}
