//! Provider pacing on the ledger's clock: a governor limiter whose time is
//! the ledger [`Clock`], so a manual clock in tests moves it and no test
//! waits for a real minute.

use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::Clock as GovernorClock;
use governor::middleware::NoOpMiddleware;
use governor::state::{InMemoryState, NotKeyed};
use governor::{Quota, RateLimiter};

use crate::ledger::Clock;

/// The ledger's clock as governor reads it: time since the Unix epoch.
#[derive(Debug, Clone)]
struct LedgerTime(Clock);

impl GovernorClock for LedgerTime {
    type Instant = Duration;

    fn now(&self) -> Duration {
        Duration::from_millis(u64::try_from(self.0.now().0).unwrap_or(0))
    }
}

/// At most `runner.images_per_minute` images start per minute.
pub(super) struct Pacer {
    limiter: RateLimiter<NotKeyed, InMemoryState, LedgerTime, NoOpMiddleware<Duration>>,
    time: LedgerTime,
}

impl Pacer {
    /// A pacer for `images_per_minute` (0: no pacing, `None`).
    pub(super) fn new(images_per_minute: u32, clock: Clock) -> Option<Self> {
        let rate = NonZeroU32::new(images_per_minute)?;
        let time = LedgerTime(clock);
        let limiter = RateLimiter::direct_with_clock(Quota::per_minute(rate), time.clone());
        Some(Self { limiter, time })
    }

    /// Waits until `images` more images may start. A job larger than the
    /// whole burst waits for one cell instead of forever.
    pub(super) async fn until_ready(&self, images: u32) {
        let mut n = NonZeroU32::new(images.max(1)).unwrap_or(NonZeroU32::MIN);
        loop {
            match self.limiter.check_n(n) {
                Ok(Ok(())) => return,
                Ok(Err(not_until)) => {
                    let wait = not_until.wait_time_from(self.time.now());
                    // Rounded up: a deadline a fraction of a millisecond early
                    // would be "now" again on a clock that does not move.
                    let ms = wait.as_nanos().div_ceil(1_000_000).max(1);
                    let wait = Duration::from_millis(u64::try_from(ms).unwrap_or(u64::MAX));
                    let clock = &self.time.0;
                    clock.sleep_until(clock.now().plus(wait)).await;
                }
                Err(_) => n = NonZeroU32::MIN,
            }
        }
    }
}
