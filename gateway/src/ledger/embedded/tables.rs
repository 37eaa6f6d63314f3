//! The redb tables, their keys, and typed access to them inside one write
//! transaction ([`Tx`]).
//!
//! Rule for every operation built on [`Tx`]: read and decide first, write
//! last. Only storage failures ([`LedgerError::Unavailable`]) may happen
//! after the first write; they abort the whole batch (see `writer.rs`), so an
//! operation never leaves half of itself behind.

use std::sync::Arc;

use easel_shared::admin::{AuditEntry, UsageEntry};
use easel_shared::config::Config;
use easel_shared::{RequestId, UnixMillis, UserKey};
use redb::{Database, ReadableTable, Table, TableDefinition, WriteTransaction};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::records::{ReservationRecord, SpendDay, UserRecord};
use crate::ledger::{Clock, LedgerError};

/// Everything of one user under keys that start with the user key, so one
/// user's rows share leaf pages and an operation rewrites few pages:
/// `<user>` -> [`UserRecord`], `<user>|<id>` -> [`ReservationRecord`],
/// `<user>#<seq, 20 digits>` -> [`UsageEntry`]. (`#` and `|` sort apart from
/// the digits of a longer user id, so each kind is one contiguous range.)
pub(crate) const ACCOUNTS: TableDefinition<&str, &[u8]> = TableDefinition::new("accounts");
/// (user, time, request id) -> window credits still charged: the rolling
/// log, one user's charges contiguous and in time order (`super::windows`).
pub(crate) const CHARGES: TableDefinition<(&str, i64, &str), u32> = TableDefinition::new("charges");
/// (lease_until, `<user>|<id>`) for pending reservations: the reaper's index.
pub(crate) const LEASES: TableDefinition<(i64, &str), ()> = TableDefinition::new("leases");
/// (time, `<user>|<id>`) for every reservation: what to prune, oldest first.
pub(crate) const KEPT: TableDefinition<(i64, &str), ()> = TableDefinition::new("kept");
/// seq -> [`AuditEntry`].
pub(crate) const AUDIT: TableDefinition<u64, &[u8]> = TableDefinition::new("audit");
/// UTC day -> [`SpendDay`].
pub(crate) const SPEND: TableDefinition<i64, &[u8]> = TableDefinition::new("spend");
/// (UTC day, user) -> credits charged for the requests reserved that day.
pub(crate) const TOP: TableDefinition<(i64, &str), u64> = TableDefinition::new("top");
/// code hash -> [`super::records::CodeRecord`].
pub(crate) const CODES: TableDefinition<&str, &[u8]> = TableDefinition::new("codes");
/// short code id -> code hash.
pub(crate) const CODE_IDS: TableDefinition<&str, &str> = TableDefinition::new("code_ids");
/// (code hash, user) -> (): who redeemed a code. One marker row per use, so a
/// redemption writes a constant amount however many uses a code has.
pub(crate) const CODE_USERS: TableDefinition<(&str, &str), ()> = TableDefinition::new("code_users");
/// API key hash -> owner (`super::api_keys`).
pub(crate) const API_KEYS: TableDefinition<&str, &[u8]> = TableDefinition::new("api_keys");
/// `<user>|<visible prefix>` -> the key's hash and creation time: a user's
/// keys are one contiguous range.
pub(crate) const API_KEY_IDS: TableDefinition<&str, &[u8]> = TableDefinition::new("api_key_ids");
/// Web session token hash -> [`crate::ledger::WebSession`] (`super::web_sessions`).
pub(crate) const WEB_SESSIONS: TableDefinition<&str, &[u8]> = TableDefinition::new("web_sessions");
/// Sign-in link token hash -> [`crate::ledger::web_session::LinkRecord`].
pub(crate) const WEB_LINKS: TableDefinition<&str, &[u8]> = TableDefinition::new("web_links");
/// (expires_at, `s:<hash>` or `l:<hash>`) -> (): what to prune, oldest first.
pub(crate) const WEB_EXPIRY: TableDefinition<(i64, &str), ()> = TableDefinition::new("web_expiry");

/// Usage entries kept per user.
pub(crate) const USAGE_KEEP: u64 = 1000;
/// Audit entries kept.
pub(crate) const AUDIT_KEEP: u64 = 10_000;

/// Maps any redb failure to `Unavailable`: the batch it happens in is lost.
pub(crate) trait Io<T> {
    /// The value, or `Unavailable` naming what failed.
    fn io(self) -> Result<T, LedgerError>;
}

