//! Admission's anti-abuse state in the ledger's Redis, so N replicas limit
//! as one: the [`Limits`] store a Redis ledger hands to the gatekeeper.
//!
//! # The algorithm: GCRA (as redis-cell's `CL.THROTTLE`)
//!
//! A limiter "one cell per `T`, up to `B` at once" keeps ONE number per
//! user and bucket: the theoretical arrival time `TAT` (ms), the moment the
//! limiter would be fully rested if nothing more came. Taking a cell at `now`:
//!
//! ```text
//! tat      = max(stored TAT or now, now)
//! next     = tat + T                   -- the TAT if this cell is taken
//! allow_at = next - B*T                -- the earliest moment it may be
//! allow_at > now  -> refused, retry at allow_at (nothing is stored)
//! otherwise       -> granted, store next with a TTL of next - now
//! ```
//!
//! A rested user takes `B` cells back to back, then one per `T`, exactly as
//! the in-process governor limiter does, so both stores answer the same
//! sequence the same way. The whole step is one Lua script (`lua/limits/`)
//! on the user's slot, so concurrent replicas never both take the last
//! cell; time is Redis `TIME` (or the test clock's override) like the
//! ledger's. A refusal stores nothing. The key expires when the limiter is
//! rested, so idle users cost no memory. A changed rule applies to the
//! stored TAT as it is (no reset on reload, unlike the in-process store).
//!
//! # Keys (all in the user's slot, under `<prefix>{u:<user>}:lim:`)
//!
//! * `burst`: HASH of the plans' burst TATs, field = plan name (one key, so
//!   the reserve script can declare it before it knows the user's plan); it
//!   expires when the last of them is rested. `redeem`: redeem attempts'
//!   TAT; `n:<name>`: other limiters' TAT ([`Bucket::Named`]).
//! * `p:<request id>`: the request's pass: its burst cell is paid; lives
//!   [`PASS_TTL`]. The take script checks and writes it in the same step as
//!   the cell, so a pre-check on one replica and the admit on another pay
//!   one cell. (Whether the request was admitted is the ledger's record:
//!   [`Ledger::admitted`](crate::ledger::Ledger::admitted).)
//! * `blocks`: ZSET of safety block times (the last `threshold` kept),
//!   expiring a window after the last block.
//!
//! # Inside the reserve
//!
//! A guarded reserve ([`ReserveRequest::guard`](crate::ledger::ReserveRequest::guard))
//! runs the cooldown check and the burst take (`lua/limits/guards.lua`, the
//! same functions as the scripts here) inside the reserve script, after
//! every other check: admission is one atomic step and one round trip, and
//! a refused request never spends a cell. The cell is the same one
//! [`Limits::take`] takes for `Bucket::Burst(plan)`, and a pass written by a
//! pre-check makes the reserve skip it.
//!
//! Claimed platform events are `<prefix>ev:{<event>}` (`SET NX PX`), each
//! tagged by itself so claims spread over a cluster's slots.
//!
//! Failures are the ledger's `Unavailable`: admission fails closed with the
//! same "temporarily unavailable" answer as for the quota itself.

use std::sync::{Arc, LazyLock};
use std::time::Duration;

use async_trait::async_trait;
use easel_shared::{RequestId, UnixMillis, UserKey};
use redis::Script;

use super::RedisLedger;
use crate::admission::passes::PASS_TTL;
use crate::admission::{BlockRule, Bucket, Limits, Rate, Take};
use crate::ledger::LedgerError;

macro_rules! limits_script {
    ($file:literal) => {
        Script::new(concat!(
            include_str!("lua/clock.lua"),
            include_str!("lua/limits/guards.lua"),
            include_str!($file)
        ))
    };
}

/// Take a cell (GCRA, with the optional pass).
static TAKE: LazyLock<Script> = LazyLock::new(|| limits_script!("lua/limits/take.lua"));
/// Record a block and/or read the cooldown.
static BLOCKS: LazyLock<Script> = LazyLock::new(|| limits_script!("lua/limits/blocks.lua"));

