//! The rolling log on redb: one row per charge in the `charges` table,
//! `(user, t, id) -> credits`, and per window period a running sum in the
//! user's record ([`WindowSum`]), so an operation reads the charges that aged
//! out since the last one instead of decoding the whole log.
//!
//! Invariant (the same as the Redis ledger's `lua/windows.lua`): a sum is the
//! credits of the user's rows with `t > cursor`. Reading a window at `now`
//! moves its cursor up to `now - period`, subtracting the rows it passes
//! (each once); a new or shrunk charge changes the sums whose cursor is below
//! its time; rows are pruned only below every cursor. A period without a sum
//! (a new plan, a record from before the table) or a cursor ahead of
//! `now - period` (the clock went back) is rebuilt from the rows once.
//! Read-only queries move cursors in memory only; reserve stores them.

use std::time::Duration;

use easel_shared::UnixMillis;
use redb::{ReadableTable, Table};

use super::records::WindowSum;
use super::tables::Io;
use super::user::{WindowLog, ms};
use crate::ledger::LedgerError;

/// A `charges` row key: (user, time ms, request id).
type Key = (&'static str, i64, &'static str);

/// A user's charges and window sums, readable in any transaction.
pub(crate) struct Stored<'a, T> {
    /// The `charges` table.
    pub(crate) table: &'a T,
    /// The user's key (`UserKey` as text).
    pub(crate) user: &'a str,
    /// The user's window sums (the record's, or a copy for a read).
    pub(crate) sums: &'a mut Vec<WindowSum>,
}

/// Credits of `user`'s charges with `lo < t <= hi`.
fn sum_between(
    table: &impl ReadableTable<Key, u32>,
    user: &str,
    lo: i64,
    hi: i64,
) -> Result<u64, LedgerError> {
    if hi <= lo {
        return Ok(0);
    }
    let mut total = 0_u64;
    let (from, to) = (lo.saturating_add(1), hi.saturating_add(1));
    for row in table.range((user, from, "")..(user, to, "")).io()? {
        let (_, credits) = row.io()?;
        total += u64::from(credits.value());
    }
    Ok(total)
}

/// Moves `s`'s cursor up to `edge`, subtracting the charges it passes.
fn advance(
    table: &impl ReadableTable<Key, u32>,
    user: &str,
    s: &mut WindowSum,
    edge: i64,
) -> Result<(), LedgerError> {
    if edge > s.cursor {
        s.sum = s
            .sum
            .saturating_sub(sum_between(table, user, s.cursor, edge)?);
        s.cursor = edge;
    }
    Ok(())
}

impl<T: ReadableTable<Key, u32>> WindowLog for Stored<'_, T> {
    fn used(&mut self, now: UnixMillis, period: Duration) -> Result<u64, LedgerError> {
        let period = ms(period);
        let edge = now.0.saturating_sub(period);
        match self.sums.iter_mut().find(|s| s.period == period) {
            Some(s) if edge >= s.cursor => {
                advance(self.table, self.user, s, edge)?;
                Ok(s.sum)
            }
            found => {
                let sum = sum_between(self.table, self.user, edge, i64::MAX)?;
                let fresh = WindowSum {
                    period,
                    sum,
                    cursor: edge,
                };
                match found {
                    Some(s) => *s = fresh,
                    None => self.sums.push(fresh),
                }
                Ok(sum)
            }
        }
    }

    fn oldest(&mut self, since: i64, enough: u64) -> Result<Vec<(i64, u32)>, LedgerError> {
        let mut out = Vec::new();
        let mut total = 0_u64;
        let from = since.saturating_add(1);
        for row in self
            .table
            .range((self.user, from, "")..(self.user, i64::MAX, ""))
            .io()?
        {
            let (key, credits) = row.io()?;
            let (t, c) = (key.value().1, credits.value());
            out.push((t, c));
            total += u64::from(c);
            if total >= enough {
                break;
            }
        }
        Ok(out)
    }
}

/// Logs a charge of `credits` at `t` for request `id`.
pub(crate) fn add(
    table: &mut Table<'_, Key, u32>,
    user: &str,
    sums: &mut [WindowSum],
    t: UnixMillis,
    id: &str,
    credits: u32,
) -> Result<(), LedgerError> {
    table.insert((user, t.0, id), credits).io()?;
    for s in sums.iter_mut().filter(|s| t.0 > s.cursor) {
        s.sum = s.sum.saturating_add(u64::from(credits));
    }
    Ok(())
}

