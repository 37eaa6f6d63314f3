//! The verdict of a chaos run: what every client saw, held against the
//! ledger's own records (each user's usage log and quota status through the
//! admin API, and the pending set read from Redis). Exact means: every
//! admitted request ended exactly once (one usage entry per id), delivered
//! images are exactly what was charged, failures and refusals cost nothing,
//! nothing is pending, and no user's window holds more than its limit.

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use easel_shared::admin::{UsageEntry, UsageOutcome};
use easel_shared::{QuotaStatus, UserKey};

use super::client::{Outcome, Record};

/// The ledger's state of one user at the end of a run.
#[derive(Debug, Clone)]
pub struct UserLedger {
    /// Finished requests, newest first (the admin API's usage log).
    pub usage: Vec<UsageEntry>,
    /// The quota status (windows, in flight).
    pub quota: QuotaStatus,
    /// Reservations still pending in Redis (`ZCARD pend`).
    pub pending: u64,
}

/// Counts of a run, for the test's log and its own assertions.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Summary {
    /// Client outcomes by kind (`delivered`, `failed:<kind>`, `refused:<code>`, ...).
    pub seen: BTreeMap<String, usize>,
    /// Lost requests the ledger shows delivered (finished by someone).
    pub lost_delivered: usize,
    /// Lost requests the ledger shows refunded (failed or reaped).
    pub lost_refunded: usize,
    /// Usage entries the reaper wrote (`expired`).
    pub expired: usize,
    /// Credits charged over all users.
    pub charged: u64,
}

impl Summary {
    /// How many client outcomes had this kind.
    pub fn count(&self, kind: &str) -> usize {
        self.seen.get(kind).copied().unwrap_or(0)
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "seen {:?}; lost -> delivered {}, refunded {}; reaped {}; charged {}",
            self.seen, self.lost_delivered, self.lost_refunded, self.expired, self.charged
        )
    }
}

/// The kind of an outcome, as counted in [`Summary::seen`].
pub fn kind(outcome: &Outcome) -> String {
    match outcome {
        Outcome::Delivered { .. } => "delivered".into(),
        Outcome::Failed(f) => {
            let json = serde_json::to_value(f).unwrap_or_default();
            format!("failed:{}", json["kind"].as_str().unwrap_or("?"))
        }
        Outcome::Refused { code, .. } => format!("refused:{code}"),
        Outcome::Unreachable => "unreachable".into(),
        Outcome::Lost => "lost".into(),
    }
}

/// Whether the ledger has a final entry for every request that may have
/// been admitted and nothing pending: the state the reaper and the
/// outboxes lead to.
pub fn is_final(records: &[Record], ledger: &HashMap<UserKey, UserLedger>) -> bool {
    ledger
        .values()
        .all(|u| u.pending == 0 && u.quota.in_flight == 0)
        && records
            .iter()
            .filter(|r| r.outcome.maybe_admitted())
            .all(|r| {
                ledger
                    .get(&r.user)
                    .is_some_and(|u| u.usage.iter().any(|e| e.id == r.id))
            })
}

/// Holds every record against the ledger; returns the counts and every
/// discrepancy found (empty: exact).
pub fn audit(
    records: &[Record],
    ledger: &HashMap<UserKey, UserLedger>,
    limit: u32,
) -> (Summary, Vec<String>) {
    let mut summary = Summary::default();
    let mut problems = Vec::new();
    let mut known: HashMap<&UserKey, Vec<&str>> = HashMap::new();
    for r in records {
        *summary.seen.entry(kind(&r.outcome)).or_default() += 1;
        known.entry(&r.user).or_default().push(r.id.as_str());
        let entries: Vec<&UsageEntry> = ledger
            .get(&r.user)
            .map(|u| u.usage.iter().filter(|e| e.id == r.id).collect())
            .unwrap_or_default();
        let id = r.id.as_str();
        if entries.len() > 1 {
            problems.push(format!(
                "{id}: {} usage entries (ended twice)",
                entries.len()
            ));
            continue;
        }
        let entry = entries.first();
        match (&r.outcome, entry) {
            (Outcome::Delivered { images, charged }, Some(e)) => {
                if e.images != *images || e.credits != *charged {
                    problems.push(format!(
                        "{id}: client got {images} images charged {charged}, ledger says {e:?}"
                    ));
                }
            }
            (Outcome::Failed(f), Some(e)) => {
                if e.images != 0 || e.credits != 0 {
                    problems.push(format!("{id}: failed ({f:?}) but ledger charged {e:?}"));
                }
            }
            (Outcome::Lost, Some(e)) => {
                if e.images > 0 {
                    summary.lost_delivered += 1;
                } else {
                    summary.lost_refunded += 1;
                }
            }
            (Outcome::Refused { .. } | Outcome::Unreachable, Some(e)) => {
                problems.push(format!("{id}: {:?} yet the ledger has {e:?}", r.outcome));
            }
            (Outcome::Refused { .. } | Outcome::Unreachable, None) => {}
            (outcome, None) => {
                problems.push(format!(
                    "{id}: {outcome:?} but no usage entry (never ended)"
                ));
            }
        }
    }
    for (user, state) in ledger {
        let mine = known.get(user).cloned().unwrap_or_default();
        for e in &state.usage {
            if !mine.contains(&e.id.as_str()) {
                problems.push(format!("{user}: usage entry {e:?} no client sent"));
            }
            if e.outcome == UsageOutcome::Expired {
                summary.expired += 1;
            }
        }
        let credits: u64 = state.usage.iter().map(|e| u64::from(e.credits)).sum();
        summary.charged += credits;
        if state.pending != 0 || state.quota.in_flight != 0 {
            problems.push(format!(
                "{user}: {} pending, {} in flight at the end",
                state.pending, state.quota.in_flight
            ));
        }
        for w in &state.quota.windows {
            if u64::from(w.used) != credits {
                problems.push(format!(
                    "{user}: window holds {} credits, usage log charged {credits}",
                    w.used
                ));
            }
            if w.used > limit {
                problems.push(format!("{user}: window holds {} > limit {limit}", w.used));
            }
        }
    }
    (summary, problems)
}
