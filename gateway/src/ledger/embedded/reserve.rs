//! reserve: the user step (windows, in-flight cap, credits) and the spend
//! step (daily cap), decided together and written together in one
//! transaction, plus pruning of old reservations.

use std::time::Duration;

use easel_shared::{Denial, Refusal, UnixMillis};
use redb::ReadableTable;

use super::records::{ReservationRecord, State};
use super::tables::{Io, Tx, decode, res_key};
use super::user::{Split, effective, in_flight, ms, split};
use super::windows::{self, Stored};
use crate::ledger::{Admission, LedgerError, Reservation, ReserveRequest, too_costly};

/// Reservations are kept at least this long, so late settles and replays
/// are recognised even when every window is short.
const MIN_RETENTION: Duration = Duration::from_secs(48 * 3600);

/// Old reservations pruned per reserve: more than one, so pruning outpaces
/// creation and the table stays bounded.
const PRUNE_PER_RESERVE: usize = 4;

/// The reservation as answered, rebuilt from its record.
fn answer(
    req: &ReserveRequest,
    rec: &ReservationRecord,
    replayed: bool,
    priority: u8,
) -> Reservation {
    Reservation {
        id: req.id.clone(),
        user: req.user,
        images: rec.images,
        from_windows: rec.from_windows,
        from_credits: rec.from_credits,
        lease_until: rec.first_lease_until,
        replayed,
        priority,
    }
}

/// The plan's limits on n, quality and editing (the same rules as admission's early check).
fn policy_check(
    plan: &easel_shared::config::PlanConfig,
    req: &ReserveRequest,
) -> Result<(), Denial> {
    let options = easel_shared::render::RenderOptions {
        n: u8::try_from(req.images).unwrap_or(u8::MAX),
        quality: req.quality,
        ..Default::default()
    };
    crate::admission::policy::check(plan, &options, req.edit)
}

fn denied(denial: Denial) -> Admission {
    Admission::Denied(Refusal::quiet(denial))
}

