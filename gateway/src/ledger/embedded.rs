//! Embedded single-file ledger (redb): the default when no Redis is configured.
//!
//! # Group commit: why an acknowledged operation is durable
//!
//! One dedicated writer thread (`writer.rs`) owns every write transaction.
//! Each mutating call (reserve, settle, renew, reap, admin ops, codes) is a
//! closure queued to it; the caller awaits a oneshot. The thread takes all
//! queued closures (up to [`writer::MAX_BATCH`]), runs them one after another
//! inside ONE redb write transaction, commits it with
//! `Durability::Immediate` (fsync before `commit` returns) and only then
//! answers each caller.
//!
//! - Atomicity and exactness: closures run strictly one at a time and each
//!   sees the writes of those before it, so every operation is a serial,
//!   all-or-nothing step: 200 racing reserves for 40 credits admit exactly 40.
//! - Durability: no answer leaves the thread before the fsync of the batch
//!   that contains the operation. A crash (SIGKILL, power loss) at any moment
//!   loses only batches that were never acknowledged; redb's copy-on-write
//!   commit makes the file open at the last committed batch. So: an `Ok(..)`
//!   from `reserve`/`settle`/any write is on disk; nothing acknowledged is
//!   lost. An operation whose batch was in flight at the crash may or may not
//!   have happened, and its caller never got an answer: retrying it is safe
//!   because every step is idempotent by request id. (After an unclean stop
//!   redb checks and repairs the file on the next open, which takes longer
//!   the bigger the file.)
//! - Throughput: one fsync is shared by everything that queued while the
//!   previous one ran, so the more concurrent callers, the bigger the batch.
//!   Each commit writes every B-tree page it touched, so a user's record,
//!   reservations and usage share one key prefix in one table (`tables.rs`):
//!   an operation dirties few pages. See docs/bench/embedded-ledger.md.
//! - Failure: an operation that fails (refused, not found, corrupt row) has
//!   written nothing, because every operation reads and decides before its
//!   first write; so it cannot disturb the others in its batch. Denials write
//!   nothing either, except the once-a-day "admins were told" budget flag. A
//!   storage error (or a panic) aborts the whole transaction and every caller
//!   in that batch gets `Unavailable` (fail closed: none of it happened).
//!
//! Reads (status, usage, top, spend, codes, audit) use redb read transactions
//! on the blocking pool; they see every acknowledged write. Dropping the
//! ledger lets the writer finish what is queued, then closes the file.
//!
//! The per-user quota rules are pure functions in `user.rs`; the layout of
//! the tables is in `tables.rs`.

mod admin;
mod api_keys;
mod codes;
mod read;
mod records;
mod reserve;
mod settle;
mod tables;
mod user;
mod web_sessions;
mod windows;
mod writer;

use std::path::Path;
use std::sync::Arc;

use async_trait::async_trait;
use easel_shared::admin::{
    Actor, AuditEntry, CodeInfo, CodeSpec, DaySpend, MintedCode, Redemption, SpendStatus, TopEntry,
    UsageEntry,
};
use easel_shared::apikey::{ApiKeyInfo, MintedApiKey};
use easel_shared::config::Config;
use easel_shared::{QuotaStatus, RequestId, UnixMillis, UserKey};
use redb::{Database, ReadTransaction, ReadableDatabase};

use self::tables::Io;
use self::writer::Writer;
use super::web_session::{MintedLink, MintedSession, WebSession};
use super::{
    Admission, Clock, Ledger, LedgerError, ReapReport, ReserveRequest, SettleOutcome, Settlement,
    SharedConfig,
};

/// The single-file ledger. Every `Ok` it returns from a write is already
/// durable on disk (see the module docs); one process may open a file at a time.
pub struct EmbeddedLedger {
    // Declared first so it drops (and closes its transaction) before `db`.
    writer: Writer,
    db: Arc<Database>,
    config: SharedConfig,
    clock: Clock,
}

