//! The quota ledger: who may spend what, exactly, across every replica.
//!
//! A request's life: [`Ledger::reserve`] (atomic: every plan window, the
//! in-flight cap and the prepaid credit balance, all or nothing), then
//! [`Ledger::settle`] with what was actually delivered (the rest is refunded to
//! where it was charged from) or a full refund on failure. A reservation has a
//! lease the worker renews ([`Ledger::renew`]); [`Ledger::reap`] refunds
//! reservations whose worker vanished. Every step is idempotent by request id.
//!
//! Two implementations pass one conformance suite (`tests/tests/ledger.rs`):
//! [`redis::RedisLedger`] (Lua scripts, shared by replicas) and
//! [`embedded::EmbeddedLedger`] (a single redb file, for one-machine installs).
//!
//! Invariant: the ledger knows nothing about images, prompts or platforms.

pub mod api_key;
pub mod clock;
pub mod code;
pub mod embedded;
pub mod outbox;
pub mod redis;
pub mod web_session;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use easel_shared::admin::{
    Actor, AuditEntry, CodeInfo, CodeSpec, DaySpend, MintedCode, Redemption, SpendStatus, TopEntry,
    UsageEntry,
};
use easel_shared::apikey::{ApiKeyInfo, MintedApiKey};
use easel_shared::config::Config;
use easel_shared::render::Quality;
use easel_shared::{Denial, QuotaStatus, Refusal, RequestId, UnixMillis, UserKey};
use serde::{Deserialize, Serialize};

pub use api_key::KeyClaim;
pub use clock::Clock;
pub use web_session::{MintedLink, MintedSession, WebSession};

/// The live configuration: swapped whole on reload, read lock-free.
pub type SharedConfig = Arc<arc_swap::ArcSwap<Config>>;

/// What a frontend asks the ledger to hold for one request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReserveRequest {
    /// Derived from the platform event, so a redelivery is the same request.
    pub id: RequestId,
    /// Who pays.
    pub user: UserKey,
    /// Images asked for (settle may deliver fewer).
    pub images: u32,
    /// Credits per image (from the cost table); the reservation is `images * credits_per_image`.
    pub credits_per_image: u32,
    /// Estimated cost to the operator, held against the daily spend cap.
    pub est_cost_micros: u64,
    /// Which backend is expected to serve it (for per-backend spend).
    pub backend: String,
    /// The quality asked for: the plan's `qualities` are checked inside the
    /// reserve step, against the plan in effect at that instant.
    pub quality: Quality,
    /// Whether the request edits input images (plans may forbid editing).
    pub edit: bool,
    /// Whether the reserve also checks the safety cooldown and takes the
    /// plan's burst cell, inside its own atomic step and after every other
    /// check (a pass from a pre-check means the cell is paid). Only a ledger
    /// that keeps the limits ([`Ledger::shared_limits`] is `Some`) reads it;
    /// the gatekeeper checks both itself before any other ledger's reserve.
    #[serde(default)]
    pub guard: bool,
    /// The API key the request came with, when the caller matched it to
    /// `user` from memory instead of asking the store: the reserve refuses
    /// with `Denial::KeyRevoked` (first, holding nothing) unless the user's
    /// key index still holds it, so a revoked key is refused exactly.
    #[serde(default)]
    pub key: Option<KeyClaim>,
}

impl ReserveRequest {
    /// Credits the whole request needs.
    pub fn credits(&self) -> u64 {
        u64::from(self.images) * u64::from(self.credits_per_image)
    }
}

/// A granted reservation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reservation {
    /// The request it belongs to.
    pub id: RequestId,
    /// Who pays.
    pub user: UserKey,
    /// Images reserved.
    pub images: u32,
    /// Credits taken from the plan windows.
    pub from_windows: u32,
    /// Credits taken from the prepaid balance.
    pub from_credits: u32,
    /// The lease expires here unless renewed.
    pub lease_until: UnixMillis,
    /// True when this answer is a replay of an earlier reserve with the same id.
    pub replayed: bool,
    /// The queue priority of the plan the reserve admitted under (0 for a replay).
    #[serde(default)]
    pub priority: u8,
}

/// The answer to a reserve.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "admission", rename_all = "snake_case")]
pub enum Admission {
    /// Held: run the job, then settle.
    Admitted(Reservation),
    /// Refused, nothing charged; `notify_admins` is true exactly once per
    /// day, when the spend cap is first hit.
    Denied(Refusal),
}

