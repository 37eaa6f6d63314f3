//! The per-user quota rules, as pure functions over a user's record: which
//! plan applies, window sums and room, how a cost splits between windows and
//! prepaid credits, when a refused request would fit, and where a refund
//! goes. The storage code only loads, calls these, and stores.

use std::collections::BTreeMap;
use std::time::Duration;

use easel_shared::config::{AccessMode, Config, PlanConfig, WindowConfig};
use easel_shared::{Denial, UnixMillis, UserKey, WindowStatus};

use super::records::{Charge, UserRecord};
use crate::ledger::LedgerError;

/// Milliseconds of a duration, saturating (periods are config values).
pub(crate) fn ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// The plan a user is on right now, and what to say if there is none.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Effective<'c> {
    /// The plan's name (`None`: no plan).
    pub(crate) name: Option<&'c str>,
    /// The plan itself.
    pub(crate) plan: Option<&'c PlanConfig>,
    /// Expiry of an assigned plan in effect.
    pub(crate) expires_at: Option<UnixMillis>,
    /// The denial for a user with neither a plan nor credits.
    pub(crate) no_access: Denial,
}

impl Effective<'_> {
    /// The windows that apply (none without a plan: room 0).
    pub(crate) fn windows(&self) -> &[WindowConfig] {
        self.plan.map(|p| p.windows.as_slice()).unwrap_or(&[])
    }
}

/// An assigned, unexpired plan that still exists wins; else the access mode decides.
pub(crate) fn effective<'c>(
    rec: &UserRecord,
    user: UserKey,
    config: &'c Config,
    now: UnixMillis,
) -> Effective<'c> {
    let no_access = match config.access.mode {
        AccessMode::Code => Denial::NeedsCode,
        AccessMode::Open | AccessMode::Allowlist => Denial::NotAllowed,
    };
    if let Some(name) = &rec.plan
        && rec.plan_until.is_none_or(|until| until > now)
        && let Some((name, plan)) = config.plans.get_key_value(name)
    {
        return Effective {
            name: Some(name),
            plan: Some(plan),
            expires_at: rec.plan_until,
            no_access,
        };
    }
    let default_applies = match config.access.mode {
        AccessMode::Open => true,
        AccessMode::Allowlist => config.access.allowlist.contains(&user),
        AccessMode::Code => false,
    };
    let default = default_applies
        .then(|| config.plans.get_key_value(&config.access.default_plan))
        .flatten();
    Effective {
        name: default.map(|(n, _)| n.as_str()),
        plan: default.map(|(_, p)| p),
        expires_at: None,
        no_access,
    }
}

/// Where the window charges are read from: the `charges` table with the
/// running sums (`super::windows::Stored`), or a plain list (a record from
/// before that table, and the unit tests).
pub(crate) trait WindowLog {
    /// Credits charged inside the window of `period` ending at `now`:
    /// charges with `t > now - period`.
    fn used(&mut self, now: UnixMillis, period: Duration) -> Result<u64, LedgerError>;

    /// The charges with `t > since`, oldest first, as `(t, credits)`: only
    /// as many as it takes to reach `enough` credits (all if fewer).
    fn oldest(&mut self, since: i64, enough: u64) -> Result<Vec<(i64, u32)>, LedgerError>;
}

impl WindowLog for &[Charge] {
    fn used(&mut self, now: UnixMillis, period: Duration) -> Result<u64, LedgerError> {
        Ok(used(self, now, period))
    }

    fn oldest(&mut self, since: i64, enough: u64) -> Result<Vec<(i64, u32)>, LedgerError> {
        let mut charges: Vec<(i64, u32)> = self
            .iter()
            .filter(|c| c.t.0 > since && c.c > 0)
            .map(|c| (c.t.0, c.c))
            .collect();
        charges.sort_unstable();
        let mut total = 0_u64;
        let n = charges
            .iter()
            .position(|&(_, c)| {
                total += u64::from(c);
                total >= enough
            })
            .map_or(charges.len(), |i| i + 1);
        charges.truncate(n);
        Ok(charges)
    }
}

/// Credits charged inside one window: charges with `t > now - period`.
pub(crate) fn used(log: &[Charge], now: UnixMillis, period: Duration) -> u64 {
    let since = now.0.saturating_sub(ms(period));
    log.iter()
        .filter(|c| c.t.0 > since)
        .map(|c| u64::from(c.c))
        .sum()
}

/// The tightest window's free credits, floored at 0; 0 without windows.
pub(crate) fn room(
    windows: &[WindowConfig],
    log: &mut impl WindowLog,
    now: UnixMillis,
) -> Result<u64, LedgerError> {
    let mut room = None;
    for w in windows {
        let free = u64::from(w.limit).saturating_sub(log.used(now, w.period)?);
        room = Some(room.map_or(free, |r: u64| r.min(free)));
    }
    Ok(room.unwrap_or(0))
}

/// Reservations still running: pending with a lease in the future.
pub(crate) fn in_flight(pending: &BTreeMap<String, UnixMillis>, now: UnixMillis) -> u32 {
    let n = pending.values().filter(|&&lease| lease > now).count();
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// How a request's cost is covered, or why it cannot be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Split {
    /// Windows first, the rest from prepaid credits.
    Admit {
        /// Credits taken from the windows.
        from_windows: u32,
        /// Credits taken from the prepaid balance.
        from_credits: u32,
    },
    /// Not enough: how many images would fit now, and when this request would.
    Short {
        /// Images of this kind that fit now.
        fits: u32,
        /// When the request as asked fits (`None`: never without more credits).
        retry_at: Option<UnixMillis>,
    },
}

