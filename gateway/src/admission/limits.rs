//! Where admission keeps its anti-abuse state: burst cells, redeem attempts,
//! the "this request's cell is paid" passes and safety blocks.
//!
//! [`Limits`] is the seam. Two stores implement it:
//! * [`LocalLimits`] (`limits/local.rs`): process memory (governor keyed
//!   limiters, a pass map, a block log). Used with the embedded ledger,
//!   which is single-process by construction.
//! * the Redis ledger (`ledger/redis/limits.rs`): a GCRA in Lua on the
//!   ledger's Redis time, under the user's hash tag, so N replicas behind a
//!   load balancer admit exactly what one would. A Redis failure is the
//!   ledger's fail-closed `Unavailable` ("temporarily unavailable").
//!
//! [`Ledger::shared_limits`](crate::ledger::Ledger::shared_limits) picks:
//! a ledger shared by replicas hands out its store, any other ledger gets
//! the local one. Any other limiter (a web sign-in limiter, say) can take a
//! `Arc<dyn Limits>` and use [`Bucket::Named`] with its own name.

pub mod local;

use std::time::Duration;

use async_trait::async_trait;
use easel_shared::{RequestId, UnixMillis, UserKey};

pub use local::LocalLimits;

use crate::ledger::LedgerError;

/// Which limiter of a user a cell is taken from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Bucket<'a> {
    /// A plan's burst limiter, by plan name.
    Burst(&'a str),
    /// Access-code redemption attempts.
    Redeem,
    /// Another limiter keyed by user (for callers outside admission).
    Named(&'a str),
}

/// A rate: one cell per `every`, up to `burst` back to back. A zero
/// `every` or `burst` means no limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    /// The emission interval: one cell comes back per this much time.
    pub every: Duration,
    /// How many cells a rested user may take at once.
    pub burst: u32,
}

impl Rate {
    /// Whether this rate limits nothing.
    pub fn is_unlimited(&self) -> bool {
        self.every.is_zero() || self.burst == 0
    }
}

/// The safety cooldown's rule: `threshold` blocks within `window`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlockRule {
    /// How far back blocks count.
    pub window: Duration,
    /// Blocks inside the window that start a cooldown (0: never).
    pub threshold: u32,
}

/// The answer to taking a cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Take {
    /// A cell was taken now, or the request's pass said it was paid before.
    Granted,
    /// No cell is free; one will be at `retry_at`.
    Refused {
        /// The earliest time a cell is free again.
        retry_at: UnixMillis,
    },
}

/// A store of per-user anti-abuse state. Every method is atomic per user:
/// concurrent callers (tasks or replicas) never both get the last cell.
#[async_trait]
pub trait Limits: Send + Sync + 'static {
    /// Takes one cell of `bucket` at `rate` for `user`. With `pass`, at most
    /// one cell is ever taken per (user, request id): while the pass lives
    /// ([`passes::PASS_TTL`](super::passes::PASS_TTL)) a later call with the
    /// same id is `Granted` without taking another.
    async fn take(
        &self,
        bucket: Bucket<'_>,
        rate: Rate,
        user: UserKey,
        pass: Option<&RequestId>,
    ) -> Result<Take, LedgerError>;

    /// Records one safety block for `user`; returns the end of the cooldown
    /// if the user is cooling down now.
    async fn record_block(
        &self,
        user: UserKey,
        rule: BlockRule,
    ) -> Result<Option<UnixMillis>, LedgerError>;

    /// When `user`'s safety cooldown ends, or `None`.
    async fn cooldown_until(
        &self,
        user: UserKey,
        rule: BlockRule,
    ) -> Result<Option<UnixMillis>, LedgerError>;

    /// Claims platform event `event` (a Telegram update, a Discord
    /// interaction) for handling: `true` for the first claim within `ttl`,
    /// `false` for every later one, whichever replica asks. Frontends behind
    /// a load balancer call it before handling, so a delivery that reaches
    /// two replicas (or arrives twice) is handled once.
    async fn claim_event(&self, event: &str, ttl: Duration) -> Result<bool, LedgerError>;

    /// Drops state that no longer matters (process memory only; Redis
    /// keys expire by themselves).
    fn tidy(&self) {}

    /// Users holding state in this process, if the state lives here.
    fn local_keys(&self) -> Option<usize> {
        None
    }
}