impl EmbeddedLedger {
    /// Opens the ledger file at `path`, creating it if missing. After a crash
    /// the file opens at its last committed batch (redb repairs it if needed).
    pub fn open(path: &Path, config: SharedConfig, clock: Clock) -> Result<Self, LedgerError> {
        let db = Database::create(path).map_err(|e| {
            LedgerError::Unavailable(format!(
                "embedded ledger: cannot open {}: {e}",
                path.display()
            ))
        })?;
        tables::create_all(&db)?;
        let db = Arc::new(db);
        let writer = Writer::start(db.clone(), config.clone(), clock.clone())?;
        Ok(Self {
            writer,
            db,
            config,
            clock,
        })
    }

    /// Runs `f` in a read transaction on the blocking pool.
    async fn read<T, F>(&self, f: F) -> Result<T, LedgerError>
    where
        T: Send + 'static,
        F: FnOnce(&ReadTransaction, &Config, UnixMillis) -> Result<T, LedgerError> + Send + 'static,
    {
        let db = self.db.clone();
        let config = self.config.load_full();
        let clock = self.clock.clone();
        tokio::task::spawn_blocking(move || {
            let txn = db.begin_read().io()?;
            f(&txn, &config, clock.now())
        })
        .await
        .map_err(|e| LedgerError::Unavailable(format!("embedded ledger: read task: {e}")))?
    }
}

#[async_trait]
impl Ledger for EmbeddedLedger {
    async fn reserve(&self, req: &ReserveRequest) -> Result<Admission, LedgerError> {
        let req = req.clone();
        self.writer
            .submit(move |tx| reserve::reserve(tx, &req))
            .await
    }

    async fn settle(
        &self,
        user: UserKey,
        id: &RequestId,
        how: Settlement,
    ) -> Result<SettleOutcome, LedgerError> {
        let id = id.clone();
        self.writer
            .submit(move |tx| settle::settle(tx, user, &id, how))
            .await
    }

    async fn renew(&self, user: UserKey, id: &RequestId) -> Result<bool, LedgerError> {
        let id = id.clone();
        self.writer
            .submit(move |tx| settle::renew(tx, user, &id))
            .await
    }

    async fn reap(&self) -> Result<ReapReport, LedgerError> {
        self.writer.submit(settle::reap).await
    }

    async fn status(&self, user: UserKey) -> Result<QuotaStatus, LedgerError> {
        self.read(move |txn, config, now| read::status(txn, config, user, now))
            .await
    }

    async fn admitted(&self, user: UserKey, id: &RequestId) -> Result<bool, LedgerError> {
        let key = tables::res_key(user, id);
        self.read(move |txn, _, _| {
            let table = txn.open_table(tables::ACCOUNTS).io()?;
            Ok(table.get(key.as_str()).io()?.is_some())
        })
        .await
    }

    async fn adjust_credits(
        &self,
        user: UserKey,
        delta: i64,
        reason: &str,
        actor: Actor,
    ) -> Result<u64, LedgerError> {
        let reason = reason.to_owned();
        self.writer
            .submit(move |tx| admin::adjust_credits(tx, user, delta, &reason, actor))
            .await
    }

    async fn set_plan(
        &self,
        user: UserKey,
        plan: Option<&str>,
        days: u32,
        reason: &str,
        actor: Actor,
    ) -> Result<Option<UnixMillis>, LedgerError> {
        let (plan, reason) = (plan.map(str::to_owned), reason.to_owned());
        self.writer
            .submit(move |tx| admin::set_plan(tx, user, plan.as_deref(), days, &reason, actor))
            .await
    }

    async fn set_banned(
        &self,
        user: UserKey,
        banned: bool,
        reason: &str,
        actor: Actor,
    ) -> Result<(), LedgerError> {
        let reason = reason.to_owned();
        self.writer
            .submit(move |tx| admin::set_banned(tx, user, banned, &reason, actor))
            .await
    }

    async fn usage(&self, user: UserKey, limit: usize) -> Result<Vec<UsageEntry>, LedgerError> {
        self.read(move |txn, _, _| read::usage(txn, user, limit))
            .await
    }