/// Splits `images * credits_per_image` between window room and credits.
pub(crate) fn split(
    windows: &[WindowConfig],
    log: &mut impl WindowLog,
    credits: u64,
    now: UnixMillis,
    images: u32,
    credits_per_image: u32,
) -> Result<Split, LedgerError> {
    let cost = u64::from(images) * u64::from(credits_per_image);
    let room = room(windows, log, now)?;
    if u32::try_from(cost).is_err() {
        // No reservation can record it; it can never fit.
        return Ok(Split::Short {
            fits: fits(room, credits, images, credits_per_image),
            retry_at: None,
        });
    }
    let from_windows = cost.min(room);
    let from_credits = cost - from_windows;
    if from_credits <= credits
        && let (Ok(from_windows), Ok(from_credits)) =
            (u32::try_from(from_windows), u32::try_from(from_credits))
    {
        return Ok(Split::Admit {
            from_windows,
            from_credits,
        });
    }
    Ok(Split::Short {
        fits: fits(room, credits, images, credits_per_image),
        retry_at: retry_at(windows, log, now, cost.saturating_sub(credits))?,
    })
}

/// Images of this kind that fit in `room + credits`, at most `images`.
fn fits(room: u64, credits: u64, images: u32, credits_per_image: u32) -> u32 {
    let n = room
        .saturating_add(credits)
        .checked_div(u64::from(credits_per_image))
        .unwrap_or(u64::from(images))
        .min(u64::from(images));
    u32::try_from(n).unwrap_or(images)
}

/// The earliest instant at which every window has room for `need` credits,
/// walking each window's charges oldest first (a charge at `t` frees at
/// `t + period`), only as many as must age out. Windows only free up as time
/// passes, so the answer is the latest of the per-window instants. `None` if
/// `need` exceeds a window's limit, or there are no windows (no plan: only
/// credits can help).
pub(crate) fn retry_at(
    windows: &[WindowConfig],
    log: &mut impl WindowLog,
    now: UnixMillis,
    need: u64,
) -> Result<Option<UnixMillis>, LedgerError> {
    if windows.is_empty() {
        return Ok(None);
    }
    let mut at = now;
    for w in windows {
        let limit = u64::from(w.limit);
        if need > limit {
            return Ok(None);
        }
        let used = log.used(now, w.period)?;
        // Credits that must age out before `need` fits under the limit.
        let excess = used.saturating_sub(limit - need);
        if excess == 0 {
            continue;
        }
        let period = ms(w.period);
        let mut freed = 0_u64;
        for (t, c) in log.oldest(now.0.saturating_sub(period), excess)? {
            freed += u64::from(c);
            if freed >= excess {
                at = at.max(UnixMillis(t.saturating_add(period)));
                break;
            }
        }
    }
    Ok(Some(at))
}

/// Where a refund goes: prepaid credits first (up to what came from them),
/// the rest back to the windows. Returns `(to_credits, to_windows)`.
pub(crate) fn refund_split(refund: u32, from_credits: u32) -> (u32, u32) {
    let to_credits = refund.min(from_credits);
    (to_credits, refund - to_credits)
}

/// What a delivery of `delivered` images costs: `(delivered, charged,
/// refund)` with `delivered` clamped to the reserved images and
/// `charged + refund == total`.
pub(crate) fn settle_amounts(
    images: u32,
    credits_per_image: u32,
    total: u32,
    delivered: u32,
) -> (u32, u32, u32) {
    let delivered = delivered.min(images);
    let charged = (u64::from(delivered) * u64::from(credits_per_image)).min(u64::from(total));
    let charged = u32::try_from(charged).unwrap_or(total);
    (delivered, charged, total - charged)
}

/// Each window as the user sees it now.
pub(crate) fn window_status(
    windows: &[WindowConfig],
    log: &mut impl WindowLog,
    now: UnixMillis,
) -> Result<Vec<WindowStatus>, LedgerError> {
    let mut out = Vec::with_capacity(windows.len());
    for w in windows {
        let period = ms(w.period);
        let used = log.used(now, w.period)?;
        let oldest = if used > 0 {
            log.oldest(now.0.saturating_sub(period), 1)?
                .first()
                .map(|&(t, _)| t)
        } else {
            None
        };
        out.push(WindowStatus {
            limit: w.limit,
            period_secs: w.period.as_secs(),
            used: u32::try_from(used).unwrap_or(u32::MAX),
            next_free_at: oldest.map(|t| UnixMillis(t.saturating_add(period))),
        });
    }
    Ok(out)
}

/// `set_plan` semantics on a record: the same unexpired timed plan is
/// extended by `days`; anything else is replaced (`days == 0`: no expiry);
/// `None` clears. Returns the new expiry.
pub(crate) fn assign_plan(
    rec: &mut UserRecord,
    plan: Option<&str>,
    days: u32,
    now: UnixMillis,
) -> Option<UnixMillis> {
    let span = i64::from(days) * UnixMillis::DAY;
    match plan {
        None => {
            rec.plan = None;
            rec.plan_until = None;
        }
        Some(name) => {
            let same = rec.plan.as_deref() == Some(name);
            rec.plan_until = match rec.plan_until {
                // Held for good: a timed grant of the same plan takes nothing away.
                None if same => None,
                Some(until) if same && until > now && days > 0 => {
                    Some(UnixMillis(until.0.saturating_add(span)))
                }
                _ => (days > 0).then(|| UnixMillis(now.0.saturating_add(span))),
            };
            rec.plan = Some(name.to_owned());
        }
    }
    rec.plan_until
}

#[cfg(test)]
mod tests;
