//! Read-only queries, each in its own redb read transaction: they see the
//! last committed batch, which includes every acknowledged operation.

use std::collections::BTreeMap;

use easel_shared::admin::{AuditEntry, CodeInfo, DaySpend, SpendStatus, TopEntry, UsageEntry};
use easel_shared::config::Config;
use easel_shared::{QuotaStatus, UnixMillis, UserKey};
use redb::{ReadTransaction, ReadableTable};

use super::records::{CodeRecord, SpendDay, UserRecord};
use super::tables::{ACCOUNTS, AUDIT, CHARGES, CODES, Io, SPEND, TOP, decode, get_json, usage_key};
use super::user::{effective, in_flight, window_status};
use super::windows::Stored;
use crate::ledger::LedgerError;
use crate::ledger::code::short_id;

/// The user's quota as of `now`.
pub(crate) fn status(
    txn: &ReadTransaction,
    config: &Config,
    user: UserKey,
    now: UnixMillis,
) -> Result<QuotaStatus, LedgerError> {
    let accounts = txn.open_table(ACCOUNTS).io()?;
    let user_key = user.to_string();
    let rec: UserRecord = get_json(&accounts, "user", &user_key)?.unwrap_or_default();
    let eff = effective(&rec, user, config, now);
    let windows = if rec.log.is_empty() {
        // The cursors move in this copy only; the next reserve stores them.
        let charges = txn.open_table(CHARGES).io()?;
        let mut sums = rec.sums.clone();
        let mut log = Stored {
            table: &charges,
            user: &user_key,
            sums: &mut sums,
        };
        window_status(eff.windows(), &mut log, now)?
    } else {
        // A record from before the `charges` table, not yet moved.
        window_status(eff.windows(), &mut rec.log.as_slice(), now)?
    };
    Ok(QuotaStatus {
        plan: eff.name.map(str::to_owned),
        plan_expires_at: eff.expires_at,
        windows,
        credits: rec.credits,
        in_flight: in_flight(&rec.pending, now),
        banned: rec.banned,
        now,
    })
}

/// The user's last `limit` usage entries, newest first.
pub(crate) fn usage(
    txn: &ReadTransaction,
    user: UserKey,
    limit: usize,
) -> Result<Vec<UsageEntry>, LedgerError> {
    let table = txn.open_table(ACCOUNTS).io()?;
    let (first, last) = (usage_key(user, 0), usage_key(user, u64::MAX));
    let mut out = Vec::new();
    for item in table
        .range(first.as_str()..=last.as_str())
        .io()?
        .rev()
        .take(limit)
    {
        let (k, v) = item.io()?;
        out.push(decode(k.value(), v.value())?);
    }
    Ok(out)
}

/// Users by credits charged over the last `days` UTC days up to `today`.
pub(crate) fn top(
    txn: &ReadTransaction,
    today: i64,
    days: u32,
    limit: usize,
) -> Result<Vec<TopEntry>, LedgerError> {
    let table = txn.open_table(TOP).io()?;
    let first = today - i64::from(days) + 1;
    let mut sums: BTreeMap<String, u64> = BTreeMap::new();
    for item in table.range((first, "")..(today + 1, "")).io()? {
        let (k, v) = item.io()?;
        let (_, user) = k.value();
        let sum = sums.entry(user.to_owned()).or_default();
        *sum = sum.saturating_add(v.value());
    }
    let mut out = Vec::with_capacity(sums.len());
    for (user, credits) in sums {
        let user = user
            .parse()
            .map_err(|_| LedgerError::Corrupt(format!("top: bad user key {user}")))?;
        out.push(TopEntry { user, credits });
    }
    out.sort_by(|a, b| b.credits.cmp(&a.credits).then(a.user.cmp(&b.user)));
    out.truncate(limit);
    Ok(out)
}

/// Today's spend against the configured cap.
pub(crate) fn spend_today(
    txn: &ReadTransaction,
    config: &Config,
    now: UnixMillis,
) -> Result<SpendStatus, LedgerError> {
    let table = txn.open_table(SPEND).io()?;
    let day = now.day();
    let rec: SpendDay = match table.get(day).io()? {
        Some(g) => decode(&format!("spend {day}"), g.value())?,
        None => SpendDay::default(),
    };
    Ok(SpendStatus {
        day,
        spent_micros: rec.spent,
        cap_micros: config.spend.daily_cap_micros,
        by_backend: rec.by_backend,
    })
}

/// The days of `day_range(today, days)`, oldest first, zeros where empty.
pub(crate) fn spend_days(
    txn: &ReadTransaction,
    today: i64,
    days: u32,
) -> Result<Vec<DaySpend>, LedgerError> {
    let spend = txn.open_table(SPEND).io()?;
    let top = txn.open_table(TOP).io()?;
    let mut out = Vec::new();
    for day in crate::ledger::day_range(today, days) {
        let rec: SpendDay = match spend.get(day).io()? {
            Some(g) => decode(&format!("spend {day}"), g.value())?,
            None => SpendDay::default(),
        };
        let mut credits = 0u64;
        for item in top.range((day, "")..(day + 1, "")).io()? {
            credits = credits.saturating_add(item.io()?.1.value());
        }
        out.push(DaySpend {
            day,
            cost_micros: rec.spent,
            images: rec.images,
            credits,
        });
    }
    Ok(out)
}

/// Every code, newest first.
pub(crate) fn list_codes(txn: &ReadTransaction) -> Result<Vec<CodeInfo>, LedgerError> {
    let table = txn.open_table(CODES).io()?;
    let mut out = Vec::new();
    for item in table.iter().io()? {
        let (k, v) = item.io()?;
        let hash = k.value();
        let rec: CodeRecord = decode(&format!("code {}", short_id(hash)), v.value())?;
        out.push((
            rec.seq,
            CodeInfo {
                id: short_id(hash),
                spec: rec.spec,
                uses: rec.uses,
                revoked: rec.revoked,
                created_at: rec.created_at,
                created_by: rec.created_by,
            },
        ));
    }
    out.sort_by(|(sa, a), (sb, b)| b.created_at.cmp(&a.created_at).then(sb.cmp(sa)));
    Ok(out.into_iter().map(|(_, info)| info).collect())
}

/// The last `limit` audit entries, newest first.
pub(crate) fn audit(txn: &ReadTransaction, limit: usize) -> Result<Vec<AuditEntry>, LedgerError> {
    let table = txn.open_table(AUDIT).io()?;
    let mut out = Vec::new();
    for item in table.iter().io()?.rev().take(limit) {
        let (k, v) = item.io()?;
        out.push(decode(&format!("audit {}", k.value()), v.value())?);
    }
    Ok(out)
}