impl RedisLedger {
    /// Where the TAT of `bucket` for `user` lives: a string key, or a
    /// field of the user's burst hash (every plan's burst in one key, which
    /// the reserve names without knowing the plan in advance).
    fn limit_key<'b>(&self, bucket: Bucket<'b>, user: UserKey) -> (String, &'b str) {
        let base = self.keys.limits(user);
        match bucket {
            Bucket::Burst(plan) => (self.burst_key(user), plan),
            Bucket::Redeem => (format!("{base}redeem"), ""),
            Bucket::Named(name) => (format!("{base}n:{name}"), ""),
        }
    }

    /// HASH of `user`'s burst TATs, by plan.
    pub(super) fn burst_key(&self, user: UserKey) -> String {
        format!("{}burst", self.keys.limits(user))
    }

    /// The pass of request `id`: its burst cell is paid.
    pub(super) fn pass_key(&self, user: UserKey, id: &RequestId) -> String {
        format!("{}p:{}", self.keys.limits(user), id.as_str())
    }

    /// ZSET of `user`'s safety blocks.
    pub(super) fn blocks_key(&self, user: UserKey) -> String {
        format!("{}blocks", self.keys.limits(user))
    }

    async fn blocks(
        &self,
        user: UserKey,
        rule: BlockRule,
        record: bool,
    ) -> Result<Option<UnixMillis>, LedgerError> {
        let key = self.blocks_key(user);
        let window = millis(rule.window);
        let threshold = rule.threshold.to_string();
        let nonce = format!("{:016x}", rand::random::<u64>());
        let record = if record { "1" } else { "0" };
        let now = self.now_arg();
        let reply = self
            .run(
                &BLOCKS,
                &[&key],
                &[&now, &window, &threshold, &nonce, record],
            )
            .await?;
        if reply.int(0)? == 1 {
            Ok(Some(UnixMillis(reply.int(1)?)))
        } else {
            Ok(None)
        }
    }
}

fn millis(d: Duration) -> String {
    d.as_millis().to_string()
}

#[async_trait]
impl Limits for RedisLedger {
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
        let (key, field) = self.limit_key(bucket, user);
        let pass_key = pass.map(|id| self.pass_key(user, id));
        let mut keys = vec![key.as_str()];
        keys.extend(pass_key.as_deref());
        let (now, every) = (self.now_arg(), millis(rate.every));
        let (burst, ttl) = (rate.burst.to_string(), millis(PASS_TTL));
        let reply = self
            .run(&TAKE, &keys, &[&now, &every, &burst, &ttl, field])
            .await?;
        Ok(match reply.int(0)? {
            1 => Take::Granted,
            _ => Take::Refused {
                retry_at: UnixMillis(reply.int(1)?),
            },
        })
    }

    async fn record_block(
        &self,
        user: UserKey,
        rule: BlockRule,
    ) -> Result<Option<UnixMillis>, LedgerError> {
        self.blocks(user, rule, true).await
    }

    async fn claim_event(&self, event: &str, ttl: Duration) -> Result<bool, LedgerError> {
        // Tagged by the event itself: claims spread over the cluster's slots.
        let mut set = redis::cmd("SET");
        set.arg(format!("{}ev:{{{event}}}", self.keys.prefix()))
            .arg("1")
            .arg("NX")
            .arg("PX")
            .arg(ttl.as_millis().max(1).to_string());
        let set: Option<String> = self.query(&set).await?;
        Ok(set.is_some())
    }

    async fn cooldown_until(
        &self,
        user: UserKey,
        rule: BlockRule,
    ) -> Result<Option<UnixMillis>, LedgerError> {
        self.blocks(user, rule, false).await
    }
}

/// What [`Ledger::shared_limits`](crate::ledger::Ledger::shared_limits)
/// hands out: the ledger itself, whose connection and clock the limits share.
pub(super) fn shared(ledger: Arc<RedisLedger>) -> Arc<dyn Limits> {
    ledger
}