    async fn top(&self, days: u32, limit: usize) -> Result<Vec<TopEntry>, LedgerError> {
        if days == 0 {
            return Ok(Vec::new());
        }
        self.read(move |txn, _, now| read::top(txn, now.day(), days, limit))
            .await
    }

    async fn spend_today(&self) -> Result<SpendStatus, LedgerError> {
        self.read(read::spend_today).await
    }

    async fn spend_days(&self, days: u32) -> Result<Vec<DaySpend>, LedgerError> {
        self.read(move |txn, _, now| read::spend_days(txn, now.day(), days))
            .await
    }

    async fn mint_codes(
        &self,
        spec: &CodeSpec,
        count: u32,
        actor: Actor,
    ) -> Result<Vec<MintedCode>, LedgerError> {
        let spec = spec.clone();
        self.writer
            .submit(move |tx| codes::mint(tx, &spec, count, actor))
            .await
    }

    async fn redeem(&self, user: UserKey, code: &str) -> Result<Redemption, LedgerError> {
        let code = code.to_owned();
        self.writer
            .submit(move |tx| codes::redeem(tx, user, &code))
            .await
    }

    async fn revoke_code(&self, id: &str, actor: Actor) -> Result<bool, LedgerError> {
        let id = id.to_owned();
        self.writer
            .submit(move |tx| codes::revoke(tx, &id, actor))
            .await
    }

    async fn list_codes(&self) -> Result<Vec<CodeInfo>, LedgerError> {
        self.read(|txn, _, _| read::list_codes(txn)).await
    }

    async fn audit(&self, limit: usize) -> Result<Vec<AuditEntry>, LedgerError> {
        self.read(move |txn, _, _| read::audit(txn, limit)).await
    }

    async fn create_api_key(
        &self,
        user: UserKey,
        actor: Actor,
    ) -> Result<MintedApiKey, LedgerError> {
        self.writer
            .submit(move |tx| api_keys::create(tx, user, actor))
            .await
    }

    async fn api_key_user(&self, key: &str) -> Result<Option<UserKey>, LedgerError> {
        let key = key.to_owned();
        self.read(move |txn, _, _| api_keys::resolve(txn, &key))
            .await
    }

    async fn list_api_keys(&self, user: UserKey) -> Result<Vec<ApiKeyInfo>, LedgerError> {
        self.read(move |txn, _, _| api_keys::list(txn, user)).await
    }

    async fn revoke_api_key(
        &self,
        user: UserKey,
        prefix: &str,
        actor: Actor,
    ) -> Result<bool, LedgerError> {
        let prefix = prefix.to_owned();
        self.writer
            .submit(move |tx| api_keys::revoke(tx, user, &prefix, actor))
            .await
    }

    async fn create_web_session(
        &self,
        user: UserKey,
        admin: bool,
        ttl: std::time::Duration,
    ) -> Result<MintedSession, LedgerError> {
        self.writer
            .submit(move |tx| web_sessions::create_session(tx, user, admin, ttl))
            .await
    }

    async fn web_session(&self, token: &str) -> Result<Option<WebSession>, LedgerError> {
        let token = token.to_owned();
        self.read(move |txn, _, now| web_sessions::session(txn, &token, now))
            .await
    }

    async fn end_web_session(&self, token: &str) -> Result<bool, LedgerError> {
        let token = token.to_owned();
        self.writer
            .submit(move |tx| web_sessions::end_session(tx, &token))
            .await
    }

    async fn create_web_link(
        &self,
        user: UserKey,
        ttl: std::time::Duration,
    ) -> Result<MintedLink, LedgerError> {
        self.writer
            .submit(move |tx| web_sessions::create_link(tx, user, ttl))
            .await
    }

    async fn take_web_link(&self, token: &str) -> Result<Option<UserKey>, LedgerError> {
        let token = token.to_owned();
        self.writer
            .submit(move |tx| web_sessions::take_link(tx, &token))
            .await
    }
}
