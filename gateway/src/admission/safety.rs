//! The safety cooldown: a user whose requests the provider's safety system
//! blocked `safety.blocks_before_cooldown` times within `safety.window` is
//! refused until enough of those blocks age out. Providers suspend operator
//! accounts over repeated violations, so this protects the whole deployment.
//!
//! The blocks live in the admission [`Limits`] store: in Redis when the
//! ledger is (every replica sees every block, and a restart forgets
//! nothing), else in this process ([`BlockLog`]).

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use easel_shared::{UnixMillis, UserKey};

use super::limits::{BlockRule, Limits};
use crate::ledger::{LedgerError, SharedConfig};

/// Counts safety blocks per user and says who is cooling down.
pub struct SafetyCooldown {
    config: SharedConfig,
    store: Arc<dyn Limits>,
}

impl SafetyCooldown {
    /// A tracker reading `safety` from the live config, keeping blocks in `store`.
    pub fn new(config: SharedConfig, store: Arc<dyn Limits>) -> Self {
        Self { config, store }
    }

    /// Records one block for `user`. Returns the end of the cooldown if this
    /// block put (or kept) the user on one.
    pub async fn record_block(&self, user: UserKey) -> Result<Option<UnixMillis>, LedgerError> {
        let until = self.store.record_block(user, self.rule()).await?;
        if let Some(until) = until {
            tracing::warn!(%user, until = until.0, "user on safety cooldown after repeated blocks");
        }
        Ok(until)
    }

    /// When `user`'s cooldown ends, or `None` if they are not cooling down.
    pub async fn cooldown_until(&self, user: UserKey) -> Result<Option<UnixMillis>, LedgerError> {
        let rule = self.rule();
        if rule.threshold == 0 {
            return Ok(None);
        }
        self.store.cooldown_until(user, rule).await
    }

    fn rule(&self) -> BlockRule {
        let safety = &self.config.load().safety;
        BlockRule {
            window: safety.window,
            threshold: safety.blocks_before_cooldown,
        }
    }
}

/// Block times per user in process memory, oldest first (the local store).
#[derive(Default)]
pub struct BlockLog {
    blocks: Mutex<HashMap<UserKey, VecDeque<UnixMillis>>>,
}

impl BlockLog {
    /// Records a block at `now`; returns the cooldown's end, if any.
    pub fn record(&self, user: UserKey, now: UnixMillis, rule: BlockRule) -> Option<UnixMillis> {
        {
            let mut blocks = self.lock();
            let times = blocks.entry(user).or_default();
            times.push_back(now);
            // Only the last `threshold` blocks can matter; cap the memory.
            let keep = rule.threshold.max(1) as usize;
            while times.len() > keep {
                times.pop_front();
            }
        }
        self.cooldown_until(user, now, rule)
    }

    /// When `user`'s cooldown ends as of `now`, or `None`.
    pub fn cooldown_until(
        &self,
        user: UserKey,
        now: UnixMillis,
        rule: BlockRule,
    ) -> Option<UnixMillis> {
        let threshold = rule.threshold as usize;
        if threshold == 0 {
            return None;
        }
        let blocks = self.lock();
        let recent: Vec<UnixMillis> = blocks
            .get(&user)?
            .iter()
            .copied()
            .filter(|t| t.plus(rule.window) > now)
            .collect();
        // The cooldown lasts until the oldest of the last `threshold` blocks
        // leaves the window: then fewer than `threshold` remain.
        let first = recent.len().checked_sub(threshold)?;
        Some(recent[first].plus(rule.window))
    }

    /// Forgets blocks older than `window` (called periodically).
    pub fn prune(&self, now: UnixMillis, window: std::time::Duration) {
        let mut blocks = self.lock();
        blocks.retain(|_, times| {
            times.retain(|t| t.plus(window) > now);
            !times.is_empty()
        });
        blocks.shrink_to_fit();
    }

    /// Users with blocks held.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether no block is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<UserKey, VecDeque<UnixMillis>>> {
        // Plain data: a panic elsewhere cannot leave it half-updated.
        self.blocks.lock().unwrap_or_else(|e| e.into_inner())
    }
}
