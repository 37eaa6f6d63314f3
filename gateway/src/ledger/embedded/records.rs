//! What the embedded ledger stores, one serde_json value per table row.
//!
//! Every field has a default so a record written by an older build still
//! parses; renaming a field is a migration, adding one is not.

use std::collections::BTreeMap;

use easel_shared::admin::{Actor, CodeSpec};
use easel_shared::{UnixMillis, UserKey};
use serde::{Deserialize, Serialize};

/// One charge against the plan windows: the rolling log is a list of these.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Charge {
    /// When the reservation was made; the charge frees at `t + period`.
    pub(crate) t: UnixMillis,
    /// Window credits still charged (a refund lowers it; 0 is removed).
    pub(crate) c: u32,
    /// The reservation it belongs to, so a settle can refund exactly its part.
    pub(crate) id: String,
}

/// A window's running sum: the credits of the user's charges with
/// `t > cursor` (`super::windows`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct WindowSum {
    /// The window's period in ms.
    pub(crate) period: i64,
    /// Credits of the charges after the cursor.
    pub(crate) sum: u64,
    /// The time (ms) up to which charges have been subtracted.
    pub(crate) cursor: i64,
}

/// Everything about one user that reserve must see in one read (small: the
/// charges live in their own table).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub(crate) struct UserRecord {
    /// Prepaid credits, spent after the windows.
    pub(crate) credits: u64,
    /// The assigned plan (admin or code); `None`: the access mode decides.
    pub(crate) plan: Option<String>,
    /// When the assigned plan lapses (`None`: never).
    pub(crate) plan_until: Option<UnixMillis>,
    /// Banned users are refused every reserve.
    pub(crate) banned: bool,
    /// Settles that arrived after the reaper refunded (a worker outlived its lease).
    pub(crate) late_settles: u64,
    /// Window charges as files written before the `charges` table kept
    /// them (read once, moved there: `Tx::user`). Empty otherwise.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) log: Vec<Charge>,
    /// The running window sums over the `charges` table, one per period
    /// (`super::windows`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) sums: Vec<WindowSum>,
    /// Pending reservations (id -> lease_until): the in-flight count.
    pub(crate) pending: BTreeMap<String, UnixMillis>,
    /// Grant ids already applied (`code:<short id>`), so a grant applies once.
    pub(crate) grants: Vec<String>,
    /// Next usage-log sequence number for this user.
    pub(crate) usage_seq: u64,
}

/// Where a reservation is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum State {
    /// Held; the job runs.
    Pending,
    /// Settled with a delivery (possibly of 0 images).
    Settled,
    /// Fully refunded (failure, reaper, or refused budget).
    Refunded,
}

/// A reservation as stored under `<user>|<id>`: the authority on its state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct ReservationRecord {
    /// Pending, settled or refunded.
    pub(crate) state: State,
    /// When it was made (its window charge is logged at this time).
    pub(crate) time: UnixMillis,
    /// Images reserved.
    pub(crate) images: u32,
    /// Credits per image, to price a partial delivery.
    pub(crate) credits_per_image: u32,
    /// Credits taken from the windows.
    pub(crate) from_windows: u32,
    /// Credits taken from the prepaid balance.
    pub(crate) from_credits: u32,
    /// The current lease (renew moves it).
    pub(crate) lease_until: UnixMillis,
    /// The lease in the first answer, so a replay repeats that answer exactly.
    pub(crate) first_lease_until: UnixMillis,
    /// UTC day its spend is booked to (the day it was reserved).
    pub(crate) day: i64,
    /// Backend the spend is booked to.
    pub(crate) backend: String,
    /// Its share of that day's spend: the estimate while pending (0 when no
    /// daily cap is set: nothing to hold against), the real cost once
    /// finished (the estimate when reaped). Kept here rather than in a table
    /// of its own: one row fewer to rewrite per operation.
    pub(crate) spend: u64,
    /// The estimate asked for at reserve: a reaped job's spend (its worker
    /// vanished, the upstream call may have been billed).
    #[serde(default)]
    pub(crate) estimate: u64,
    /// True once `spend` is final, so it is replaced exactly once.
    pub(crate) spend_fixed: bool,
}

/// One UTC day of deployment-wide spend.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub(crate) struct SpendDay {
    /// Micro-dollars held (running jobs) or spent (settled jobs).
    pub(crate) spent: u64,
    /// Set by the first budget denial of the day: admins are told once.
    pub(crate) notified: bool,
    /// The same total split by backend.
    pub(crate) by_backend: BTreeMap<String, u64>,
    /// Images delivered for the requests reserved that day.
    pub(crate) images: u64,
}

/// An access code, stored under the SHA-256 of its body only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct CodeRecord {
    /// What it grants and how often.
    pub(crate) spec: CodeSpec,
    /// Users who redeemed it.
    pub(crate) uses: u32,
    /// Revoked codes are refused.
    pub(crate) revoked: bool,
    /// When it was minted.
    pub(crate) created_at: UnixMillis,
    /// Who minted it.
    pub(crate) created_by: Actor,
    /// Who redeemed it, in files written before the `code_users` table
    /// (read only; new redemptions add a marker row there instead).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) users: Vec<UserKey>,
    /// Mint order, so codes minted in the same millisecond still list newest first.
    #[serde(default)]
    pub(crate) seq: u64,
}
