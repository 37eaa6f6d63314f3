//! settle, renew and reap: finishing a reservation exactly once.
//!
//! The reservation record is the authority: only a pending one can be
//! finished, and finishing it (refund to where the credits came from, usage
//! entry, top list, spend) happens in the same transaction that flips its
//! state, so racing settles, refunds and reapers take effect once.

use easel_shared::admin::{UsageEntry, UsageOutcome};
use easel_shared::{RequestId, UserKey};
use redb::ReadableTable;

use super::records::{ReservationRecord, State};
use super::tables::{Io, Tx, parse_res_key, res_key};
use super::user::{refund_split, settle_amounts};
use super::windows;
use crate::ledger::{LedgerError, ReapReport, SettleOutcome, Settlement};

/// Most expired leases one reap refunds: keeps a batch short.
const REAP_MAX: usize = 500;

/// Finishes a reservation; see docs/ledger.md "Settle".
pub(crate) fn settle(
    tx: &mut Tx<'_>,
    user: UserKey,
    id: &RequestId,
    how: Settlement,
) -> Result<SettleOutcome, LedgerError> {
    let key = res_key(user, id);
    let Some(rec) = tx.reservation(&key)? else {
        return Ok(SettleOutcome::Unknown);
    };
    match rec.state {
        State::Pending => {}
        State::Settled => return Ok(SettleOutcome::AlreadySettled),
        State::Refunded => {
            let mut u = tx.user(user)?;
            u.late_settles += 1;
            tx.put_user(user, &u)?;
            return Ok(SettleOutcome::AlreadyRefunded);
        }
    }
    let end = match how {
        Settlement::Delivered {
            images,
            cost_micros,
        } => End::Delivered {
            images,
            cost: cost_micros,
        },
        Settlement::Failed => End::Failed,
    };
    let (charged, refunded) = finish(tx, user, id, &key, rec, end)?;
    Ok(SettleOutcome::Settled { charged, refunded })
}

/// How a pending reservation ends.
#[derive(Debug, Clone, Copy)]
enum End {
    /// The job delivered `images` (maybe 0) at `cost`: state settled.
    Delivered { images: u32, cost: u64 },
    /// The job failed: full refund, state refunded.
    Failed,
    /// The lease ran out: full refund by the reaper, state refunded.
    Expired,
}

/// Refunds `total - delivered * credits_per_image` (credits first), records
/// usage, top-list credits and the final spend, and sets the final state.
/// Reads everything before the first write. Returns `(charged, refunded)`.
fn finish(
    tx: &mut Tx<'_>,
    user: UserKey,
    id: &RequestId,
    key: &str,
    mut rec: ReservationRecord,
    end: End,
) -> Result<(u32, u32), LedgerError> {
    let (delivered, cost, state) = match end {
        End::Delivered { images, cost } => (images, cost, State::Settled),
        End::Failed => (0, 0, State::Refunded),
        // The worker vanished after its upstream call may have been billed.
        End::Expired => (0, rec.estimate, State::Refunded),
    };
    let now = tx.now();
    let mut u = tx.user(user)?;
    // A record is finished once (it leaves `Pending` here): its images
    // count once, its held estimate is replaced once.
    let mut spend = tx.spend_day(rec.day)?;

    // Decided; write.
    let total = rec.from_windows.saturating_add(rec.from_credits);
    let (delivered, charged, refund) =
        settle_amounts(rec.images, rec.credits_per_image, total, delivered);
    let (to_credits, to_windows) = refund_split(refund, rec.from_credits);
    u.credits = u.credits.saturating_add(u64::from(to_credits));
    windows::refund(
        &mut tx.charges,
        &user.to_string(),
        &mut u.sums,
        rec.time,
        id.as_str(),
        to_windows,
    )?;
    u.pending.remove(id.as_str());
    let outcome = match end {
        End::Expired => UsageOutcome::Expired,
        End::Failed => UsageOutcome::Failed,
        End::Delivered { .. } if delivered == rec.images => UsageOutcome::Delivered,
        End::Delivered { .. } if delivered > 0 => UsageOutcome::Partial,
        End::Delivered { .. } => UsageOutcome::Failed,
    };
    let entry = UsageEntry {
        id: id.clone(),
        at: now,
        images: delivered,
        credits: charged,
        cost_micros: cost,
        outcome,
    };
    tx.push_usage(user, &mut u, &entry)?;
    tx.put_user(user, &u)?;

    tx.leases.remove((rec.lease_until.0, key)).io()?;
    rec.state = state;

    if charged > 0 {
        let user_key = user.to_string();
        // The reservation's day, like the spend (and the Redis ledger).
        let slot = (rec.day, user_key.as_str());
        let before = tx.top.get(slot).io()?.map_or(0, |g| g.value());
        tx.top
            .insert(slot, before.saturating_add(u64::from(charged)))
            .io()?;
    }
    if !rec.spend_fixed {
        // Replace the held estimate by the real cost.
        spend.spent = spend.spent.saturating_sub(rec.spend).saturating_add(cost);
        let by = spend.by_backend.entry(rec.backend.clone()).or_default();
        *by = by.saturating_sub(rec.spend).saturating_add(cost);
        rec.spend = cost;
        rec.spend_fixed = true;
    }
    spend.images = spend.images.saturating_add(u64::from(delivered));
    tx.put_spend_day(rec.day, &spend)?;
    tx.put_reservation(key, &rec)?;
    Ok((charged, refund))
}

