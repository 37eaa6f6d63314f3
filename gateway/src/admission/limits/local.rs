//! The in-process [`Limits`] store: governor keyed limiters per bucket, the
//! pass map and the block log, all in this process's memory. Right for the
//! embedded ledger (one process); with N processes each would admit its
//! own burst, which is why a Redis ledger brings its own store.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use async_trait::async_trait;
use easel_shared::{RequestId, UnixMillis, UserKey};

use super::{BlockRule, Bucket, Limits, Rate, Take};
use crate::admission::burst::KeyedLimiters;
use crate::admission::passes::BurstPasses;
use crate::admission::safety::BlockLog;
use crate::ledger::{Clock, LedgerError, SharedConfig};

/// Anti-abuse state in process memory.
pub struct LocalLimits {
    /// Retry times and block times are read on it (the manual clock in tests).
    clock: Clock,
    /// The live config: the safety window bounds what tidying keeps.
    config: SharedConfig,
    limiters: KeyedLimiters,
    passes: BurstPasses,
    blocks: BlockLog,
    /// Claimed platform events and when each claim lapses.
    events: Mutex<HashMap<String, UnixMillis>>,
}

impl LocalLimits {
    /// An empty store on `clock`.
    pub fn new(clock: Clock, config: SharedConfig) -> Self {
        Self {
            clock,
            config,
            limiters: KeyedLimiters::default(),
            passes: BurstPasses::default(),
            blocks: BlockLog::default(),
            events: Mutex::default(),
        }
    }
}

/// A limiter's name in the keyed limiter map; `\0` cannot start a plan name
/// read from TOML keys in practice, so built-in buckets never collide.
fn limiter_name(bucket: Bucket<'_>) -> String {
    match bucket {
        Bucket::Burst(plan) => plan.to_owned(),
        Bucket::Redeem => "\0redeem".to_owned(),
        Bucket::Named(name) => format!("\0named:{name}"),
    }
}

#[async_trait]
impl Limits for LocalLimits {
    async fn take(
        &self,
        bucket: Bucket<'_>,
        rate: Rate,
        user: UserKey,
        pass: Option<&RequestId>,
    ) -> Result<Take, LedgerError> {
        if rate.is_unlimited() {
            return Ok(Take::Granted);
        }
        if let Some(id) = pass
            && self.passes.holds(user, id)
        {
            return Ok(Take::Granted);
        }
        let name = limiter_name(bucket);
        match self.limiters.check(&name, rate.every, rate.burst, user) {
            Ok(()) => {
                if let Some(id) = pass {
                    self.passes.record(user, id);
                }
                Ok(Take::Granted)
            }
            Err(wait) => Ok(Take::Refused {
                retry_at: self.clock.now().plus(wait),
            }),
        }
    }

    async fn record_block(
        &self,
        user: UserKey,
        rule: BlockRule,
    ) -> Result<Option<UnixMillis>, LedgerError> {
        Ok(self.blocks.record(user, self.clock.now(), rule))
    }

    async fn cooldown_until(
        &self,
        user: UserKey,
        rule: BlockRule,
    ) -> Result<Option<UnixMillis>, LedgerError> {
        Ok(self.blocks.cooldown_until(user, self.clock.now(), rule))
    }

    async fn claim_event(&self, event: &str, ttl: Duration) -> Result<bool, LedgerError> {
        let now = self.clock.now();
        let mut events = self.events.lock().unwrap_or_else(|e| e.into_inner());
        match events.get(event) {
            Some(until) if *until > now => Ok(false),
            _ => {
                events.insert(event.to_owned(), now.plus(ttl));
                Ok(true)
            }
        }
    }

    fn tidy(&self) {
        let now = self.clock.now();
        self.events
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|_, until| *until > now);
        self.limiters.tidy();
        self.passes.tidy();
        let window: Duration = self.config.load().safety.window;
        self.blocks.prune(self.clock.now(), window);
    }

    fn local_keys(&self) -> Option<usize> {
        Some(self.limiters.len())
    }
}
