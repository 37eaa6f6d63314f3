//! The Redis ledger: exact rolling-window quotas shared by every replica.
//!
//! # What is stored
//!
//! Per user, under the hash tag `{u:<platform>:<id>}` (one Cluster slot):
//!
//! * `meta` HASH: `credits` (prepaid balance), `plan` + `plan_until` (an
//!   assigned plan, 0 = forever), `banned`, `late_settles`.
//! * `log` ZSET, the rolling log: one member `"<window charge>|<request id>"`
//!   per reservation that took credits from the plan windows, scored by the
//!   reserve time. Trimmed to the longest window of any plan on every
//!   reserve and expiring after it.
//! * `win` HASH, the running window sums over `log`: per window period (ms)
//!   `"<sum>:<cursor>"`, sum = credits of the log's charges scored above the
//!   cursor (`lua/windows.lua`). Expires with the log.
//! * `pend` ZSET: the pending reservations, scored by `lease_until`. The
//!   in-flight count is `ZCOUNT pend (now +inf`; membership is "pending".
//! * `r:<id>` STRING: the reservation record (JSON: state, time, images,
//!   credits per image, from windows / from credits, the current window
//!   charge, lease, day, estimate, backend, final cost). It never expires
//!   while pending (a refund must always find it); once finished it is kept
//!   for `max(longest window, 48 h)` so replays and late settles find it.
//! * `usage` LIST (last 1000) and `grants` SET (applied code grants).
//!
//! Global, each under its own tag: `{spend}:<day>` (the day's spend: total,
//! per backend, per `<user>|<id>` the held estimate or `s:<cost>:<credits>`
//! once booked), `{spend}:top:<day>` (HASH user -> credits charged for the
//! requests reserved that day; in the spend slot so one script books both),
//! `{leases}` (the reaper's index), `{audit}`, `{code:<hash>}` (+`:users`)
//! and `{codes}` (short id -> hash).
//!
//! # Why it is exact
//!
//! Every user operation is ONE Lua script over that user's keys (see
//! `redis/lua/`), so Redis runs it atomically: reserve reads the log, the
//! pending set and the balance and writes the reservation in one step, and no
//! other reserve, settle or reaper can interleave. A window's usage is the sum
//! of the log's charges younger than its period (a sliding log, not GCRA), so
//! at no instant do more than `limit` credits sit in any window.
//!
//! That sum is kept running, not recomputed: per period, `win` holds a sum
//! and a cursor with sum = the log's charges scored above the cursor. To
//! read a window at `now` its cursor moves up to `now - period` and the
//! charges it passes (`ZRANGEBYSCORE (cursor now-period`) are subtracted,
//! each once; a reserve adds its charge to every sum whose cursor is below
//! its time, a refund or partial settle takes back what its charge shrank
//! by from the same sums; the log is trimmed only below every cursor (they
//! are moved up to the cut first). So a call reads the charges that aged out
//! since the previous one, not the whole window (amortised O(1) per charge
//! and window, where it was O(charges in the window) per call), and the
//! result is the same exact sum. "When does it free up" reads the oldest
//! charges only (`ZRANGEBYSCORE ... LIMIT`, as many as the request needs). A
//! missing sum (keys from before the sums, a new plan's period) or a cursor
//! ahead of `now - period` (the clock went back) is rebuilt from the log
//! once; an empty or expired log counts 0 whatever `win` says. Both keys
//! change inside the same script, so a crash (or a failover) never leaves one
//! without the other: a script's writes reach the AOF and the replicas as
//! one MULTI/EXEC. And if `win` alone were lost, it is rebuilt as above. Time is
//! Redis `TIME` (or the test clock's override), so replicas with skewed
//! clocks agree. A settle returns the unused part to where it came from,
//! prepaid credits first, then by shrinking this reservation's own log member.
//! The record's state (pending / settled / refunded) makes settle, refund and
//! reap take effect exactly once however many callers race.
//!
//! # Cross-slot steps and crashes
//!
//! The daily spend cap and the reaper's index live in other slots, so those
//! steps are separate, idempotent scripts run in this order:
//!
//! * reserve: (1) `ZADD {leases}` a hint `now + lease`, (2) the user script
//!   (plan policy, in-flight cap, windows, credits), (3) on a denial `ZREM`
//!   the hint, (4) only when a daily cap is set, hold the estimate in
//!   `{spend}:<day>`; if the cap refuses, cancel the reservation (full
//!   refund, record deleted, so a replay is evaluated afresh) and `ZREM` the
//!   hint. A crash after (1) leaves a hint the reaper drops ("gone"); after
//!   (2) a pending reservation the reaper refunds when its lease ends; after
//!   (2) but before (4) the request's cost was not held (the worker never got
//!   an answer, so nothing ran). A replay drops its own hint (the first
//!   call's covers the reservation) and touches nothing else: it never runs
//!   (4), so it can never cancel a live reservation whose job is running.
//! * settle: the user script decides (it alone flips the record's state).
//!   The bookings follow in `spend_book`, idempotent per request: the
//!   request's field in `{spend}:<day>` records what is booked, so spend and
//!   top-list credits are booked once. From the instance that admitted the
//!   reservation (it kept reserve's answer: day, backend, hint nonce, size;
//!   `redis/receipts.rs`) the user script, the hint's `ZREM` and a `first`
//!   booking of what this settle charges if it takes effect go in ONE
//!   pipeline; if the user script's reply disagrees (already settled or
//!   refunded, unknown, or other values), a second round trip sets the
//!   bookings to the record's final state (`force`) or takes back the one
//!   made for an unknown id (`undo`). Otherwise (an outbox entry from an
//!   earlier process, another replica) the user script first, then `force`
//!   from its reply. A crash between the user step and the booking is
//!   healed by settling again (the outbox retries until an answer).
//! * reap: books the reservation's estimate as its spend with no credits
//!   (`force`: the vanished worker may have been billed, and a late settle
//!   that booked first did not take effect). The index is only a hint; the user's `reap` script refunds only a
//!   reservation that is still pending with `lease_until <= now`, so two
//!   reapers refund it once, and re-adds a live one with its true lease. A
//!   hint member carries a nonce per reserve call (kept in the record), so a
//!   call that was denied or replayed removes only its own hint, never the
//!   one covering a concurrent call's pending reservation.
//! * redeem: claim a use on the code's slot, then apply the grant on the
//!   user's slot, idempotent by grant id `code:<id>`; a crash between the two
//!   is healed by redeeming again. If the grant is refused (a plan code that
//!   would cut a better plan short), (3) `unclaim` gives the use back.
//!
//! Commands of different steps share one pipelined round trip (Redis runs a
//! connection's commands in order): an admitted reserve costs one round trip
//! (hint + user script), plus the spend hold when a daily cap is set; a
//! settle from the admitting instance one (user script + hint + booking),
//! from elsewhere two. Lease renewals of many jobs share one pipeline. On a
//! cluster the commands of a pipeline go one by one (they span slots).
//! The whole design, with the outbox and the code rules: docs/ledger.md.
//!
//! Audit entries are written after the change succeeded, best effort.