impl<T, E: Into<redb::Error>> Io<T> for Result<T, E> {
    fn io(self) -> Result<T, LedgerError> {
        self.map_err(|e| LedgerError::Unavailable(format!("embedded ledger: {}", e.into())))
    }
}

/// The reservation key: user keys never contain `|`, request ids cannot.
pub(crate) fn res_key(user: UserKey, id: &RequestId) -> String {
    format!("{user}|{id}")
}

/// A usage entry's key: zero-padded so keys sort by sequence number.
pub(crate) fn usage_key(user: UserKey, seq: u64) -> String {
    format!("{user}#{seq:020}")
}

/// Splits a reservation key back into its user and id.
pub(crate) fn parse_res_key(key: &str) -> Option<(UserKey, RequestId)> {
    let (user, id) = key.split_once('|')?;
    Some((user.parse().ok()?, RequestId::new(id).ok()?))
}

/// Parses a stored value; a failure names the row, never its content.
pub(crate) fn decode<T: DeserializeOwned>(what: &str, bytes: &[u8]) -> Result<T, LedgerError> {
    serde_json::from_slice(bytes).map_err(|e| LedgerError::Corrupt(format!("{what}: {e}")))
}

/// Serializes a value. Our own types always serialize; if one ever did not,
/// failing the batch is the safe answer.
pub(crate) fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>, LedgerError> {
    serde_json::to_vec(value)
        .map_err(|e| LedgerError::Unavailable(format!("embedded ledger: encode: {e}")))
}

/// Reads a JSON row of a string-keyed table (write or read transaction).
pub(crate) fn get_json<T: DeserializeOwned>(
    table: &impl ReadableTable<&'static str, &'static [u8]>,
    what: &str,
    key: &str,
) -> Result<Option<T>, LedgerError> {
    match table.get(key).io()? {
        Some(guard) => decode(&format!("{what} {key}"), guard.value()).map(Some),
        None => Ok(None),
    }
}

/// Creates every table so read transactions never meet a missing one.
pub(crate) fn create_all(db: &Database) -> Result<(), LedgerError> {
    let txn = db.begin_write().io()?;
    {
        txn.open_table(ACCOUNTS).io()?;
        txn.open_table(CHARGES).io()?;
        txn.open_table(LEASES).io()?;
        txn.open_table(KEPT).io()?;
        txn.open_table(AUDIT).io()?;
        txn.open_table(SPEND).io()?;
        txn.open_table(TOP).io()?;
        txn.open_table(CODES).io()?;
        txn.open_table(CODE_IDS).io()?;
        txn.open_table(CODE_USERS).io()?;
        txn.open_table(API_KEYS).io()?;
        txn.open_table(API_KEY_IDS).io()?;
        txn.open_table(WEB_SESSIONS).io()?;
        txn.open_table(WEB_LINKS).io()?;
        txn.open_table(WEB_EXPIRY).io()?;
    }
    txn.commit().io()
}

/// Every table of one write transaction, open for a whole batch, plus the
/// configuration and clock the operations decide with.
pub(crate) struct Tx<'t> {
    pub(crate) accounts: Table<'t, &'static str, &'static [u8]>,
    pub(crate) charges: Table<'t, (&'static str, i64, &'static str), u32>,
    pub(crate) leases: Table<'t, (i64, &'static str), ()>,
    pub(crate) kept: Table<'t, (i64, &'static str), ()>,
    pub(crate) audit: Table<'t, u64, &'static [u8]>,
    pub(crate) spend: Table<'t, i64, &'static [u8]>,
    pub(crate) top: Table<'t, (i64, &'static str), u64>,
    pub(crate) codes: Table<'t, &'static str, &'static [u8]>,
    pub(crate) code_ids: Table<'t, &'static str, &'static str>,
    pub(crate) code_users: Table<'t, (&'static str, &'static str), ()>,
    pub(crate) api_keys: Table<'t, &'static str, &'static [u8]>,
    pub(crate) api_key_ids: Table<'t, &'static str, &'static [u8]>,
    pub(crate) web_sessions: Table<'t, &'static str, &'static [u8]>,
    pub(crate) web_links: Table<'t, &'static str, &'static [u8]>,
    pub(crate) web_expiry: Table<'t, (i64, &'static str), ()>,
    /// The configuration as loaded when the batch started.
    pub(crate) config: Arc<Config>,
    clock: Clock,
}

