//! The ledger's notion of "now".
//!
//! Production: the Redis ledger reads Redis `TIME` inside its scripts, so
//! replicas with skewed clocks agree; the embedded ledger reads the system
//! clock. Tests need windows to age out without waiting hours, and
//! `tokio::time::pause()` cannot move Redis's clock, so builds with the
//! `test-clock` feature can construct a manual clock whose time is passed to
//! the scripts as an override. Without the feature no override can exist.
//!
//! The gateway's own timers that tests must control (lease renewal, provider
//! pacing) wait through [`Clock::sleep_until`], so a manual clock moves them
//! too: a test advances time and they fire, with no real waiting.

#[cfg(feature = "test-clock")]
use std::sync::Arc;
#[cfg(feature = "test-clock")]
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use easel_shared::UnixMillis;

/// Where the ledger's time comes from. Cheap to clone; clones share a manual clock.
#[derive(Debug, Clone, Default)]
pub struct Clock {
    #[cfg(feature = "test-clock")]
    manual: Option<Arc<Manual>>,
}

/// A manual clock's time and the wake-up of everything sleeping on it.
#[cfg(feature = "test-clock")]
#[derive(Debug)]
struct Manual {
    ms: AtomicI64,
    moved: tokio::sync::Notify,
}

impl Clock {
    /// The real clock: Redis `TIME` for the Redis ledger, system time otherwise.
    pub fn real() -> Self {
        Self::default()
    }

    /// A clock that only moves when told to (test builds only).
    #[cfg(feature = "test-clock")]
    pub fn manual(start: UnixMillis) -> Self {
        Self {
            manual: Some(Arc::new(Manual {
                ms: AtomicI64::new(start.0),
                moved: tokio::sync::Notify::new(),
            })),
        }
    }

    /// Moves a manual clock forward. Panics on the real clock: a test bug.
    #[cfg(feature = "test-clock")]
    pub fn advance(&self, by: std::time::Duration) {
        let manual = self
            .manual
            .as_ref()
            .expect("advance() needs a manual clock");
        manual.ms.fetch_add(by.as_millis() as i64, Ordering::SeqCst);
        manual.moved.notify_waiters();
    }

    /// The time to pass to a Redis script instead of `TIME`: `None` in production.
    pub fn override_ms(&self) -> Option<i64> {
        #[cfg(feature = "test-clock")]
        if let Some(m) = &self.manual {
            return Some(m.ms.load(Ordering::SeqCst));
        }
        None
    }

    /// Local now: the manual time in tests, else the system clock.
    pub fn now(&self) -> UnixMillis {
        if let Some(ms) = self.override_ms() {
            return UnixMillis(ms);
        }
        let since = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        UnixMillis(since.as_millis() as i64)
    }

    /// Waits until this clock reads `deadline` or later: real time on the
    /// real clock; on a manual clock, until a test advances it that far.
    pub async fn sleep_until(&self, deadline: UnixMillis) {
        #[cfg(feature = "test-clock")]
        if let Some(manual) = &self.manual {
            loop {
                // Registered before the check, so an advance in between is not missed.
                let moved = manual.moved.notified();
                if self.now() >= deadline {
                    return;
                }
                moved.await;
            }
        }
        let left = deadline.0.saturating_sub(self.now().0).max(0);
        tokio::time::sleep(Duration::from_millis(left as u64)).await;
    }
}
