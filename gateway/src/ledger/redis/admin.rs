//! Status, admin changes (each audited) and the admin read models on Redis.

use std::collections::BTreeMap;
use std::sync::Arc;

use easel_shared::admin::{Actor, AuditEntry, DaySpend, SpendStatus, TopEntry, UsageEntry};
use easel_shared::{QuotaStatus, UnixMillis, UserKey, WindowStatus};

use super::RedisLedger;
use super::keys::UserKeys;
use super::lifecycle::TOP_KEEP_DAYS;
use super::policy::Policy;
use super::scripts::{Reply, SCRIPTS, evalsha};
use crate::ledger::LedgerError;

/// Audit entries kept (newest first).
const AUDIT_KEEP: isize = 10_000;

pub(super) async fn status(l: &RedisLedger, user: UserKey) -> Result<QuotaStatus, LedgerError> {
    let call = StatusCall::new(l, user);
    parse_status(&l.run(&SCRIPTS.status, &call.keys(), &call.args()).await?)
}

/// `status.lua` as one command, for a caller that pipelines it.
pub(super) fn status_cmd(l: &RedisLedger, user: UserKey) -> redis::Cmd {
    let call = StatusCall::new(l, user);
    evalsha(&SCRIPTS.status, &call.keys(), &call.args())
}

/// What `status.lua` is called with (its KEYS and ARGV borrow from here).
struct StatusCall {
    policy: Arc<Policy>,
    keys: UserKeys,
    now: String,
    allowlisted: &'static str,
    longest: String,
}

impl StatusCall {
    fn new(l: &RedisLedger, user: UserKey) -> Self {
        let policy = l.policy();
        Self {
            allowlisted: policy.allowlisted(user),
            longest: policy.longest_ms.to_string(),
            policy,
            keys: l.keys.user(user),
            now: l.now_arg(),
        }
    }

    fn keys(&self) -> [&str; 4] {
        let u = &self.keys;
        [&u.meta, &u.log, &u.pend, &u.win]
    }

    fn args(&self) -> [&str; 6] {
        let p = &self.policy;
        [
            &self.now,
            &p.plans_json,
            &p.default_plan,
            p.mode,
            self.allowlisted,
            &self.longest,
        ]
    }
}

/// A `status.lua` reply as the user's quota.
pub(super) fn parse_status(r: &Reply) -> Result<QuotaStatus, LedgerError> {
    let plan = Some(r.text(1)?).filter(|p| !p.is_empty());
    let expiry = r.int(2)?;
    let credits = r.text(3)?;
    let mut windows = Vec::new();
    let mut i = 6;
    while i + 3 < r.len() {
        let next_free = r.int(i + 3)?;
        windows.push(WindowStatus {
            limit: r.num(i)?,
            period_secs: r.num::<u64>(i + 1)? / 1000,
            used: r.num(i + 2)?,
            next_free_at: (next_free >= 0).then_some(UnixMillis(next_free)),
        });
        i += 4;
    }
    Ok(QuotaStatus {
        plan_expires_at: (plan.is_some() && expiry > 0).then_some(UnixMillis(expiry)),
        plan,
        windows,
        credits: credits
            .parse()
            .map_err(|_| LedgerError::Corrupt(format!("credit balance `{credits}`")))?,
        in_flight: r.num(4)?,
        banned: r.int(5)? == 1,
        now: UnixMillis(r.int(0)?),
    })
}

pub(super) async fn adjust_credits(
    l: &RedisLedger,
    user: UserKey,
    delta: i64,
    reason: &str,
    actor: Actor,
) -> Result<u64, LedgerError> {
    let u = l.keys.user(user);
    let r = l
        .run(
            &SCRIPTS.adjust,
            &[&u.meta],
            &[&l.now_arg(), &delta.to_string()],
        )
        .await?;
    let balance: u64 = r.num(2)?;
    if r.text(0)? == "refused" {
        return Err(LedgerError::Refused(format!(
            "cannot remove {} credits: the balance is {balance}",
            delta.unsigned_abs()
        )));
    }
    let action = if delta >= 0 { "grant" } else { "deduct" };
    let amount = delta.unsigned_abs();
    let entry = AuditEntry {
        at: UnixMillis(r.int(1)?),
        actor,
        user: Some(user),
        action: action.to_owned(),
        detail: format!("{amount} credits, balance {balance}"),
        reason: reason.to_owned(),
    };
    push_audit(l, &entry).await;
    Ok(balance)
}

