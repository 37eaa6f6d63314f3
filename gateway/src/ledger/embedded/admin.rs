//! Admin writes: credits, plans and bans, each with its audit entry in the
//! same transaction.

use easel_shared::admin::{Actor, AuditEntry};
use easel_shared::{UnixMillis, UserKey};

use super::tables::Tx;
use super::user::assign_plan;
use crate::ledger::LedgerError;

/// An audit entry about one user.
fn entry(
    at: UnixMillis,
    actor: Actor,
    user: UserKey,
    action: &str,
    detail: String,
    reason: &str,
) -> AuditEntry {
    AuditEntry {
        at,
        actor,
        user: Some(user),
        action: action.to_owned(),
        detail,
        reason: reason.to_owned(),
    }
}

/// Adds or removes prepaid credits; removing more than the balance (or
/// adding past `u64::MAX`) is refused and changes nothing.
pub(crate) fn adjust_credits(
    tx: &mut Tx<'_>,
    user: UserKey,
    delta: i64,
    reason: &str,
    actor: Actor,
) -> Result<u64, LedgerError> {
    let mut rec = tx.user(user)?;
    let amount = delta.unsigned_abs();
    let (balance, action) = if delta >= 0 {
        let balance = rec
            .credits
            .checked_add(amount)
            .ok_or_else(|| LedgerError::Refused("the balance would overflow".into()))?;
        (balance, "grant")
    } else {
        let balance = rec.credits.checked_sub(amount).ok_or_else(|| {
            LedgerError::Refused(format!(
                "cannot remove {amount} credits: the balance is {}",
                rec.credits
            ))
        })?;
        (balance, "deduct")
    };
    rec.credits = balance;
    tx.put_user(user, &rec)?;
    let detail = format!("{delta:+} credits, balance {balance}");
    tx.push_audit(&entry(tx.now(), actor, user, action, detail, reason))?;
    Ok(balance)
}

/// Assigns, extends or clears a plan (see [`assign_plan`]); the plan must
/// exist in the configuration.
pub(crate) fn set_plan(
    tx: &mut Tx<'_>,
    user: UserKey,
    plan: Option<&str>,
    days: u32,
    reason: &str,
    actor: Actor,
) -> Result<Option<UnixMillis>, LedgerError> {
    if let Some(name) = plan
        && !tx.config.plans.contains_key(name)
    {
        return Err(LedgerError::NotFound(format!("plan `{name}`")));
    }
    let now = tx.now();
    let mut rec = tx.user(user)?;
    let expiry = assign_plan(&mut rec, plan, days, now);
    tx.put_user(user, &rec)?;
    let detail = match (plan, expiry) {
        (None, _) => "plan cleared".to_owned(),
        (Some(name), Some(until)) => format!("plan {name} +{days} days, until {}", until.0),
        (Some(name), None) => format!("plan {name}, no expiry"),
    };
    tx.push_audit(&entry(now, actor, user, "plan", detail, reason))?;
    Ok(expiry)
}

/// Bans or unbans; pending jobs of a banned user are left to finish.
pub(crate) fn set_banned(
    tx: &mut Tx<'_>,
    user: UserKey,
    banned: bool,
    reason: &str,
    actor: Actor,
) -> Result<(), LedgerError> {
    let mut rec = tx.user(user)?;
    rec.banned = banned;
    tx.put_user(user, &rec)?;
    let action = if banned { "ban" } else { "unban" };
    tx.push_audit(&entry(tx.now(), actor, user, action, String::new(), reason))?;
    Ok(())
}
