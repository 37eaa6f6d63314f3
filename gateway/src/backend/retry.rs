//! Retry rules: which failures are worth another attempt, and how long to
//! wait first (exponential backoff with full jitter, honouring the provider's
//! `retry-after` within a total budget).

use std::time::Duration;

use easel_shared::config::RetryConfig;
use rand::Rng;

use super::BackendError;

/// What the chain does after a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Try the same backend again (after a wait).
    Retry,
    /// Stop here and try the next backend of the chain.
    Fallback,
    /// Stop everything: the answer is this error.
    Final,
}

/// Decides whether a failure deserves another attempt on the same backend.
///
/// `bad_responses` counts the malformed answers seen from this backend for
/// this job, this one included: a garbled answer gets exactly one more chance.
pub fn verdict(err: &BackendError, bad_responses: u32) -> Verdict {
    match err {
        BackendError::Busy { .. } => Verdict::Retry,
        BackendError::BadResponse(_) if bad_responses <= 1 => Verdict::Retry,
        BackendError::BadResponse(_) => Verdict::Final,
        // Another provider may still work; this one will not today.
        BackendError::Unavailable(_) | BackendError::CircuitOpen | BackendError::ModelGone(_) => {
            Verdict::Fallback
        }
        // The user already waited a full attempt: answer now, "took too long".
        BackendError::Timeout(_) => Verdict::Final,
        // The prompt or request is the problem: every provider would refuse
        // it, and repeated safety blocks can get the operator suspended.
        BackendError::Blocked { .. } | BackendError::Rejected(_) => Verdict::Final,
    }
}

/// Backoff schedule for one job; tracks the total wait against its budget.
#[derive(Debug)]
pub struct Backoff {
    config: RetryConfig,
    waited: Duration,
}

impl Backoff {
    /// A fresh schedule.
    pub fn new(config: RetryConfig) -> Self {
        Self {
            config,
            waited: Duration::ZERO,
        }
    }

    /// The wait before retry number `retry` (1 = first retry), or `None`
    /// when the budget cannot cover it (then the hint is worth passing on).
    ///
    /// A provider's `retry-after` wins over the jittered step; one above
    /// `cap` or beyond the remaining budget ends the retries, since waiting
    /// less than asked only earns another 429.
    pub fn next_wait(&mut self, retry: u32, hint: Option<Duration>) -> Option<Duration> {
        let wait = match hint {
            Some(h) if h > self.config.cap => return None,
            Some(h) => h,
            None => self.jittered(retry),
        };
        let total = self.waited.checked_add(wait)?;
        if total > self.config.max_total_wait {
            return None;
        }
        self.waited = total;
        Some(wait)
    }

    /// The un-jittered step for `retry`: a fair "try again in" hint.
    pub fn step(&self, retry: u32) -> Duration {
        let factor = 2u32.saturating_pow(retry.saturating_sub(1).min(20));
        self.config
            .base
            .checked_mul(factor)
            .unwrap_or(self.config.cap)
            .min(self.config.cap)
    }

    fn jittered(&self, retry: u32) -> Duration {
        let ceiling = self.step(retry);
        // Full jitter: uniform in [0, ceiling] spreads synchronized clients.
        let nanos = u64::try_from(ceiling.as_nanos()).unwrap_or(u64::MAX);
        Duration::from_nanos(rand::rng().random_range(0..=nanos))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> RetryConfig {
        RetryConfig {
            max_attempts: 5,
            base: Duration::from_millis(100),
            cap: Duration::from_secs(1),
            max_total_wait: Duration::from_secs(2),
            attempt_timeout: Duration::from_secs(10),
        }
    }

    #[test]
    fn rules_per_error_kind() {
        let busy = BackendError::Busy {
            status: 429,
            retry_after: None,
        };
        let bad = BackendError::BadResponse("x".into());
        assert_eq!(verdict(&busy, 0), Verdict::Retry);
        assert_eq!(verdict(&bad, 1), Verdict::Retry);
        assert_eq!(verdict(&bad, 2), Verdict::Final);
        assert_eq!(
            verdict(&BackendError::Unavailable("q".into()), 0),
            Verdict::Fallback
        );
        let blocked = BackendError::Blocked { reason: "r".into() };
        assert_eq!(verdict(&blocked, 0), Verdict::Final);
        assert_eq!(
            verdict(&BackendError::Timeout(Duration::from_secs(1)), 0),
            Verdict::Final
        );
    }

    #[test]
    fn jittered_waits_stay_under_the_step_and_the_budget() {
        let mut b = Backoff::new(config());
        assert_eq!(b.step(1), Duration::from_millis(100));
        assert_eq!(b.step(4), Duration::from_millis(800));
        assert_eq!(b.step(30), Duration::from_secs(1));
        for retry in 1..=3 {
            let w = b.next_wait(retry, None).unwrap();
            assert!(w <= b.step(retry));
        }
    }

    #[test]
    fn retry_after_is_honoured_until_the_budget_runs_out() {
        let mut b = Backoff::new(config());
        assert_eq!(
            b.next_wait(1, Some(Duration::from_millis(900))),
            Some(Duration::from_millis(900))
        );
        assert_eq!(
            b.next_wait(2, Some(Duration::from_millis(900))),
            Some(Duration::from_millis(900))
        );
        // 1.8 s waited; another 0.9 s would pass the 2 s budget.
        assert_eq!(b.next_wait(3, Some(Duration::from_millis(900))), None);
        // Above the cap: not worth waiting at all.
        assert_eq!(
            Backoff::new(config()).next_wait(1, Some(Duration::from_secs(30))),
            None
        );
    }
}