/// Holds credits for `req` or says why not; see docs/ledger.md "Reserve".
pub(crate) fn reserve(tx: &mut Tx<'_>, req: &ReserveRequest) -> Result<Admission, LedgerError> {
    let now = tx.now();
    // A key matched from memory must still be the user's: first, so a
    // revoked key learns nothing else (not even a replay).
    if let Some(claim) = &req.key
        && !super::api_keys::holds(tx, req.user, claim)?
    {
        return Ok(denied(Denial::KeyRevoked));
    }
    let key = res_key(req.user, &req.id);
    if let Some(rec) = tx.reservation(&key)? {
        return Ok(Admission::Admitted(answer(req, &rec, true, 0)));
    }
    if let Some(denied) = too_costly(&tx.config, req) {
        return Ok(denied);
    }

    // User step: decide.
    let mut user = tx.user(req.user)?;
    let config = tx.config.clone();
    let eff = effective(&user, req.user, &config, now);
    if user.banned {
        return Ok(denied(Denial::Banned));
    }
    if eff.plan.is_none() && user.credits == 0 {
        return Ok(denied(eff.no_access));
    }
    // The plan's policy, read in this transaction: a plan change racing
    // this reserve is either wholly before it or wholly after. A user on
    // prepaid credits alone is held to the default plan's rules.
    let rules = eff
        .plan
        .or_else(|| config.plans.get(&config.access.default_plan));
    if let Some(rules) = rules
        && let Err(denial) = policy_check(rules, req)
    {
        return Ok(denied(denial));
    }
    let priority = rules.map_or(0, |r| r.priority);
    if let Some(plan) = eff.plan
        && plan.max_in_flight > 0
        && in_flight(&user.pending, now) >= plan.max_in_flight
    {
        return Ok(denied(Denial::InFlight {
            limit: plan.max_in_flight,
        }));
    }
    let user_key = req.user.to_string();
    let mut log = Stored {
        table: &tx.charges,
        user: &user_key,
        sums: &mut user.sums,
    };
    let (from_windows, from_credits) = match split(
        eff.windows(),
        &mut log,
        user.credits,
        now,
        req.images,
        req.credits_per_image,
    )? {
        Split::Admit {
            from_windows,
            from_credits,
        } => (from_windows, from_credits),
        Split::Short { fits, retry_at } => {
            return Ok(denied(Denial::Quota { fits, retry_at }));
        }
    };

    // Spend step: decide. Same transaction, so a budget denial simply never
    // writes the user step (nothing to refund, and a replay is evaluated
    // again). The id cannot be held already: its reservation would exist.
    let day = now.day();
    let cap = config.spend.daily_cap_micros;
    let mut spend = tx.spend_day(day)?;
    if cap > 0 && spend.spent.saturating_add(req.est_cost_micros) > cap {
        let notify_admins = !spend.notified;
        if notify_admins {
            spend.notified = true;
            tx.put_spend_day(day, &spend)?;
        }
        return Ok(Admission::Denied(Refusal {
            denial: Denial::Budget {
                resets_at: now.next_day(),
            },
            notify_admins,
        }));
    }

    // Write both steps. Without a cap nothing is held: settle books the
    // final cost alone (as on Redis, where this saves a round trip).
    let held = if cap > 0 { req.est_cost_micros } else { 0 };
    let lease_until = now.plus(config.ledger.lease);
    user.credits = user.credits.saturating_sub(u64::from(from_credits));
    // The sums just read (cursors moved) are stored with the record, so the
    // next reserve reads only what ages out meanwhile.
    windows::prune(
        &mut tx.charges,
        &user_key,
        &mut user.sums,
        now,
        config.longest_window(),
    )?;
    if from_windows > 0 {
        windows::add(
            &mut tx.charges,
            &user_key,
            &mut user.sums,
            now,
            req.id.as_str(),
            from_windows,
        )?;
    }
    user.pending.insert(req.id.as_str().to_owned(), lease_until);
    tx.put_user(req.user, &user)?;
    let rec = ReservationRecord {
        state: State::Pending,
        time: now,
        images: req.images,
        credits_per_image: req.credits_per_image,
        from_windows,
        from_credits,
        lease_until,
        first_lease_until: lease_until,
        day,
        backend: req.backend.clone(),
        spend: held,
        estimate: req.est_cost_micros,
        spend_fixed: false,
    };
    tx.put_reservation(&key, &rec)?;
    tx.leases.insert((lease_until.0, key.as_str()), ()).io()?;
    tx.kept.insert((now.0, key.as_str()), ()).io()?;
    if held > 0 {
        spend.spent = spend.spent.saturating_add(held);
        let by = spend.by_backend.entry(req.backend.clone()).or_default();
        *by = by.saturating_add(held);
        tx.put_spend_day(day, &spend)?;
    }
    let retention = config.longest_window().max(MIN_RETENTION);
    prune(tx, now, retention)?;
    Ok(Admission::Admitted(answer(req, &rec, false, priority)))
}

/// Forgets finished reservations older than `retention`, a few per call.
/// Runs after the caller's writes, so it only fails on storage errors: an
/// unreadable row is logged and left alone.
fn prune(tx: &mut Tx<'_>, now: UnixMillis, retention: Duration) -> Result<(), LedgerError> {
    let before = now.0.saturating_sub(ms(retention));
    let mut old = Vec::with_capacity(PRUNE_PER_RESERVE);
    for item in tx.kept.range(..(before, "")).io()?.take(PRUNE_PER_RESERVE) {
        let (k, _) = item.io()?;
        let (t, key) = k.value();
        old.push((t, key.to_owned()));
    }
    for (t, key) in old {
        tx.kept.remove((t, key.as_str())).io()?;
        let Some(raw) = tx
            .accounts
            .get(key.as_str())
            .io()?
            .map(|g| g.value().to_vec())
        else {
            continue;
        };
        match decode::<ReservationRecord>(&key, &raw) {
            Ok(rec) if rec.state == State::Pending => {
                // Still running (renewed for days): look again later.
                tx.kept.insert((now.0, key.as_str()), ()).io()?;
            }
            Ok(_) => {
                tx.accounts.remove(key.as_str()).io()?;
            }
            Err(e) => {
                tracing::warn!(error = %e, "embedded ledger: unreadable reservation left in place")
            }
        }
    }
    Ok(())
}
