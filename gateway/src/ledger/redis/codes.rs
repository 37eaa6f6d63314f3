//! Access codes on Redis: mint, redeem (two idempotent steps), revoke, list.
//!
//! A code is stored only under its hash (`{code:<hash>}`), never in plain
//! text; `{codes}` maps the short public id to that hash for listing and
//! revoking.

use std::collections::HashMap;

use easel_shared::admin::{Actor, AuditEntry, CodeInfo, CodeSpec, MintedCode, Redemption};
use easel_shared::{UnixMillis, UserKey};

use super::RedisLedger;
use super::admin::push_audit;
use super::scripts::SCRIPTS;
use crate::ledger::LedgerError;
use crate::ledger::code::CodeText;

pub(super) async fn mint(
    l: &RedisLedger,
    spec: &CodeSpec,
    count: u32,
    actor: Actor,
) -> Result<Vec<MintedCode>, LedgerError> {
    if let Some(plan) = &spec.plan
        && !l.policy().config().plans.contains_key(plan)
    {
        return Err(LedgerError::NotFound(format!("plan `{plan}`")));
    }
    if spec.max_uses < 1 {
        return Err(LedgerError::Refused("max_uses must be at least 1".into()));
    }
    let now = l.clock.now();
    let codes = claim_ids(l, count).await?;
    // Each code's hash lives in its own slot: independent writes (one round
    // trip on a node, one command per key on a cluster).
    let mut writes = Vec::new();
    let mut minted = Vec::new();
    for code in codes {
        let hash = code.hash();
        let mut fields = redis::cmd("HSET");
        fields.arg(l.keys.code(&hash)).arg(&[
            ("credits", spec.credits.to_string()),
            ("plan", spec.plan.clone().unwrap_or_default()),
            ("plan_days", spec.plan_days.to_string()),
            ("max_uses", spec.max_uses.to_string()),
            (
                "redeem_by",
                spec.redeem_by.map(|t| t.0.to_string()).unwrap_or_default(),
            ),
            ("note", spec.note.clone()),
            ("uses", "0".to_owned()),
            ("revoked", "0".to_owned()),
            ("created_at", now.0.to_string()),
            ("created_by", actor.to_string()),
        ]);
        writes.push(fields);
        minted.push(MintedCode {
            id: code.id(),
            code: code.display(),
        });
    }
    l.query_each::<redis::Value>(&writes).await?;
    let ids: Vec<&str> = minted.iter().map(|m| m.id.as_str()).collect();
    let entry = AuditEntry {
        at: now,
        actor,
        user: None,
        action: "mint".to_owned(),
        detail: format!(
            "{count} codes ({}): {} credits, plan {:?} for {} days, {} uses each",
            ids.join(", "),
            spec.credits,
            spec.plan,
            spec.plan_days,
            spec.max_uses
        ),
        reason: spec.note.clone(),
    };
    push_audit(l, &entry).await;
    Ok(minted)
}

/// Attempts at a fresh short id per code before giving up (40-bit ids: even
/// one collision is unlikely).
const MINT_TRIES: u32 = 8;

/// Generates `count` codes whose short ids were free, and claims each id in
/// `{codes}` with HSETNX first: two codes never share an id, however many
/// are minted or by how many replicas at once.
async fn claim_ids(l: &RedisLedger, count: u32) -> Result<Vec<CodeText>, LedgerError> {
    let mut claimed = Vec::with_capacity(count as usize);
    for _ in 0..MINT_TRIES {
        let wanted = count as usize - claimed.len();
        if wanted == 0 {
            break;
        }
        let fresh: Vec<CodeText> = (0..wanted).map(|_| CodeText::generate()).collect();
        let mut pipe = redis::pipe();
        for code in &fresh {
            pipe.cmd("HSETNX")
                .arg(l.keys.codes())
                .arg(code.id())
                .arg(code.hash());
        }
        let won: Vec<bool> = l.query_pipe(&pipe).await?;
        claimed.extend(
            fresh
                .into_iter()
                .zip(won)
                .filter_map(|(c, ok)| ok.then_some(c)),
        );
    }
    if claimed.len() < count as usize {
        return Err(LedgerError::Unavailable("no free code id".into()));
    }
    Ok(claimed)
}