mod admin;
mod api_keys;
mod codes;
mod errors;
mod keys;
mod lifecycle;
mod limits;
mod policy;
mod receipts;
mod scripts;
mod server;
mod settle;
mod web_sessions;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use easel_shared::admin::{
    Actor, AuditEntry, CodeInfo, CodeSpec, DaySpend, MintedCode, Redemption, SpendStatus, TopEntry,
    UsageEntry,
};
use easel_shared::apikey::{ApiKeyInfo, MintedApiKey};
use easel_shared::{QuotaStatus, RequestId, UserKey};
use redis::{ErrorKind, ServerErrorKind};

use self::errors::Redactor;
use self::keys::Keys;
pub use self::keys::key_slot;
use self::policy::{Policy, PolicyCache};
use self::receipts::Receipts;
use self::scripts::Reply;
pub use self::server::ServerRisk;
use super::api_key::audit_entry as api_key_audit;
use super::web_session::{MintedLink, MintedSession, WebSession};
use super::{
    Admission, Clock, Ledger, LedgerError, ReapReport, ReserveRequest, SettleOutcome, Settlement,
    SharedConfig,
};
use crate::redis_link::{RedisLink, Timeouts};

/// Sends once more if the connection was refused: then nothing reached
/// Redis, so even a non-idempotent command is safe to resend, and the
/// connection manager is already reconnecting. This is what makes the first
/// call after a Redis restart work. Other failures are not retried (the
/// command may have run).
macro_rules! retry_refused {
    ($ledger:expr, |$con:ident| $send:expr) => {{
        let first = {
            let mut $con = $ledger.con.clone();
            $send.await
        };
        match first {
            Err(e) if e.is_connection_refusal() => {
                let mut $con = $ledger.con.clone();
                $send.await
            }
            other => other,
        }
    }};
}