pub(super) async fn set_plan(
    l: &RedisLedger,
    user: UserKey,
    plan: Option<&str>,
    days: u32,
    reason: &str,
    actor: Actor,
) -> Result<Option<UnixMillis>, LedgerError> {
    let p = l.policy();
    if let Some(name) = plan
        && !p.config().plans.contains_key(name)
    {
        return Err(LedgerError::NotFound(format!("plan `{name}`")));
    }
    let u = l.keys.user(user);
    let r = l
        .run(
            &SCRIPTS.set_plan,
            &[&u.meta],
            &[&l.now_arg(), plan.unwrap_or_default(), &days.to_string()],
        )
        .await?;
    let expiry = Some(r.int(1)?).filter(|&e| e > 0).map(UnixMillis);
    let detail = match plan {
        Some(name) => format!("{name} for {days} days, expires {expiry:?}"),
        None => "cleared".to_owned(),
    };
    let entry = AuditEntry {
        at: UnixMillis(r.int(0)?),
        actor,
        user: Some(user),
        action: "plan".to_owned(),
        detail,
        reason: reason.to_owned(),
    };
    push_audit(l, &entry).await;
    Ok(expiry)
}

pub(super) async fn set_banned(
    l: &RedisLedger,
    user: UserKey,
    banned: bool,
    reason: &str,
    actor: Actor,
) -> Result<(), LedgerError> {
    let meta = l.keys.user(user).meta;
    let mut cmd = if banned {
        redis::cmd("HSET")
    } else {
        redis::cmd("HDEL")
    };
    cmd.arg(&meta).arg("banned");
    if banned {
        cmd.arg("1");
    }
    l.query::<()>(&cmd).await?;
    let entry = AuditEntry {
        at: l.clock.now(),
        actor,
        user: Some(user),
        action: if banned { "ban" } else { "unban" }.to_owned(),
        detail: String::new(),
        reason: reason.to_owned(),
    };
    push_audit(l, &entry).await;
    Ok(())
}

pub(super) async fn usage(
    l: &RedisLedger,
    user: UserKey,
    limit: usize,
) -> Result<Vec<UsageEntry>, LedgerError> {
    let key = l.keys.user(user).usage;
    read_json_list(l, &key, limit).await
}

pub(super) async fn audit(l: &RedisLedger, limit: usize) -> Result<Vec<AuditEntry>, LedgerError> {
    read_json_list(l, &l.keys.audit(), limit).await
}

pub(super) async fn top(
    l: &RedisLedger,
    days: u32,
    limit: usize,
) -> Result<Vec<TopEntry>, LedgerError> {
    if days == 0 || limit == 0 {
        return Ok(Vec::new());
    }
    let today = l.clock.now().day();
    // Older days have expired anyway; the cap keeps a silly `days` cheap.
    let days = i64::from(days).min(TOP_KEEP_DAYS);
    // All days share the `{spend}` slot, so one pipeline reads them.
    let mut pipe = redis::pipe();
    for d in 0..days {
        pipe.cmd("HGETALL").arg(l.keys.top(today - d));
    }
    let per_day: Vec<BTreeMap<String, i64>> = l.query_pipe(&pipe).await?;
    let mut sums: BTreeMap<String, i64> = BTreeMap::new();
    for (user, credits) in per_day.into_iter().flatten() {
        *sums.entry(user).or_default() += credits;
    }
    let mut rows = Vec::with_capacity(sums.len());
    // A user booked and taken back on the same day charged nothing.
    for (user, credits) in sums.into_iter().filter(|(_, c)| *c > 0) {
        let user: UserKey = user
            .parse()
            .map_err(|_| LedgerError::Corrupt(format!("top member `{user}`")))?;
        rows.push(TopEntry {
            user,
            credits: credits.max(0).unsigned_abs(),
        });
    }
    rows.sort_by(|a, b| b.credits.cmp(&a.credits).then(a.user.cmp(&b.user)));
    rows.truncate(limit);
    Ok(rows)
}

