//! A per-backend circuit breaker: after `failures` consecutive failures the
//! backend is skipped for a cool-down, then one probe is let through; its
//! outcome closes the breaker or opens it again.

use std::sync::Mutex;

use easel_shared::config::BreakerConfig;
use std::time::Instant;

/// The breaker's state (for logs and metrics).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BreakerState {
    /// Calls flow.
    Closed,
    /// Calls are refused until the cool-down ends.
    Open,
    /// One probe call is in flight; others are refused.
    HalfOpen,
}

#[derive(Debug)]
struct Inner {
    consecutive: u32,
    open_until: Option<Instant>,
    probing: bool,
}

/// One backend's breaker; shared by every job using that backend.
#[derive(Debug)]
pub struct Breaker {
    config: BreakerConfig,
    inner: Mutex<Inner>,
}

/// Leave to make one call; report how it went with [`Permit::success`] or
/// [`Permit::failure`]. Dropping it unreported (a cancelled job) frees a probe
/// slot without judging the backend.
#[derive(Debug)]
pub struct Permit<'a> {
    breaker: &'a Breaker,
    probe: bool,
    reported: bool,
}

impl Breaker {
    /// A closed breaker.
    pub fn new(config: BreakerConfig) -> Self {
        Self {
            config,
            inner: Mutex::new(Inner {
                consecutive: 0,
                open_until: None,
                probing: false,
            }),
        }
    }

    /// Asks to make a call; `None` while open (or while another probe runs).
    pub fn try_acquire(&self) -> Option<Permit<'_>> {
        let mut inner = self.lock();
        let probe = match inner.open_until {
            None => false,
            Some(until) if Instant::now() < until => return None,
            Some(_) if inner.probing => return None,
            Some(_) => {
                inner.probing = true;
                true
            }
        };
        Some(Permit {
            breaker: self,
            probe,
            reported: false,
        })
    }

    /// Takes the backend out for `period` regardless of its failure count
    /// (its model is gone); a later [`Breaker::reset`] brings it back.
    pub fn force_open(&self, period: std::time::Duration) {
        let mut inner = self.lock();
        let now = Instant::now();
        inner.open_until = Some(
            now.checked_add(period)
                .unwrap_or(now + std::time::Duration::from_secs(86_400)),
        );
        inner.probing = false;
    }

    /// Closes the breaker (the model check found the model again).
    pub fn reset(&self) {
        let mut inner = self.lock();
        inner.consecutive = 0;
        inner.open_until = None;
        inner.probing = false;
    }

    /// The current state.
    pub fn state(&self) -> BreakerState {
        let inner = self.lock();
        match inner.open_until {
            None => BreakerState::Closed,
            Some(until) if Instant::now() < until => BreakerState::Open,
            // Cooled down: the next caller (or the one in flight) probes.
            Some(_) => BreakerState::HalfOpen,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A poisoned lock only means a panic elsewhere mid-update of plain
        // counters; the counters are still usable.
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl Permit<'_> {
    /// The call worked: close the breaker.
    pub fn success(mut self) {
        self.reported = true;
        let mut inner = self.breaker.lock();
        inner.consecutive = 0;
        inner.open_until = None;
        inner.probing = false;
    }

    /// The call failed in a way that speaks about the backend's health.
    pub fn failure(mut self) {
        self.reported = true;
        let cfg = &self.breaker.config;
        let mut inner = self.breaker.lock();
        inner.consecutive = inner.consecutive.saturating_add(1);
        if self.probe || inner.consecutive >= cfg.failures {
            let now = Instant::now();
            // An absurd configured cool-down must not overflow the clock: cap at a day.
            let until = now
                .checked_add(cfg.cool_down)
                .unwrap_or(now + std::time::Duration::from_secs(86_400));
            inner.open_until = Some(until);
        }
        if self.probe {
            inner.probing = false;
        }
    }

    /// The call ended without saying anything about the backend (the user's
    /// prompt was refused): release a probe slot, change nothing else.
    pub fn neutral(mut self) {
        self.reported = true;
        self.release_probe();
    }

    fn release_probe(&self) {
        if self.probe {
            self.breaker.lock().probing = false;
        }
    }
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        if !self.reported {
            self.release_probe();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn breaker(cool_down: Duration) -> Breaker {
        Breaker::new(BreakerConfig {
            failures: 2,
            cool_down,
        })
    }

    #[test]
    fn opens_after_consecutive_failures() {
        let b = breaker(Duration::from_secs(3600));
        b.try_acquire().unwrap().failure();
        b.try_acquire().unwrap().success();
        b.try_acquire().unwrap().failure();
        assert_eq!(
            b.state(),
            BreakerState::Closed,
            "the count restarts on success"
        );
        b.try_acquire().unwrap().failure();
        assert_eq!(b.state(), BreakerState::Open);
        assert!(b.try_acquire().is_none());
    }

    #[test]
    fn after_the_cool_down_one_probe_decides() {
        // A zero cool-down makes "after the cool-down" immediate, no clock games.
        let b = breaker(Duration::ZERO);
        b.try_acquire().unwrap().failure();
        b.try_acquire().unwrap().failure();
        let probe = b.try_acquire().unwrap();
        assert_eq!(b.state(), BreakerState::HalfOpen);
        assert!(b.try_acquire().is_none(), "only one probe at a time");
        probe.failure();
        let probe = b.try_acquire().unwrap();
        assert!(b.try_acquire().is_none(), "a failed probe re-opens");
        probe.success();
        assert_eq!(b.state(), BreakerState::Closed);
        let (a, c) = (b.try_acquire(), b.try_acquire());
        assert!(a.is_some() && c.is_some(), "closed: calls flow freely");
    }

    #[test]
    fn forced_open_stays_open_until_reset() {
        let b = breaker(Duration::from_secs(1));
        b.force_open(Duration::from_secs(3600));
        assert_eq!(b.state(), BreakerState::Open);
        assert!(b.try_acquire().is_none());
        b.reset();
        assert_eq!(b.state(), BreakerState::Closed);
        assert!(b.try_acquire().is_some());
    }

    #[test]
    fn a_dropped_or_neutral_probe_frees_the_slot() {
        let b = breaker(Duration::ZERO);
        b.try_acquire().unwrap().failure();
        b.try_acquire().unwrap().failure();
        drop(b.try_acquire().unwrap());
        b.try_acquire().unwrap().neutral();
        assert!(b.try_acquire().is_some());
    }
}