/// The [`Ledger`] on Redis. Cheap to share behind an `Arc`; every call clones
/// the multiplexed connection, so concurrent calls pipeline on one socket
/// (one per node on a Redis Cluster).
pub struct RedisLedger {
    con: RedisLink,
    keys: Keys,
    config: SharedConfig,
    clock: Clock,
    policy: PolicyCache,
    redactor: Redactor,
    /// What reserve answered, until the settle (one round trip settles).
    receipts: Receipts,
}

impl std::fmt::Debug for RedisLedger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisLedger")
            .field("keys", &self.keys)
            .finish_non_exhaustive()
    }
}

impl RedisLedger {
    /// Connects to a node or a cluster (`redis+cluster://`, see
    /// [`crate::redis_link`]; 1 s connect timeout, 2 s response timeout) and
    /// checks the prefix. Fails with `Unavailable` if Redis cannot be reached.
    pub async fn connect(
        url: &str,
        prefix: &str,
        config: SharedConfig,
        clock: Clock,
    ) -> Result<Self, LedgerError> {
        if prefix.contains(['{', '}']) {
            return Err(LedgerError::Refused(
                "the Redis key prefix must not contain `{` or `}` (they are hash tags)".into(),
            ));
        }
        let redactor = Redactor::for_url(url);
        let timeouts = Timeouts {
            connect: Duration::from_secs(1),
            response: Duration::from_secs(2),
        };
        let con = RedisLink::connect(url, timeouts)
            .await
            .map_err(|e| redactor.unavailable(&e))?;
        Ok(Self {
            con,
            keys: Keys::new(prefix),
            config,
            clock,
            policy: PolicyCache::default(),
            redactor,
            receipts: Receipts::default(),
        })
    }