pub(super) async fn redeem(
    l: &RedisLedger,
    user: UserKey,
    text: &str,
) -> Result<Redemption, LedgerError> {
    let Some(code) = CodeText::parse(text) else {
        return Ok(Redemption::Invalid);
    };
    let hash = code.hash();
    let now = l.now_arg();
    let user_text = user.to_string();
    // Step 1, on the code's slot: take a use (or learn this user has one).
    let claim = l
        .run(
            &SCRIPTS.claim,
            &[&l.keys.code(&hash), &l.keys.code_users(&hash)],
            &[&now, &user_text],
        )
        .await?;
    let tag = claim.text(0)?;
    match tag.as_str() {
        "invalid" => return Ok(Redemption::Invalid),
        "revoked" => return Ok(Redemption::Revoked),
        "expired" => return Ok(Redemption::Expired),
        "used_up" => return Ok(Redemption::UsedUp),
        _ => {}
    }
    let credits = claim.text(1)?;
    let plan = claim.text(2)?;
    let days = claim.text(3)?;
    // Step 2, on the user's slot: apply the grant once. Run it even when step 1
    // says "already": that heals a crash between the two steps.
    let u = l.keys.user(user);
    let id = code.id();
    let grant = l
        .run(
            &SCRIPTS.grant,
            &[&u.meta, &u.grants],
            &[
                &now,
                &format!("code:{id}"),
                &credits,
                &plan,
                &days,
                &l.policy().plans_json,
            ],
        )
        .await?;
    match grant.text(0)?.as_str() {
        "applied" => {}
        "held" => {
            // Step 3: give the use back. A crash before it leaves the use
            // taken; redeeming again reaches here again and gives it back.
            l.run(
                &SCRIPTS.unclaim,
                &[&l.keys.code(&hash), &l.keys.code_users(&hash)],
                &[&user_text],
            )
            .await?;
            let until = grant.int(3)?;
            return Ok(Redemption::PlanHeld {
                plan: grant.text(2)?,
                until: (until > 0).then_some(UnixMillis(until)),
            });
        }
        _ => return Ok(Redemption::AlreadyRedeemed),
    }
    let credits: u64 = credits
        .parse()
        .map_err(|_| LedgerError::Corrupt(format!("code {id} credits `{credits}`")))?;
    let expiry = grant.int(2)?;
    let plan = Some(plan).filter(|p| !p.is_empty());
    let plan_expires_at = (plan.is_some() && expiry > 0).then_some(UnixMillis(expiry));
    let entry = AuditEntry {
        at: UnixMillis(grant.int(1)?),
        actor: Actor::System,
        user: Some(user),
        action: "redeem".to_owned(),
        detail: format!("code {id}: {credits} credits, plan {plan:?} until {plan_expires_at:?}"),
        reason: String::new(),
    };
    push_audit(l, &entry).await;
    Ok(Redemption::Redeemed {
        credits,
        plan,
        plan_expires_at,
    })
}

pub(super) async fn revoke(l: &RedisLedger, id: &str, actor: Actor) -> Result<bool, LedgerError> {
    let hash: Option<String> = l
        .query(redis::cmd("HGET").arg(l.keys.codes()).arg(id))
        .await?;
    let Some(hash) = hash else {
        return Ok(false);
    };
    l.query::<()>(
        redis::cmd("HSET")
            .arg(l.keys.code(&hash))
            .arg("revoked")
            .arg("1"),
    )
    .await?;
    let entry = AuditEntry {
        at: l.clock.now(),
        actor,
        user: None,
        action: "revoke".to_owned(),
        detail: format!("code {id}"),
        reason: String::new(),
    };
    push_audit(l, &entry).await;
    Ok(true)
}

pub(super) async fn list(l: &RedisLedger) -> Result<Vec<CodeInfo>, LedgerError> {
    let index: HashMap<String, String> = l.query(redis::cmd("HGETALL").arg(l.keys.codes())).await?;
    if index.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<&String> = index.keys().collect();
    // One slot per code: read them as independent commands.
    let reads: Vec<redis::Cmd> = ids
        .iter()
        .map(|id| {
            let mut c = redis::cmd("HGETALL");
            c.arg(l.keys.code(&index[*id]));
            c
        })
        .collect();
    let hashes: Vec<HashMap<String, String>> = l.query_each(&reads).await?;
    let mut codes = Vec::with_capacity(ids.len());
    for (id, fields) in ids.into_iter().zip(hashes) {
        if !fields.is_empty() {
            codes.push(code_info(id, &fields)?);
        }
    }
    codes.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(a.id.cmp(&b.id)));
    Ok(codes)
}

fn code_info(id: &str, f: &HashMap<String, String>) -> Result<CodeInfo, LedgerError> {
    let field = |name: &str| f.get(name).map(String::as_str).unwrap_or_default();
    let bad = |name: &str| LedgerError::Corrupt(format!("code {id} field `{name}`"));
    let num = |name: &str| field(name).parse::<i64>().map_err(|_| bad(name));
    let plan = field("plan");
    let redeem_by = field("redeem_by");
    Ok(CodeInfo {
        id: id.to_owned(),
        spec: CodeSpec {
            credits: field("credits").parse().map_err(|_| bad("credits"))?,
            plan: (!plan.is_empty()).then(|| plan.to_owned()),
            plan_days: field("plan_days").parse().map_err(|_| bad("plan_days"))?,
            max_uses: field("max_uses").parse().map_err(|_| bad("max_uses"))?,
            redeem_by: if redeem_by.is_empty() {
                None
            } else {
                Some(UnixMillis(num("redeem_by")?))
            },
            note: field("note").to_owned(),
        },
        uses: field("uses").parse().map_err(|_| bad("uses"))?,
        revoked: field("revoked") == "1",
        created_at: UnixMillis(num("created_at")?),
        created_by: field("created_by").parse().map_err(|_| bad("created_by"))?,
    })
}