/// How a job ended, as reported to [`Ledger::settle`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum Settlement {
    /// `images` were delivered (0..=reserved); the rest is refunded.
    Delivered {
        /// Images the user received.
        images: u32,
        /// What the job cost the operator.
        cost_micros: u64,
    },
    /// Nothing was delivered: refund everything.
    Failed,
}

/// What a settle did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum SettleOutcome {
    /// First settle: `charged` credits kept, `refunded` returned.
    Settled {
        /// Credits finally charged.
        charged: u32,
        /// Credits given back (to the windows or the prepaid balance).
        refunded: u32,
    },
    /// Already settled earlier; nothing changed.
    AlreadySettled,
    /// The reaper (or an earlier refund) got there first; nothing changed. Counted.
    AlreadyRefunded,
    /// No such reservation (never made, or older than the retention).
    Unknown,
}

/// What one reaper pass did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ReapReport {
    /// Reservations refunded because their lease expired.
    pub refunded: u32,
    /// Leases looked at that turned out alive or already finished.
    pub skipped: u32,
}

/// Why the ledger could not answer. Frontends show `Unavailable` as
/// "temporarily unavailable, nothing was charged" (fail closed).
#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    /// The store cannot be reached or failed mid-operation.
    #[error("quota store unavailable: {0}")]
    Unavailable(String),
    /// A name that must exist does not (e.g. a plan missing from the config).
    #[error("not found: {0}")]
    NotFound(String),
    /// The admin asked for something impossible (e.g. deduct more than the balance).
    #[error("refused: {0}")]
    Refused(String),
    /// Stored data does not parse; a bug or a foreign writer.
    #[error("corrupt ledger data: {0}")]
    Corrupt(String),
}

