//! The safety cooldown: a user whose requests the provider's safety system
//! blocked `safety.blocks_before_cooldown` times within `safety.window` is
//! refused until enough of those blocks age out. Providers suspend operator
//! accounts over repeated violations, so this protects the whole deployment.
//!
//! Kept in process memory: a restart forgets the blocks, and with N replicas
//! each counts only the blocks it saw. That is acceptable for a deterrent
//! (the admins are told in the log every time a cooldown starts); make it
//! shared through the ledger if it must survive restarts.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use easel_shared::{UnixMillis, UserKey};

use crate::ledger::{Clock, SharedConfig};

/// Counts safety blocks per user and says who is cooling down.
pub struct SafetyCooldown {
    config: SharedConfig,
    /// The ledger's clock, so tests drive cooldowns with the manual clock.
    clock: Clock,
    /// Block times per user, oldest first, trimmed to the window.
    blocks: Mutex<HashMap<UserKey, VecDeque<UnixMillis>>>,
}

impl SafetyCooldown {
    /// An empty tracker reading `safety` from the live config.
    pub fn new(config: SharedConfig, clock: Clock) -> Self {
        Self {
            config,
            clock,
            blocks: Mutex::new(HashMap::new()),
        }
    }

    /// Records one block for `user`. Returns the end of the cooldown if this
    /// block put (or kept) the user on one.
    pub fn record_block(&self, user: UserKey) -> Option<UnixMillis> {
        let now = self.clock.now();
        {
            let mut blocks = self.lock();
            let times = blocks.entry(user).or_default();
            times.push_back(now);
            // Only the last `threshold` blocks can matter; cap the memory.
            let keep = self.threshold().max(1) as usize;
            while times.len() > keep {
                times.pop_front();
            }
        }
        let until = self.cooldown_until(user);
        if let Some(until) = until {
            tracing::warn!(%user, until = until.0, "user on safety cooldown after repeated blocks");
        }
        until
    }

    /// When `user`'s cooldown ends, or `None` if they are not cooling down.
    pub fn cooldown_until(&self, user: UserKey) -> Option<UnixMillis> {
        let threshold = self.threshold() as usize;
        if threshold == 0 {
            return None;
        }
        let window = self.config.load().safety.window;
        let now = self.clock.now();
        let blocks = self.lock();
        let times = blocks.get(&user)?;
        let recent: Vec<UnixMillis> = times
            .iter()
            .copied()
            .filter(|t| t.plus(window) > now)
            .collect();
        // The cooldown lasts until the oldest of the last `threshold` blocks
        // leaves the window: then fewer than `threshold` remain.
        let first = recent.len().checked_sub(threshold)?;
        Some(recent[first].plus(window))
    }

    /// Forgets users with no block inside the window (called periodically).
    pub fn prune(&self) {
        let window = self.config.load().safety.window;
        let now = self.clock.now();
        let mut blocks = self.lock();
        blocks.retain(|_, times| {
            times.retain(|t| t.plus(window) > now);
            !times.is_empty()
        });
        blocks.shrink_to_fit();
    }

    fn threshold(&self) -> u32 {
        self.config.load().safety.blocks_before_cooldown
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<UserKey, VecDeque<UnixMillis>>> {
        // Plain data: a panic elsewhere cannot leave it half-updated.
        self.blocks.lock().unwrap_or_else(|e| e.into_inner())
    }
}