impl<'t> Tx<'t> {
    /// Opens every table of `txn`.
    pub(crate) fn open(
        txn: &'t WriteTransaction,
        config: Arc<Config>,
        clock: Clock,
    ) -> Result<Self, LedgerError> {
        Ok(Self {
            accounts: txn.open_table(ACCOUNTS).io()?,
            charges: txn.open_table(CHARGES).io()?,
            leases: txn.open_table(LEASES).io()?,
            kept: txn.open_table(KEPT).io()?,
            audit: txn.open_table(AUDIT).io()?,
            spend: txn.open_table(SPEND).io()?,
            top: txn.open_table(TOP).io()?,
            codes: txn.open_table(CODES).io()?,
            code_ids: txn.open_table(CODE_IDS).io()?,
            code_users: txn.open_table(CODE_USERS).io()?,
            api_keys: txn.open_table(API_KEYS).io()?,
            api_key_ids: txn.open_table(API_KEY_IDS).io()?,
            web_sessions: txn.open_table(WEB_SESSIONS).io()?,
            web_links: txn.open_table(WEB_LINKS).io()?,
            web_expiry: txn.open_table(WEB_EXPIRY).io()?,
            config,
            clock,
        })
    }

    /// The ledger's now, read per operation.
    pub(crate) fn now(&self) -> UnixMillis {
        self.clock.now()
    }

    /// The user's record (a fresh default for a user never seen). A record
    /// from before the `charges` table has its log moved there now, in this
    /// transaction, record and charges together.
    pub(crate) fn user(&mut self, user: UserKey) -> Result<UserRecord, LedgerError> {
        let key = user.to_string();
        let mut rec: UserRecord = get_json(&self.accounts, "user", &key)?.unwrap_or_default();
        if !rec.log.is_empty() {
            for c in std::mem::take(&mut rec.log) {
                self.charges
                    .insert((key.as_str(), c.t.0, c.id.as_str()), c.c)
                    .io()?;
            }
            rec.sums.clear();
            self.put_user(user, &rec)?;
        }
        Ok(rec)
    }

    /// Stores the user's record.
    pub(crate) fn put_user(&mut self, user: UserKey, rec: &UserRecord) -> Result<(), LedgerError> {
        let key = user.to_string();
        self.accounts
            .insert(key.as_str(), encode(rec)?.as_slice())
            .io()?;
        Ok(())
    }

    /// A reservation by its key.
    pub(crate) fn reservation(&self, key: &str) -> Result<Option<ReservationRecord>, LedgerError> {
        get_json(&self.accounts, "reservation", key)
    }

    /// Stores a reservation.
    pub(crate) fn put_reservation(
        &mut self,
        key: &str,
        rec: &ReservationRecord,
    ) -> Result<(), LedgerError> {
        self.accounts.insert(key, encode(rec)?.as_slice()).io()?;
        Ok(())
    }

    /// A day's spend (zero if nothing happened that day).
    pub(crate) fn spend_day(&self, day: i64) -> Result<SpendDay, LedgerError> {
        match self.spend.get(day).io()? {
            Some(g) => decode(&format!("spend {day}"), g.value()),
            None => Ok(SpendDay::default()),
        }
    }

    /// Stores a day's spend.
    pub(crate) fn put_spend_day(&mut self, day: i64, rec: &SpendDay) -> Result<(), LedgerError> {
        self.spend.insert(day, encode(rec)?.as_slice()).io()?;
        Ok(())
    }

    /// Appends to the user's usage log (the caller stores `rec` afterwards)
    /// and forgets the entry that falls out of the kept window.
    pub(crate) fn push_usage(
        &mut self,
        user: UserKey,
        rec: &mut UserRecord,
        entry: &UsageEntry,
    ) -> Result<(), LedgerError> {
        let seq = rec.usage_seq;
        rec.usage_seq += 1;
        self.accounts
            .insert(usage_key(user, seq).as_str(), encode(entry)?.as_slice())
            .io()?;
        if let Some(old) = seq.checked_sub(USAGE_KEEP) {
            self.accounts.remove(usage_key(user, old).as_str()).io()?;
        }
        Ok(())
    }

    /// Appends to the global audit trail, keeping the last [`AUDIT_KEEP`].
    pub(crate) fn push_audit(&mut self, entry: &AuditEntry) -> Result<(), LedgerError> {
        let seq = match self.audit.last().io()? {
            Some((k, _)) => k.value() + 1,
            None => 0,
        };
        self.audit.insert(seq, encode(entry)?.as_slice()).io()?;
        if let Some(old) = seq.checked_sub(AUDIT_KEEP) {
            self.audit.remove(old).io()?;
        }
        Ok(())
    }
}