pub(super) async fn spend_today(l: &RedisLedger) -> Result<SpendStatus, LedgerError> {
    let day = l.clock.now().day();
    let fields: BTreeMap<String, String> = l
        .query(redis::cmd("HGETALL").arg(l.keys.spend(day)))
        .await?;
    let amount = |v: &str| -> u64 { v.parse::<i64>().map_or(0, |n| n.max(0).unsigned_abs()) };
    let by_backend = fields
        .iter()
        .filter_map(|(k, v)| Some((k.strip_prefix("b:")?.to_owned(), amount(v))))
        .collect();
    Ok(SpendStatus {
        day,
        spent_micros: fields.get("total").map_or(0, |v| amount(v)),
        cap_micros: l.policy().config().spend.daily_cap_micros,
        by_backend,
    })
}

pub(super) async fn spend_days(l: &RedisLedger, days: u32) -> Result<Vec<DaySpend>, LedgerError> {
    let range = crate::ledger::day_range(l.clock.now().day(), days);
    if range.is_empty() {
        return Ok(Vec::new());
    }
    // Every day's spend and top list share the `{spend}` slot: one pipeline.
    let mut pipe = redis::pipe();
    for day in range.clone() {
        pipe.cmd("HMGET")
            .arg(l.keys.spend(day))
            .arg("total")
            .arg("images");
        pipe.cmd("HVALS").arg(l.keys.top(day));
    }
    let replies: Vec<redis::Value> = l.query_pipe(&pipe).await?;
    let mut replies = replies.into_iter();
    let mut out = Vec::new();
    for day in range {
        let (Some(totals), Some(credits)) = (replies.next(), replies.next()) else {
            return Err(LedgerError::Corrupt("short spend_days reply".into()));
        };
        let (total, images): (Option<i64>, Option<i64>) =
            redis::FromRedisValue::from_redis_value(totals)
                .map_err(|e| LedgerError::Corrupt(format!("spend total: {e}")))?;
        let credits: Vec<i64> = redis::FromRedisValue::from_redis_value(credits)
            .map_err(|e| LedgerError::Corrupt(format!("top list: {e}")))?;
        out.push(DaySpend {
            day,
            cost_micros: total.unwrap_or(0).max(0).unsigned_abs(),
            images: images.unwrap_or(0).max(0).unsigned_abs(),
            credits: credits.iter().map(|c| c.max(&0).unsigned_abs()).sum(),
        });
    }
    Ok(out)
}

/// Appends to the global audit trail. Best effort: the change it records has
/// already happened, so a failure here is logged, not returned.
pub(super) async fn push_audit(l: &RedisLedger, entry: &AuditEntry) {
    let json = match serde_json::to_string(entry) {
        Ok(j) => j,
        Err(e) => {
            tracing::warn!(error = %e, "could not encode an audit entry");
            return;
        }
    };
    let key = l.keys.audit();
    let mut pipe = redis::pipe();
    pipe.cmd("LPUSH").arg(&key).arg(json).ignore();
    pipe.cmd("LTRIM")
        .arg(&key)
        .arg(0)
        .arg(AUDIT_KEEP - 1)
        .ignore();
    if let Err(e) = l.query_pipe::<()>(&pipe).await {
        tracing::warn!(error = %e, action = %entry.action, "audit entry lost");
    }
}

async fn read_json_list<T: serde::de::DeserializeOwned>(
    l: &RedisLedger,
    key: &str,
    limit: usize,
) -> Result<Vec<T>, LedgerError> {
    if limit == 0 {
        return Ok(Vec::new());
    }
    let stop = isize::try_from(limit).unwrap_or(isize::MAX) - 1;
    let raw: Vec<String> = l
        .query(redis::cmd("LRANGE").arg(key).arg(0).arg(stop))
        .await?;
    raw.iter()
        .map(|j| serde_json::from_str(j).map_err(|e| LedgerError::Corrupt(format!("{key}: {e}"))))
        .collect()
}
