//! The ledger's notion of "now".
//!
//! Production: the Redis ledger reads Redis `TIME` inside its scripts, so
//! replicas with skewed clocks agree; the embedded ledger reads the system
//! clock. Tests need windows to age out without waiting hours, and
//! `tokio::time::pause()` cannot move Redis's clock, so builds with the
//! `test-clock` feature can construct a manual clock whose time is passed to
//! the scripts as an override. Without the feature no override can exist.

#[cfg(feature = "test-clock")]
use std::sync::Arc;
#[cfg(feature = "test-clock")]
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use easel_shared::UnixMillis;

/// Where the ledger's time comes from. Cheap to clone; clones share a manual clock.
#[derive(Debug, Clone, Default)]
pub struct Clock {
    #[cfg(feature = "test-clock")]
    manual: Option<Arc<AtomicI64>>,
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
            manual: Some(Arc::new(AtomicI64::new(start.0))),
        }
    }

    /// Moves a manual clock forward. Panics on the real clock: a test bug.
    #[cfg(feature = "test-clock")]
    pub fn advance(&self, by: std::time::Duration) {
        let manual = self
            .manual
            .as_ref()
            .expect("advance() needs a manual clock");
        manual.fetch_add(by.as_millis() as i64, Ordering::SeqCst);
    }

    /// The time to pass to a Redis script instead of `TIME`: `None` in production.
    pub fn override_ms(&self) -> Option<i64> {
        #[cfg(feature = "test-clock")]
        if let Some(m) = &self.manual {
            return Some(m.load(Ordering::SeqCst));
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
}
