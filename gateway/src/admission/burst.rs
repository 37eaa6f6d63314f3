//! In-process anti-flood limiters (governor), keyed by user: the local
//! [`Limits`](super::Limits) store's cells (`limits/local.rs`), used with
//! the embedded ledger (one process). A Redis ledger brings a shared store
//! instead, so replicas do not each admit their own burst.
//!
//! One keyed limiter per named rule (a plan's burst, redemption attempts),
//! rebuilt when the rule changes in the config.
//!
//! A governor cell cannot be refunded, and a rejected check still allocates
//! the key: callers run the cheap policy checks first, and
//! [`KeyedLimiters::tidy`] (retain_recent + shrink_to_fit, run every minute)
//! keeps memory bounded.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use easel_shared::UserKey;
use governor::clock::Clock as _;
use governor::{DefaultKeyedRateLimiter, Quota};

/// A rule: one request per `every`, up to `burst` back to back.
type Rule = (Duration, u32);

/// One rule's limiter, shared with callers while they check it.
type Limiter = Arc<DefaultKeyedRateLimiter<UserKey>>;

/// Limiters by rule name, with the rule each was built for.
type Sets = HashMap<String, (Rule, Limiter)>;

/// Named keyed limiters, each following the rule it was last asked with.
#[derive(Default)]
pub struct KeyedLimiters {
    sets: Mutex<Sets>,
}

impl KeyedLimiters {
    /// Takes one cell for `user` under the rule `name` (one per `every`,
    /// `burst` at once). `Err(wait)` says how long until the next cell. A
    /// zero `every` or `burst` means no limit.
    pub fn check(
        &self,
        name: &str,
        every: Duration,
        burst: u32,
        user: UserKey,
    ) -> Result<(), Duration> {
        let Some(limiter) = self.limiter(name, (every, burst)) else {
            return Ok(());
        };
        limiter
            .check_key(&user)
            .map_err(|not_until| not_until.wait_time_from(limiter.clock().now()))
    }

    /// Forgets keys whose state is back to "fully rested" and returns their
    /// memory. Called periodically; cheap when little is stored.
    pub fn tidy(&self) {
        let limiters: Vec<_> = self.lock().values().map(|(_, l)| Arc::clone(l)).collect();
        for limiter in limiters {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
    }

    /// Keys held across all rules (for metrics and tests).
    pub fn len(&self) -> usize {
        self.lock().values().map(|(_, l)| l.len()).sum()
    }

    /// Whether no key is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn limiter(&self, name: &str, rule: Rule) -> Option<Limiter> {
        let burst = NonZeroU32::new(rule.1)?;
        let quota = Quota::with_period(rule.0)?.allow_burst(burst);
        let mut sets = self.lock();
        match sets.get(name) {
            Some((old, limiter)) if *old == rule => Some(Arc::clone(limiter)),
            // New rule or changed config: start afresh (a reload forgives).
            _ => {
                let limiter = Arc::new(DefaultKeyedRateLimiter::keyed(quota));
                sets.insert(name.to_owned(), (rule, Arc::clone(&limiter)));
                Some(limiter)
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Sets> {
        // A panic while holding this lock cannot leave the map inconsistent.
        self.sets.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn burst_then_refuse_with_a_wait() {
        let limiters = KeyedLimiters::default();
        let hour = Duration::from_secs(3600);
        let user = UserKey::telegram(1);
        assert!(limiters.check("free", hour, 2, user).is_ok());
        assert!(limiters.check("free", hour, 2, user).is_ok());
        let wait = limiters.check("free", hour, 2, user).unwrap_err();
        assert!(wait > Duration::ZERO && wait <= hour, "{wait:?}");
        // Another user and another rule are untouched.
        assert!(
            limiters
                .check("free", hour, 2, UserKey::telegram(2))
                .is_ok()
        );
        assert!(limiters.check("pro", hour, 2, user).is_ok());
    }

    #[test]
    fn zero_means_unlimited_and_a_new_rule_starts_afresh() {
        let limiters = KeyedLimiters::default();
        let user = UserKey::telegram(1);
        for _ in 0..10 {
            assert!(limiters.check("x", Duration::ZERO, 1, user).is_ok());
            assert!(limiters.check("y", Duration::from_secs(1), 0, user).is_ok());
        }
        let hour = Duration::from_secs(3600);
        assert!(limiters.check("z", hour, 1, user).is_ok());
        assert!(limiters.check("z", hour, 1, user).is_err());
        assert!(limiters.check("z", hour, 2, user).is_ok());
    }
}