/// Quota state shared by every replica. See the module docs for the lifecycle.
#[async_trait]
pub trait Ledger: Send + Sync + 'static {
    /// Atomically holds credits for a request, or says why not. Replaying an
    /// admitted id returns the first answer (`replayed: true`) and charges nothing more.
    async fn reserve(&self, req: &ReserveRequest) -> Result<Admission, LedgerError>;

    /// Finishes a reservation. Idempotent: only the first settle or refund counts.
    async fn settle(
        &self,
        user: UserKey,
        id: &RequestId,
        how: Settlement,
    ) -> Result<SettleOutcome, LedgerError>;

    /// [`Ledger::settle`], then the user's quota as it stands after it (the
    /// job's last event shows it): one round trip on Redis. The status is
    /// `None` if it could not be read; the settle's outcome stands.
    async fn settle_then_status(
        &self,
        user: UserKey,
        id: &RequestId,
        how: Settlement,
    ) -> Result<(SettleOutcome, Option<QuotaStatus>), LedgerError> {
        let outcome = self.settle(user, id, how).await?;
        Ok((outcome, self.status(user).await.ok()))
    }

    /// Whether the ledger holds a reservation for request `id` of `user`
    /// (running, or finished within the record retention): a redelivered
    /// request that the pre-check answers as the duplicate it is, before
    /// anything is downloaded. `reserve` stays the decision (`replayed`).
    async fn admitted(&self, user: UserKey, id: &RequestId) -> Result<bool, LedgerError>;

    /// Extends a running reservation's lease; false if it is no longer pending.
    async fn renew(&self, user: UserKey, id: &RequestId) -> Result<bool, LedgerError>;

    /// Extends every lease of `held` at once (one round trip on Redis), in
    /// order: `false` where the reservation is no longer pending.
    async fn renew_many(&self, held: &[(UserKey, RequestId)]) -> Result<Vec<bool>, LedgerError> {
        let mut out = Vec::with_capacity(held.len());
        for (user, id) in held {
            out.push(self.renew(*user, id).await?);
        }
        Ok(out)
    }

    /// Refunds reservations whose lease expired. Safe to run from several replicas.
    async fn reap(&self) -> Result<ReapReport, LedgerError>;

    /// The user's windows, credits, plan and ban state right now.
    async fn status(&self, user: UserKey) -> Result<QuotaStatus, LedgerError>;

    /// Adds (`delta > 0`) or removes prepaid credits; returns the new balance.
    /// Removing more than the balance is `Refused`.
    async fn adjust_credits(
        &self,
        user: UserKey,
        delta: i64,
        reason: &str,
        actor: Actor,
    ) -> Result<u64, LedgerError>;

    /// Assigns a plan for `days` (0 = forever), extending it if the user already
    /// has the same timed plan; a plan held forever stays so (a redeemed
    /// 30-day code never shortens it). `None` returns the user to the
    /// default. Returns the expiry.
    async fn set_plan(
        &self,
        user: UserKey,
        plan: Option<&str>,
        days: u32,
        reason: &str,
        actor: Actor,
    ) -> Result<Option<UnixMillis>, LedgerError>;

    /// Bans or unbans a user.
    async fn set_banned(
        &self,
        user: UserKey,
        banned: bool,
        reason: &str,
        actor: Actor,
    ) -> Result<(), LedgerError>;

    /// The user's most recent finished requests, newest first.
    async fn usage(&self, user: UserKey, limit: usize) -> Result<Vec<UsageEntry>, LedgerError>;

    /// Users by credits charged over the last `days` UTC days (today included), most first.
    /// A request counts on the day it was reserved (like its spend).
    async fn top(&self, days: u32, limit: usize) -> Result<Vec<TopEntry>, LedgerError>;

    /// Today's spend against the cap.
    async fn spend_today(&self) -> Result<SpendStatus, LedgerError>;

    /// The last `days` UTC days (today included, at most [`SPEND_DAYS_KEPT`]),
    /// oldest first, a row for every day (zeros where nothing happened).
    async fn spend_days(&self, days: u32) -> Result<Vec<DaySpend>, LedgerError>;

    /// Creates `count` codes; the plaintexts are returned once and never stored.
    async fn mint_codes(
        &self,
        spec: &CodeSpec,
        count: u32,
        actor: Actor,
    ) -> Result<Vec<MintedCode>, LedgerError>;

    /// Redeems a code for a user: at most once per user, at most `max_uses`
    /// users. A plan code never cuts a plan of the same or higher priority
    /// short: that is `Redemption::PlanHeld` and the use is not taken
    /// (docs/ledger.md, "Codes").
    async fn redeem(&self, user: UserKey, code: &str) -> Result<Redemption, LedgerError>;

    /// Revokes a code by its short id; false if there is no such code.
    async fn revoke_code(&self, id: &str, actor: Actor) -> Result<bool, LedgerError>;

    /// Every code with its usage, newest first.
    async fn list_codes(&self) -> Result<Vec<CodeInfo>, LedgerError>;

    /// The most recent admin changes, newest first.
    async fn audit(&self, limit: usize) -> Result<Vec<AuditEntry>, LedgerError>;

    /// The store admission keeps burst cells, passes, redeem attempts and
    /// safety blocks in, when this ledger is shared by replicas (Redis):
    /// then every replica limits as one. `None` (the default): admission
    /// keeps them in process memory.
    fn shared_limits(self: Arc<Self>) -> Option<Arc<dyn crate::admission::Limits>> {
        None
    }

    // API keys of the `/v1` API live in the ledger because the ledger's
    // store never evicts (the result store may). The defaults refuse, so a
    // ledger without key support fails closed (no key ever resolves).

    /// Creates an API key drawing on `user`'s account; its secret is
    /// returned once and only its SHA-256 is stored. `Refused` when the user
    /// already holds [`api_key::MAX_KEYS_PER_USER`] keys.
    async fn create_api_key(
        &self,
        user: UserKey,
        actor: Actor,
    ) -> Result<MintedApiKey, LedgerError> {
        let _ = (user, actor);
        Err(LedgerError::Unavailable(
            "this ledger stores no API keys".into(),
        ))
    }

    /// The user a presented key belongs to (`None`: unknown or revoked).
    async fn api_key_user(&self, key: &str) -> Result<Option<UserKey>, LedgerError> {
        let _ = key;
        Err(LedgerError::Unavailable(
            "this ledger stores no API keys".into(),
        ))
    }

    /// The user's keys (visible prefix and creation time), oldest first.
    async fn list_api_keys(&self, user: UserKey) -> Result<Vec<ApiKeyInfo>, LedgerError> {
        let _ = user;
        Err(LedgerError::Unavailable(
            "this ledger stores no API keys".into(),
        ))
    }

    /// Revokes the user's key with this visible prefix; false if the user
    /// has no such key. Takes effect for the next request.
    async fn revoke_api_key(
        &self,
        user: UserKey,
        prefix: &str,
        actor: Actor,
    ) -> Result<bool, LedgerError> {
        let _ = (user, prefix, actor);
        Err(LedgerError::Unavailable(
            "this ledger stores no API keys".into(),
        ))
    }

    // Web sign-in (`web_session.rs`): sessions and one-time links live in
    // the ledger for the same reason as API keys, and so every replica
    // honours them. The defaults refuse: no session ever resolves.

    /// Starts a browser session for `user` lasting `ttl`; the token is
    /// returned once and only its SHA-256 is stored.
    async fn create_web_session(
        &self,
        user: UserKey,
        admin: bool,
        ttl: Duration,
    ) -> Result<MintedSession, LedgerError> {
        let _ = (user, admin, ttl);
        Err(no_web())
    }

    /// The live session a presented token belongs to (`None`: unknown,
    /// ended or expired).
    async fn web_session(&self, token: &str) -> Result<Option<WebSession>, LedgerError> {
        let _ = token;
        Err(no_web())
    }

    /// Ends a session (sign-out); false if it was not live.
    async fn end_web_session(&self, token: &str) -> Result<bool, LedgerError> {
        let _ = token;
        Err(no_web())
    }

    /// Makes a one-time sign-in link for `user`, unused for at most `ttl`.
    async fn create_web_link(
        &self,
        user: UserKey,
        ttl: Duration,
    ) -> Result<MintedLink, LedgerError> {
        let _ = (user, ttl);
        Err(no_web())
    }

    /// Consumes a link: the first call with a live token gets its user,
    /// every later call (or an expired or unknown token) `None`. Atomic, so
    /// two browsers racing for one link cannot both win.
    async fn take_web_link(&self, token: &str) -> Result<Option<UserKey>, LedgerError> {
        let _ = token;
        Err(no_web())
    }
}