/// Gives `amount` window credits of the charge `(t, id)` back: it shrinks,
/// at 0 it goes. A charge already pruned frees nothing.
pub(crate) fn refund(
    table: &mut Table<'_, Key, u32>,
    user: &str,
    sums: &mut [WindowSum],
    t: UnixMillis,
    id: &str,
    amount: u32,
) -> Result<(), LedgerError> {
    if amount == 0 {
        return Ok(());
    }
    let Some(charged) = table.get((user, t.0, id)).io()?.map(|g| g.value()) else {
        return Ok(());
    };
    let back = amount.min(charged);
    let left = charged - back;
    if left == 0 {
        table.remove((user, t.0, id)).io()?;
    } else {
        table.insert((user, t.0, id), left).io()?;
    }
    for s in sums.iter_mut().filter(|s| t.0 > s.cursor) {
        s.sum = s.sum.saturating_sub(u64::from(back));
    }
    Ok(())
}

/// Drops the charges no window can see (`t <= now - keep`): every cursor
/// below the cut moves up to it first, so nothing pruned is still counted;
/// sums of periods longer than `keep` (a plan since removed) are dropped.
pub(crate) fn prune(
    table: &mut Table<'_, Key, u32>,
    user: &str,
    sums: &mut Vec<WindowSum>,
    now: UnixMillis,
    keep: Duration,
) -> Result<(), LedgerError> {
    let keep = ms(keep);
    let cut = now.0.saturating_sub(keep);
    sums.retain(|s| s.period <= keep);
    for s in sums.iter_mut() {
        advance(&*table, user, s, cut)?;
    }
    let from = i64::MIN;
    let to = cut.saturating_add(1);
    table
        .retain_in((user, from, "")..(user, to, ""), |_, _| false)
        .io()
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use easel_shared::UserKey;
    use easel_shared::config::Config;
    use redb::{Database, ReadableTableMetadata};

    use super::*;
    use crate::ledger::Clock;
    use crate::ledger::embedded::records::{Charge, UserRecord};
    use crate::ledger::embedded::tables::{Tx, create_all};
    use crate::ledger::embedded::user::used;

    const H: i64 = 3_600_000;

    /// A record written before the `charges` table (its log inline) is moved
    /// on the first read in a write transaction, and the sums read from the
    /// table equal the old list's sums at every instant.
    #[test]
    fn an_inline_log_moves_to_the_charges_table_and_sums_the_same() {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = Database::create(dir.path().join("l.redb")).expect("db");
        create_all(&db).expect("tables");
        let user = UserKey::telegram(7);
        let log: Vec<Charge> = (0..50)
            .map(|i| Charge {
                t: UnixMillis(i * 60_000),
                c: u32::try_from(i % 4 + 1).expect("small"),
                id: format!("r-{i}"),
            })
            .collect();
        let legacy = UserRecord {
            credits: 3,
            log: log.clone(),
            ..UserRecord::default()
        };
        let txn = db.begin_write().expect("write");
        {
            let clock = Clock::manual(UnixMillis(0));
            let mut tx = Tx::open(&txn, Arc::new(Config::default()), clock).expect("tx");
            tx.put_user(user, &legacy).expect("legacy record");
            let mut rec = tx.user(user).expect("read");
            assert!(rec.log.is_empty(), "moved out of the record");
            assert_eq!(rec.credits, 3);
            assert_eq!(tx.charges.len().expect("len"), 50);
            let again = tx.user(user).expect("read again");
            assert!(again.log.is_empty() && again.sums.is_empty());
            let key = user.to_string();
            let mut stored = Stored {
                table: &tx.charges,
                user: &key,
                sums: &mut rec.sums,
            };
            for now in [30 * 60_000, H - 1, H, H + 1, H + 59_999, 2 * H, 3 * H] {
                let now = UnixMillis(now);
                for period in [Duration::from_secs(3600), Duration::from_secs(1800)] {
                    assert_eq!(
                        stored.used(now, period).expect("used"),
                        used(&log, now, period),
                        "at {now:?}, {period:?}"
                    );
                }
            }
        }
        txn.commit().expect("commit");
    }
}