    /// Warnings about server settings that would silently lose quota state:
    /// an eviction policy other than `noeviction`, or no persistence at all
    /// (checked on every master of a cluster).
    pub async fn check_server(&self) -> Vec<String> {
        self.server_risks()
            .await
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    /// The same check as [`Self::check_server`], as values a caller can
    /// weigh (`easel doctor` fails on eviction, warns on no persistence).
    pub async fn server_risks(&self) -> Vec<ServerRisk> {
        server::check(self).await
    }

    /// Every script this ledger runs for `user`, request `id` and access
    /// code hash `code_hash`, with the KEYS it passes: lets tests check that
    /// each call stays in one Cluster slot ([`key_slot`]).
    pub fn script_keys(
        &self,
        user: UserKey,
        id: &RequestId,
        code_hash: &str,
    ) -> Vec<(&'static str, Vec<String>)> {
        let u = self.keys.user(user);
        let finish = vec![
            u.meta.clone(),
            u.log.clone(),
            u.pend.clone(),
            u.record(id),
            u.usage.clone(),
            u.win.clone(),
        ];
        let day = self.clock.now().day();
        vec![
            ("reserve", [&finish[..4], &finish[5..]].concat()),
            ("settle", finish.clone()),
            ("reap", finish.clone()),
            ("cancel", finish),
            ("renew", vec![u.pend.clone()]),
            (
                "status",
                vec![u.meta.clone(), u.log.clone(), u.pend.clone(), u.win.clone()],
            ),
            ("adjust", vec![u.meta.clone()]),
            ("set_plan", vec![u.meta.clone()]),
            ("grant", vec![u.meta.clone(), u.grants.clone()]),
            (
                "claim",
                vec![self.keys.code(code_hash), self.keys.code_users(code_hash)],
            ),
            (
                "unclaim",
                vec![self.keys.code(code_hash), self.keys.code_users(code_hash)],
            ),
            ("spend_hold", vec![self.keys.spend(day)]),
            ("spend_book", vec![self.keys.spend(day), self.keys.top(day)]),
        ]
    }

    /// The script arguments of the current config version.
    fn policy(&self) -> Arc<Policy> {
        self.policy.get(&self.config)
    }

    /// ARGV[1] of every script: the test clock's time, or "" for Redis `TIME`.
    fn now_arg(&self) -> String {
        self.clock
            .override_ms()
            .map(|ms| ms.to_string())
            .unwrap_or_default()
    }

    /// Runs one script (EVALSHA, reloading on NOSCRIPT).
    async fn run(
        &self,
        script: &redis::Script,
        keys: &[&str],
        args: &[&str],
    ) -> Result<Reply, LedgerError> {
        let mut invocation = script.prepare_invoke();
        for k in keys {
            invocation.key(*k);
        }
        for a in args {
            invocation.arg(*a);
        }
        retry_refused!(self, |con| invocation.invoke_async(&mut con))
            .map_err(|e| self.redactor.unavailable(&e))
    }

    /// Runs `before`, the script and `after` in ONE round trip (a pipeline).
    /// On NOSCRIPT the surrounding commands have already run, so only the
    /// script is retried (with a reload): they must not depend on its result.
    /// On a cluster (where a pipeline must stay in one slot) the commands
    /// are sent one after the other, in the same order.
    async fn run_with(
        &self,
        before: Vec<redis::Cmd>,
        script: &redis::Script,
        keys: &[&str],
        args: &[&str],
        after: Vec<redis::Cmd>,
    ) -> Result<Reply, LedgerError> {
        if self.con.is_cluster() {
            // One by one: a later command may need an earlier one's effect
            // (PEXPIRE after the ZINCRBY that creates the key).
            for c in &before {
                self.query::<redis::Value>(c).await?;
            }
            let reply = self.run(script, keys, args).await?;
            for c in &after {
                self.query::<redis::Value>(c).await?;
            }
            return Ok(reply);
        }
        let mut pipe = redis::pipe();
        for c in before {
            pipe.add_command(c).ignore();
        }
        pipe.add_command(scripts::evalsha(script, keys, args));
        for c in after {
            pipe.add_command(c).ignore();
        }
        let sent = retry_refused!(self, |con| pipe.query_async::<Vec<Reply>>(&mut con));
        match sent {
            Ok(mut replies) => replies
                .pop()
                .ok_or_else(|| LedgerError::Corrupt("empty pipeline reply".into())),
            Err(e) if e.kind() == ErrorKind::Server(ServerErrorKind::NoScript) => {
                self.run(script, keys, args).await
            }
            Err(e) => Err(self.redactor.unavailable(&e)),
        }
    }

    /// Runs `cmds` in ONE round trip (a pipeline) and returns every reply, in
    /// order; on a cluster they are sent one after the other, in the same
    /// order. `None` if Redis lacked one of the scripts (NOSCRIPT, after a
    /// restart or `SCRIPT FLUSH`): the commands before it have run, so the
    /// caller must take a path whose steps are all safe to repeat.
    async fn run_pipeline(
        &self,
        cmds: Vec<redis::Cmd>,
    ) -> Result<Option<Vec<redis::Value>>, LedgerError> {
        let replies: Vec<redis::RedisResult<redis::Value>> = if self.con.is_cluster() {
            let mut replies = Vec::with_capacity(cmds.len());
            for c in &cmds {
                let reply = self.query_raw(c).await;
                let failed = reply.is_err();
                replies.push(reply);
                if failed {
                    break;
                }
            }
            replies
        } else {
            let mut pipe = redis::pipe();
            pipe.ignore_errors();
            for c in cmds {
                pipe.add_command(c);
            }
            retry_refused!(self, |con| pipe
                .query_async::<Vec<redis::RedisResult<redis::Value>>>(&mut con))
            .map_err(|e| self.redactor.unavailable(&e))?
        };
        let mut out = Vec::with_capacity(replies.len());
        for reply in replies {
            match reply {
                Ok(v) => out.push(v),
                Err(e) if e.kind() == ErrorKind::Server(ServerErrorKind::NoScript) => {
                    return Ok(None);
                }
                Err(e) => return Err(self.redactor.unavailable(&e)),
            }
        }
        Ok(Some(out))
    }

    /// Runs a plain command, keeping Redis' error.
    async fn query_raw(&self, cmd: &redis::Cmd) -> redis::RedisResult<redis::Value> {
        retry_refused!(self, |con| cmd.query_async::<redis::Value>(&mut con))
    }

    /// Runs a plain command.
    async fn query<T: redis::FromRedisValue>(&self, cmd: &redis::Cmd) -> Result<T, LedgerError> {
        retry_refused!(self, |con| cmd.query_async(&mut con))
            .map_err(|e| self.redactor.unavailable(&e))
    }

    /// Runs independent commands that may touch different slots (see
    /// [`RedisLink::query_each`]): one round trip on a node, one command per
    /// key on a cluster.
    async fn query_each<T: redis::FromRedisValue>(
        &self,
        cmds: &[redis::Cmd],
    ) -> Result<Vec<T>, LedgerError> {
        // Resent once if refused, like `retry_refused!`.
        let sent = match self.con.query_each(cmds).await {
            Err(e) if e.is_connection_refusal() => self.con.query_each(cmds).await,
            other => other,
        };
        sent.map_err(|e| self.redactor.unavailable(&e))
    }

    /// Runs a pipeline whose commands all touch ONE slot (a cluster sends a
    /// pipeline to a single node).
    async fn query_pipe<T: redis::FromRedisValue>(
        &self,
        pipe: &redis::Pipeline,
    ) -> Result<T, LedgerError> {
        retry_refused!(self, |con| pipe.query_async(&mut con))
            .map_err(|e| self.redactor.unavailable(&e))
    }
}

#[async_trait]
impl Ledger for RedisLedger {
    fn shared_limits(self: Arc<Self>) -> Option<Arc<dyn crate::admission::Limits>> {
        Some(limits::shared(self))
    }