/// Extends a pending reservation's lease; false otherwise.
pub(crate) fn renew(tx: &mut Tx<'_>, user: UserKey, id: &RequestId) -> Result<bool, LedgerError> {
    let key = res_key(user, id);
    let Some(mut rec) = tx.reservation(&key)? else {
        return Ok(false);
    };
    if rec.state != State::Pending {
        return Ok(false);
    }
    let mut u = tx.user(user)?;
    let lease_until = tx.now().plus(tx.config.ledger.lease);
    tx.leases.remove((rec.lease_until.0, key.as_str())).io()?;
    tx.leases.insert((lease_until.0, key.as_str()), ()).io()?;
    rec.lease_until = lease_until;
    tx.put_reservation(&key, &rec)?;
    u.pending.insert(id.as_str().to_owned(), lease_until);
    tx.put_user(user, &u)?;
    Ok(true)
}

/// Refunds up to [`REAP_MAX`] pending reservations whose lease expired.
/// An index entry that no longer matches a pending reservation is dropped
/// (or corrected) and counted as skipped; an unreadable one is logged.
pub(crate) fn reap(tx: &mut Tx<'_>) -> Result<ReapReport, LedgerError> {
    let now = tx.now();
    let mut due = Vec::new();
    for item in tx
        .leases
        .range(..(now.0.saturating_add(1), ""))
        .io()?
        .take(REAP_MAX)
    {
        let (k, _) = item.io()?;
        let (t, key) = k.value();
        due.push((t, key.to_owned()));
    }
    let mut report = ReapReport::default();
    for (t, key) in due {
        let found = match parse_res_key(&key) {
            Some((user, id)) => match tx.reservation(&key) {
                Ok(rec) => rec.map(|rec| (user, id, rec)),
                Err(e @ LedgerError::Unavailable(_)) => return Err(e),
                Err(e) => {
                    // Left indexed: an operator may repair the row.
                    tracing::warn!(error = %e, "embedded ledger: reaper skips an unreadable reservation");
                    report.skipped += 1;
                    continue;
                }
            },
            None => None,
        };
        let live = found.filter(|(_, _, rec)| rec.state == State::Pending);
        match live {
            Some((user, id, rec)) if rec.lease_until <= now => {
                match finish(tx, user, &id, &key, rec, End::Expired) {
                    Ok(_) => report.refunded += 1,
                    // Storage failure: the whole batch is rolled back.
                    Err(e @ LedgerError::Unavailable(_)) => return Err(e),
                    // finish wrote nothing; the entry stays for a later look.
                    Err(e) => {
                        tracing::warn!(error = %e, "embedded ledger: reaper skips a reservation");
                        report.skipped += 1;
                    }
                }
            }
            Some((_, _, rec)) => {
                // A stale index entry for a renewed lease: point it right.
                tx.leases.remove((t, key.as_str())).io()?;
                tx.leases
                    .insert((rec.lease_until.0, key.as_str()), ())
                    .io()?;
                report.skipped += 1;
            }
            None => {
                tx.leases.remove((t, key.as_str())).io()?;
                report.skipped += 1;
            }
        }
    }
    Ok(report)
}
