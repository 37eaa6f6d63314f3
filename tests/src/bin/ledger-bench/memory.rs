//! Governor's memory per active key, measured with a counting global allocator
//! (`cap`, so this crate stays free of unsafe code), and whether it returns
//! after `retain_recent()` + `shrink_to_fit()` once the keys go stale.

use std::alloc::System;
use std::num::NonZeroU32;
use std::time::Duration;

use anyhow::{Context, Result};
use cap::Cap;
use easel_shared::UserKey;
use governor::clock::FakeRelativeClock;
use governor::{Quota, RateLimiter};

#[global_allocator]
static ALLOC: Cap<System> = Cap::new(System, usize::MAX);

/// What the measurement found.
#[derive(Debug)]
pub(crate) struct MemoryReport {
    pub(crate) keys: u64,
    pub(crate) bytes_with_keys: usize,
    pub(crate) bytes_after_retain: usize,
    pub(crate) len_after_retain: usize,
}

impl MemoryReport {
    pub(crate) fn per_key(&self) -> f64 {
        self.bytes_with_keys as f64 / self.keys as f64
    }
}

/// Fills a keyed limiter (the default plan's burst: 1 per 15 s, burst 2) with
/// `keys` distinct users, then lets the fake clock pass and cleans up.
/// Must run while nothing else allocates (before the async runtime starts).
pub(crate) fn measure(keys: u64) -> Result<MemoryReport> {
    let every = Duration::from_secs(15);
    let burst = NonZeroU32::new(2).context("burst")?;
    let quota = Quota::with_period(every)
        .context("period")?
        .allow_burst(burst);
    let clock = FakeRelativeClock::default();
    let base = ALLOC.allocated();
    let limiter = RateLimiter::<UserKey, _, _, _>::dashmap_with_clock(quota, clock.clone());
    for id in 0..keys {
        // Alternate platforms like a real mixed deployment.
        let user = if id % 2 == 0 {
            UserKey::telegram(id)
        } else {
            UserKey::discord(id)
        };
        let _ = limiter.check_key(&user);
    }
    let bytes_with_keys = ALLOC.allocated().saturating_sub(base);
    // Past the burst's full replenishment every key is indistinguishable from fresh.
    clock.advance(every * 3);
    limiter.retain_recent();
    limiter.shrink_to_fit();
    let bytes_after_retain = ALLOC.allocated().saturating_sub(base);
    let len_after_retain = limiter.len();
    drop(limiter);
    Ok(MemoryReport {
        keys,
        bytes_with_keys,
        bytes_after_retain,
        len_after_retain,
    })
}