    async fn reserve(&self, req: &ReserveRequest) -> Result<Admission, LedgerError> {
        lifecycle::reserve(self, req).await
    }

    async fn settle(
        &self,
        user: UserKey,
        id: &RequestId,
        how: Settlement,
    ) -> Result<SettleOutcome, LedgerError> {
        Ok(settle::settle(self, user, id, how, false).await?.0)
    }

    async fn settle_then_status(
        &self,
        user: UserKey,
        id: &RequestId,
        how: Settlement,
    ) -> Result<(SettleOutcome, Option<QuotaStatus>), LedgerError> {
        settle::settle(self, user, id, how, true).await
    }

    async fn renew(&self, user: UserKey, id: &RequestId) -> Result<bool, LedgerError> {
        lifecycle::renew(self, user, id).await
    }

    async fn renew_many(&self, held: &[(UserKey, RequestId)]) -> Result<Vec<bool>, LedgerError> {
        lifecycle::renew_many(self, held).await
    }

    async fn reap(&self) -> Result<ReapReport, LedgerError> {
        lifecycle::reap(self).await
    }

    async fn status(&self, user: UserKey) -> Result<QuotaStatus, LedgerError> {
        admin::status(self, user).await
    }

    async fn admitted(&self, user: UserKey, id: &RequestId) -> Result<bool, LedgerError> {
        let mut exists = redis::cmd("EXISTS");
        exists.arg(self.keys.user(user).record(id));
        Ok(self.query::<i64>(&exists).await? == 1)
    }

    async fn adjust_credits(
        &self,
        user: UserKey,
        delta: i64,
        reason: &str,
        actor: Actor,
    ) -> Result<u64, LedgerError> {
        admin::adjust_credits(self, user, delta, reason, actor).await
    }