/// What a ledger without web sign-in support answers.
fn no_web() -> LedgerError {
    LedgerError::Unavailable("this ledger stores no web sessions".into())
}

/// The refusal a request gets before anything is held when its estimated
/// cost is above `spend.max_request_micros` (both ledgers call this first).
/// How many days of spend and credits the ledgers keep for [`Ledger::spend_days`].
pub const SPEND_DAYS_KEPT: u32 = 31;

/// The days `spend_days(days)` covers, oldest first.
pub(crate) fn day_range(today: i64, days: u32) -> std::ops::RangeInclusive<i64> {
    let days = i64::from(days.min(SPEND_DAYS_KEPT));
    (today - days + 1)..=today
}

pub(crate) fn too_costly(config: &Config, req: &ReserveRequest) -> Option<Admission> {
    let max = config.spend.max_request_micros;
    (max > 0 && req.est_cost_micros > max)
        .then_some(Admission::Denied(Refusal::quiet(Denial::TooCostly)))
}

/// Opens the ledger the configuration asks for: Redis when `ledger.redis_url`
/// is set, else the embedded file. Logs loudly when Redis may lose quota state.
pub async fn open(config: &SharedConfig, clock: Clock) -> Result<Arc<dyn Ledger>, LedgerError> {
    let ledger_config = config.load().ledger.clone();
    if ledger_config.redis_url.is_empty() {
        let path = std::path::PathBuf::from(&ledger_config.path);
        tracing::info!(path = %path.display(), "using the embedded ledger");
        let ledger = embedded::EmbeddedLedger::open(&path, config.clone(), clock)?;
        return Ok(Arc::new(ledger));
    }
    let ledger = redis::RedisLedger::connect(
        &ledger_config.redis_url,
        &ledger_config.key_prefix,
        config.clone(),
        clock,
    )
    .await?;
    for warning in ledger.check_server().await {
        tracing::warn!("{warning}");
    }
    tracing::info!("using the Redis ledger");
    Ok(Arc::new(ledger))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Regression: folding the refusal into `Refusal` kept the wire form a
    /// flat object beside the tag, as before.
    #[test]
    fn a_denied_admission_keeps_its_flat_serde_form() {
        let denied = Admission::Denied(Refusal {
            denial: Denial::Banned,
            notify_admins: true,
        });
        let json = serde_json::to_value(&denied).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "admission": "denied",
                "denial": {"reason": "banned"},
                "notify_admins": true,
            })
        );
        assert_eq!(serde_json::from_value::<Admission>(json).unwrap(), denied);
    }
}
