//! Access codes: mint, redeem, revoke.
//!
//! A code is stored only under its hash. Redemption is two idempotent steps
//! like in Redis (count the use on the code, then apply the grant to the
//! user, keyed by grant id `code:<short id>`), though here both run in one
//! transaction; the healing rule is kept so both stores answer alike.

use easel_shared::admin::{Actor, AuditEntry, CodeSpec, MintedCode, Redemption};
use easel_shared::config::Config;
use easel_shared::{UnixMillis, UserKey};

use super::records::{CodeRecord, UserRecord};
use redb::{ReadableTable, ReadableTableMetadata};

use super::tables::{Io, Tx, encode, get_json};
use super::user::assign_plan;
use crate::ledger::LedgerError;
use crate::ledger::code::{CodeText, short_id};

/// Attempts at a fresh short id before giving up (40-bit ids: one collision
/// is already unlikely).
const MINT_TRIES: u32 = 8;

/// Creates `count` codes; the plaintexts exist only in the answer.
pub(crate) fn mint(
    tx: &mut Tx<'_>,
    spec: &CodeSpec,
    count: u32,
    actor: Actor,
) -> Result<Vec<MintedCode>, LedgerError> {
    if let Some(plan) = &spec.plan
        && !tx.config.plans.contains_key(plan)
    {
        return Err(LedgerError::NotFound(format!("plan `{plan}`")));
    }
    if spec.max_uses == 0 {
        return Err(LedgerError::Refused("max_uses must be at least 1".into()));
    }
    let now = tx.now();
    let first_seq = tx.codes.len().io()?;
    let mut minted = Vec::new();
    for seq in (first_seq..).take(count as usize) {
        let mut fresh = None;
        for _ in 0..MINT_TRIES {
            let code = CodeText::generate();
            if tx.code_ids.get(code.id().as_str()).io()?.is_none() {
                fresh = Some(code);
                break;
            }
        }
        let code = fresh
            .ok_or_else(|| LedgerError::Unavailable("embedded ledger: no free code id".into()))?;
        let (hash, id) = (code.hash(), code.id());
        let rec = CodeRecord {
            spec: spec.clone(),
            uses: 0,
            revoked: false,
            created_at: now,
            created_by: actor,
            users: Vec::new(),
            seq,
        };
        tx.codes
            .insert(hash.as_str(), encode(&rec)?.as_slice())
            .io()?;
        tx.code_ids.insert(id.as_str(), hash.as_str()).io()?;
        minted.push(MintedCode {
            id,
            code: code.display(),
        });
    }
    let ids: Vec<&str> = minted.iter().map(|m| m.id.as_str()).collect();
    tx.push_audit(&AuditEntry {
        at: now,
        actor,
        user: None,
        action: "mint".into(),
        detail: format!(
            "{count} codes [{}]: {} credits, plan {} for {} days, {} uses",
            ids.join(","),
            spec.credits,
            spec.plan.as_deref().unwrap_or("-"),
            spec.plan_days,
            spec.max_uses
        ),
        reason: spec.note.clone(),
    })?;
    Ok(minted)
}

/// Redeems a code for a user; see docs/ledger.md "Codes".
pub(crate) fn redeem(
    tx: &mut Tx<'_>,
    user: UserKey,
    text: &str,
) -> Result<Redemption, LedgerError> {
    let Some(code) = CodeText::parse(text) else {
        return Ok(Redemption::Invalid);
    };
    let hash = code.hash();
    let Some(mut rec) = get_json::<CodeRecord>(&tx.codes, "code", &hash)? else {
        return Ok(Redemption::Invalid);
    };
    let now = tx.now();
    if rec.revoked {
        return Ok(Redemption::Revoked);
    }
    if rec.spec.redeem_by.is_some_and(|by| by < now) {
        return Ok(Redemption::Expired);
    }
    let mut user_rec = tx.user(user)?;
    let grant = format!("code:{}", short_id(&hash));
    let user_text = user.to_string();
    let counted = rec.users.contains(&user)
        || tx
            .code_users
            .get((hash.as_str(), user_text.as_str()))
            .io()?
            .is_some();
    if !counted && rec.uses >= rec.spec.max_uses {
        return Ok(Redemption::UsedUp);
    }
    // Step 2 (the grant) is what the user sees; if a crash ever left step 1
    // done without it, it is applied now and counts as the redemption.
    if counted && user_rec.grants.contains(&grant) {
        return Ok(Redemption::AlreadyRedeemed);
    }
    if let Some(code_plan) = &rec.spec.plan
        && let Some((plan, until)) = held_plan(&user_rec, code_plan, &tx.config, now)
    {
        // Nothing is written: the use stays free for later.
        return Ok(Redemption::PlanHeld { plan, until });
    }
    if !counted {
        rec.uses += 1;
        tx.codes
            .insert(hash.as_str(), encode(&rec)?.as_slice())
            .io()?;
        tx.code_users
            .insert((hash.as_str(), user_text.as_str()), ())
            .io()?;
    }
    let spec = &rec.spec;
    user_rec.credits = user_rec.credits.saturating_add(spec.credits);
    let expiry = match &spec.plan {
        Some(plan) => assign_plan(&mut user_rec, Some(plan), spec.plan_days, now),
        None => None,
    };
    user_rec.grants.push(grant);
    tx.put_user(user, &user_rec)?;
    tx.push_audit(&AuditEntry {
        at: now,
        actor: Actor::System,
        user: Some(user),
        action: "redeem".into(),
        detail: format!(
            "code {}: {} credits, plan {} until {}",
            short_id(&hash),
            spec.credits,
            spec.plan.as_deref().unwrap_or("-"),
            expiry.map_or_else(|| "-".to_owned(), |e| e.0.to_string())
        ),
        reason: String::new(),
    })?;
    Ok(Redemption::Redeemed {
        credits: spec.credits,
        plan: spec.plan.clone(),
        plan_expires_at: expiry,
    })
}

/// The user's active plan if a code for `code_plan` must not replace it
/// (docs/ledger.md, "Codes"): a different plan of no higher priority.
fn held_plan(
    user: &UserRecord,
    code_plan: &str,
    config: &Config,
    now: UnixMillis,
) -> Option<(String, Option<UnixMillis>)> {
    let current = user.plan.as_deref()?;
    let active = user.plan_until.is_none_or(|until| until > now);
    let (Some(have), Some(want)) = (config.plans.get(current), config.plans.get(code_plan)) else {
        return None;
    };
    (active && current != code_plan && want.priority <= have.priority)
        .then(|| (current.to_owned(), user.plan_until))
}

/// Revokes a code by short id; false if unknown.
pub(crate) fn revoke(tx: &mut Tx<'_>, id: &str, actor: Actor) -> Result<bool, LedgerError> {
    let Some(hash) = tx.code_ids.get(id).io()?.map(|g| g.value().to_owned()) else {
        return Ok(false);
    };
    let Some(mut rec) = get_json::<CodeRecord>(&tx.codes, "code", &hash)? else {
        return Ok(false);
    };
    if !rec.revoked {
        rec.revoked = true;
        tx.codes
            .insert(hash.as_str(), encode(&rec)?.as_slice())
            .io()?;
        tx.push_audit(&AuditEntry {
            at: tx.now(),
            actor,
            user: None,
            action: "revoke".into(),
            detail: format!("code {id}"),
            reason: String::new(),
        })?;
    }
    Ok(true)
}