    async fn set_plan(
        &self,
        user: UserKey,
        plan: Option<&str>,
        days: u32,
        reason: &str,
        actor: Actor,
    ) -> Result<Option<easel_shared::UnixMillis>, LedgerError> {
        admin::set_plan(self, user, plan, days, reason, actor).await
    }

    async fn set_banned(
        &self,
        user: UserKey,
        banned: bool,
        reason: &str,
        actor: Actor,
    ) -> Result<(), LedgerError> {
        admin::set_banned(self, user, banned, reason, actor).await
    }

    async fn usage(&self, user: UserKey, limit: usize) -> Result<Vec<UsageEntry>, LedgerError> {
        admin::usage(self, user, limit).await
    }

    async fn top(&self, days: u32, limit: usize) -> Result<Vec<TopEntry>, LedgerError> {
        admin::top(self, days, limit).await
    }

    async fn spend_today(&self) -> Result<SpendStatus, LedgerError> {
        admin::spend_today(self).await
    }

    async fn spend_days(&self, days: u32) -> Result<Vec<DaySpend>, LedgerError> {
        admin::spend_days(self, days).await
    }

    async fn mint_codes(
        &self,
        spec: &CodeSpec,
        count: u32,
        actor: Actor,
    ) -> Result<Vec<MintedCode>, LedgerError> {
        codes::mint(self, spec, count, actor).await
    }

    async fn redeem(&self, user: UserKey, code: &str) -> Result<Redemption, LedgerError> {
        codes::redeem(self, user, code).await
    }

    async fn revoke_code(&self, id: &str, actor: Actor) -> Result<bool, LedgerError> {
        codes::revoke(self, id, actor).await
    }

    async fn list_codes(&self) -> Result<Vec<CodeInfo>, LedgerError> {
        codes::list(self).await
    }

    async fn audit(&self, limit: usize) -> Result<Vec<AuditEntry>, LedgerError> {
        admin::audit(self, limit).await
    }

    async fn create_api_key(
        &self,
        user: UserKey,
        actor: Actor,
    ) -> Result<MintedApiKey, LedgerError> {
        let minted = api_keys::create(self, user).await?;
        let entry = api_key_audit(
            minted.created_at,
            actor,
            user,
            "apikey-create",
            &minted.prefix,
        );
        admin::push_audit(self, &entry).await;
        Ok(minted)
    }

    async fn api_key_user(&self, key: &str) -> Result<Option<UserKey>, LedgerError> {
        api_keys::resolve(self, key).await
    }

    async fn list_api_keys(&self, user: UserKey) -> Result<Vec<ApiKeyInfo>, LedgerError> {
        api_keys::list(self, user).await
    }

    async fn revoke_api_key(
        &self,
        user: UserKey,
        prefix: &str,
        actor: Actor,
    ) -> Result<bool, LedgerError> {
        let revoked = api_keys::revoke(self, user, prefix).await?;
        if revoked {
            let entry = api_key_audit(self.clock.now(), actor, user, "apikey-revoke", prefix);
            admin::push_audit(self, &entry).await;
        }
        Ok(revoked)
    }

    async fn create_web_session(
        &self,
        user: UserKey,
        admin: bool,
        ttl: Duration,
    ) -> Result<MintedSession, LedgerError> {
        web_sessions::create_session(self, user, admin, ttl).await
    }

    async fn web_session(&self, token: &str) -> Result<Option<WebSession>, LedgerError> {
        web_sessions::session(self, token).await
    }

    async fn end_web_session(&self, token: &str) -> Result<bool, LedgerError> {
        web_sessions::end_session(self, token).await
    }

    async fn create_web_link(
        &self,
        user: UserKey,
        ttl: Duration,
    ) -> Result<MintedLink, LedgerError> {
        web_sessions::create_link(self, user, ttl).await
    }

    async fn take_web_link(&self, token: &str) -> Result<Option<UserKey>, LedgerError> {
        web_sessions::take_link(self, token).await
    }
}
