//! A reservation's life on Redis: reserve, renew, reap (settle is in
//! `settle.rs`). Each user step is one script; the cross-slot steps around
//! it follow the order and crash reasoning documented in `redis.rs`.

use easel_shared::{Denial, Refusal, RequestId, UnixMillis, UserKey};
use futures::StreamExt;

use super::RedisLedger;
use super::keys::{UserKeys, lease_member, lease_nonce, parse_lease_member};
use super::policy::quality_name;
use super::receipts::Receipt;
use super::scripts::{Reply, SCRIPTS, evalsha};
use crate::ledger::{Admission, LedgerError, ReapReport, Reservation, ReserveRequest, too_costly};

/// Spend hashes outlive their day by this much: late settles still land,
/// and `spend_days` reads a month of totals (one field per request, so a
/// month of requests is kept: small next to the usage logs).
pub(super) const SPEND_TTL_MS: i64 = (crate::ledger::SPEND_DAYS_KEPT as i64 + 1) * UnixMillis::DAY;
/// Top-list days are kept this many days.
pub(super) const TOP_KEEP_DAYS: i64 = 40;
pub(super) const TOP_TTL_MS: i64 = TOP_KEEP_DAYS * UnixMillis::DAY;
/// Most leases one reap pass looks at.
const REAP_BATCH: usize = 500;
/// Reap scripts in flight at once (they pipeline on the shared connection).
const REAP_CONCURRENCY: usize = 16;

/// Where a reservation's spend is booked.
pub(super) struct SpendRef {
    /// The UTC day of the reservation.
    day: i64,
    /// For the per-backend totals.
    backend: String,
    /// The request's field in the day's hash: `<user>|<id>`, because request
    /// ids are only unique per user.
    request: String,
}

impl SpendRef {
    pub(super) fn new(day: i64, backend: String, user: UserKey, id: &RequestId) -> Self {
        Self {
            day,
            backend,
            request: format!("{user}|{}", id.as_str()),
        }
    }
}

pub(super) async fn reserve(
    l: &RedisLedger,
    req: &ReserveRequest,
) -> Result<Admission, LedgerError> {
    let p = l.policy();
    if let Some(denied) = too_costly(p.config(), req) {
        return Ok(denied);
    }
    let u = l.keys.user(req.user);
    let record = u.record(&req.id);
    let leases = l.keys.leases();
    let nonce = lease_nonce();
    let member = lease_member(req.user, &req.id, &nonce);

    // (1) The reaper's hint goes in first, so no pending reservation is ever
    // without one (a hint without a reservation is dropped by the reaper).
    // (2) The user step. Both in one round trip: Redis runs a pipeline in order.
    let hint = l.clock.now().0.saturating_add(p.lease_ms);
    let mut add_hint = redis::cmd("ZADD");
    add_hint.arg(&leases).arg(hint).arg(&member);
    let now = l.now_arg();
    let images = req.images.to_string();
    let cpi = req.credits_per_image.to_string();
    let est = req.est_cost_micros.to_string();
    let (lease, longest) = (p.lease_ms.to_string(), p.longest_ms.to_string());
    let (blocks, burst) = (l.blocks_key(req.user), l.burst_key(req.user));
    let pass = l.pass_key(req.user, &req.id);
    let key_index = l.keys.user_api_keys(req.user);
    let (key_prefix, key_hash) = req
        .key
        .as_ref()
        .map_or(("", ""), |k| (k.prefix.as_str(), k.hash.as_str()));
    let reply = l
        .run_with(
            vec![add_hint],
            &SCRIPTS.reserve,
            &[
                &u.meta, &u.log, &u.pend, &record, &u.win, &blocks, &burst, &pass, &key_index,
            ],
            &[
                &now,
                req.id.as_str(),
                &images,
                &cpi,
                &est,
                &req.backend,
                &p.plans_json,
                &p.default_plan,
                p.mode,
                p.allowlisted(req.user),
                &lease,
                &longest,
                &nonce,
                quality_name(req.quality),
                if req.edit { "1" } else { "0" },
                if req.guard { "1" } else { "0" },
                &p.cooldown.0,
                &p.cooldown.1,
                key_prefix,
                key_hash,
            ],
            Vec::new(),
        )
        .await?;

    let tag = reply.text(0)?;
    if tag == "deny" {
        // (3) Nothing was reserved: drop the hint.
        drop_hint(l, &member).await?;
        return Ok(Admission::Denied(Refusal::quiet(denial(&reply)?)));
    }
    let replayed = tag == "replay";
    let reservation = Reservation {
        id: req.id.clone(),
        user: req.user,
        images: reply.num(2)?,
        from_windows: reply.num(3)?,
        from_credits: reply.num(4)?,
        lease_until: UnixMillis(reply.int(5)?),
        replayed,
        // A replay is never run: its queue priority does not matter.
        priority: if replayed { 0 } else { reply.num(10)? },
    };
    if replayed {
        // The first call's hint covers the reservation while it is pending.
        // A replay never touches the spend step: the first call holds the
        // estimate or cancels, and a replay cancelling could undo a
        // reservation whose job is running (the runner never runs a replay).
        drop_hint(l, &member).await?;
        return Ok(Admission::Admitted(reservation));
    }

    let day = reply.int(7)?;
    let receipt = Receipt {
        day,
        backend: reply.text(9)?,
        nonce,
        images: reservation.images,
        credits_per_image: req.credits_per_image,
    };
    // (4) Hold the estimate against the day's cap (idempotent by id). Without
    // a cap there is nothing to hold: settle books the final cost alone.
    let cap = p.config().spend.daily_cap_micros;
    if cap == 0 {
        l.receipts.keep(req.user, &req.id, receipt);
        return Ok(Admission::Admitted(reservation));
    }
    let held_est = reply.text(8)?;
    let spend = SpendRef::new(day, receipt.backend.clone(), req.user, &req.id);
    let hold = l
        .run(
            &SCRIPTS.spend_hold,
            &[&l.keys.spend(day)],
            &[
                &spend.request,
                &held_est,
                &spend.backend,
                &cap.to_string(),
                &SPEND_TTL_MS.to_string(),
            ],
        )
        .await?;
    if hold.int(0)? == 1 {
        l.receipts.keep(req.user, &req.id, receipt);
        return Ok(Admission::Admitted(reservation));
    }
    l.run(
        &SCRIPTS.cancel,
        &finish_keys(&u, &record),
        &[&now, req.id.as_str()],
    )
    .await?;
    drop_hint(l, &member).await?;
    Ok(Admission::Denied(Refusal {
        denial: Denial::Budget {
            resets_at: UnixMillis((day + 1) * UnixMillis::DAY),
        },
        notify_admins: hold.int(1)? == 1,
    }))
}

fn denial(reply: &Reply) -> Result<Denial, LedgerError> {
    Ok(match reply.text(2)?.as_str() {
        "banned" => Denial::Banned,
        "not_allowed" => Denial::NotAllowed,
        "needs_code" => Denial::NeedsCode,
        "in_flight" => Denial::InFlight {
            limit: reply.num(3)?,
        },
        "plan" => Denial::PlanForbids {
            what: reply.text(3)?,
            max: u32::try_from(reply.int(4)?).ok(),
        },
        "cooldown" => Denial::Cooldown {
            until: UnixMillis(reply.int(3)?),
        },
        "key" => Denial::KeyRevoked,
        "burst" => Denial::Burst {
            retry_at: UnixMillis(reply.int(3)?),
        },
        "quota" => Denial::Quota {
            fits: reply.num(3)?,
            retry_at: Some(reply.int(4)?).filter(|&t| t >= 0).map(UnixMillis),
        },
        other => return Err(LedgerError::Corrupt(format!("unknown denial `{other}`"))),
    })
}

pub(super) async fn renew(
    l: &RedisLedger,
    user: UserKey,
    id: &RequestId,
) -> Result<bool, LedgerError> {
    let p = l.policy();
    let u = l.keys.user(user);
    let reply = l
        .run(
            &SCRIPTS.renew,
            &[&u.pend],
            &[&l.now_arg(), id.as_str(), &p.lease_ms.to_string()],
        )
        .await?;
    // The first reserve call's hint stays until the reservation is finished;
    // a stale score only makes the reaper look early and re-add it.
    Ok(reply.int(0)? != 0)
}

pub(super) async fn renew_many(
    l: &RedisLedger,
    held: &[(UserKey, RequestId)],
) -> Result<Vec<bool>, LedgerError> {
    if held.is_empty() {
        return Ok(Vec::new());
    }
    let p = l.policy();
    let (now, lease) = (l.now_arg(), p.lease_ms.to_string());
    // One script per user slot (legal on Cluster): one pipeline on a node,
    // one call per lease on a cluster, sent together.
    let calls: Vec<redis::Cmd> = held
        .iter()
        .map(|(user, id)| {
            let pend = [l.keys.user(*user).pend];
            evalsha(&SCRIPTS.renew, &pend, &[now.as_str(), id.as_str(), &lease])
        })
        .collect();
    match l.query_each::<i64>(&calls).await {
        Ok(leases) => Ok(leases.into_iter().map(|t| t != 0).collect()),
        // After a Redis restart (or on a cluster master that never ran it)
        // the script cache is empty (NOSCRIPT): renew one by one, which loads
        // it where missing. If Redis is down, the first renew says so.
        Err(_) => {
            let mut renewed = Vec::with_capacity(held.len());
            for (user, id) in held {
                renewed.push(renew(l, *user, id).await?);
            }
            Ok(renewed)
        }
    }
}

/// What the reaper did with one index member.
enum Reaped {
    Refunded,
    Skipped,
}

pub(super) async fn reap(l: &RedisLedger) -> Result<ReapReport, LedgerError> {
    let retention = l.policy().retention_ms.to_string();
    let leases = l.keys.leases();
    let due: Vec<String> = l
        .query(
            redis::cmd("ZRANGEBYSCORE")
                .arg(&leases)
                .arg("-inf")
                .arg(l.clock.now().0)
                .arg("LIMIT")
                .arg(0)
                .arg(REAP_BATCH),
        )
        .await?;
    let results: Vec<Result<Reaped, LedgerError>> = futures::stream::iter(due)
        .map(|member| reap_one(l, member, &retention))
        .buffer_unordered(REAP_CONCURRENCY)
        .collect()
        .await;
    let mut report = ReapReport::default();
    for r in results {
        match r? {
            Reaped::Refunded => report.refunded += 1,
            Reaped::Skipped => report.skipped += 1,
        }
    }
    Ok(report)
}

async fn reap_one(l: &RedisLedger, member: String, retention: &str) -> Result<Reaped, LedgerError> {
    let Some((user, id)) = parse_lease_member(&member) else {
        drop_hint(l, &member).await?;
        return Ok(Reaped::Skipped);
    };
    let u = l.keys.user(user);
    let record = u.record(&id);
    let reply = l
        .run(
            &SCRIPTS.reap,
            &finish_keys(&u, &record),
            &[&l.now_arg(), id.as_str(), retention],
        )
        .await?;
    match reply.text(0)?.as_str() {
        "alive" => {
            l.query::<()>(
                redis::cmd("ZADD")
                    .arg(l.keys.leases())
                    .arg(reply.int(2)?)
                    .arg(&member),
            )
            .await?;
            Ok(Reaped::Skipped)
        }
        "reaped" => {
            let spend = SpendRef::new(reply.int(2)?, reply.text(3)?, user, &id);
            // The worker vanished: its upstream call may have run and been
            // billed, so the day keeps the estimate rather than 0. `force`:
            // the refund is final, whatever a late settle booked meanwhile.
            let estimate = reply.text(4)?;
            let refunded = Booking {
                cost: &estimate,
                credits: 0,
                images: 0,
            };
            let (keys, args) = book_args(l, &spend, user, refunded, Book::Force);
            let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            l.run_with(
                Vec::new(),
                &SCRIPTS.spend_book,
                &keys,
                &args,
                vec![zrem_hint(l, &member)],
            )
            .await?;
            Ok(Reaped::Refunded)
        }
        _ => {
            drop_hint(l, &member).await?;
            Ok(Reaped::Skipped)
        }
    }
}

/// The KEYS of settle, reap and cancel.
pub(super) fn finish_keys<'a>(u: &'a UserKeys, record: &'a str) -> [&'a str; 6] {
    [&u.meta, &u.log, &u.pend, record, &u.usage, &u.win]
}

pub(super) fn zrem_hint(l: &RedisLedger, member: &str) -> redis::Cmd {
    let mut cmd = redis::cmd("ZREM");
    cmd.arg(l.keys.leases()).arg(member);
    cmd
}

async fn drop_hint(l: &RedisLedger, member: &str) -> Result<(), LedgerError> {
    l.query::<()>(&zrem_hint(l, member)).await
}

/// How `spend_book.lua` treats what is already booked for a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Book {
    /// Books unless the request is already booked (the settle does not know
    /// yet whether it takes effect).
    First,
    /// Replaces what is booked (the caller read the record's final state).
    Force,
    /// Takes back exactly this booking (it was made for an unknown reservation).
    Undo,
}

/// What one finished request books in its day's spend and top list.
#[derive(Debug, Clone, Copy)]
pub(super) struct Booking<'a> {
    /// Final cost in micro-dollars, as the record stores it.
    pub(super) cost: &'a str,
    /// Credits charged (the top list).
    pub(super) credits: u32,
    /// Images delivered (the day's image count).
    pub(super) images: u32,
}

/// The KEYS and ARGV of `spend_book.lua`.
pub(super) fn book_args(
    l: &RedisLedger,
    spend: &SpendRef,
    user: UserKey,
    booking: Booking<'_>,
    mode: Book,
) -> ([String; 2], [String; 9]) {
    let mode = match mode {
        Book::First => "first",
        Book::Force => "force",
        Book::Undo => "undo",
    };
    (
        [l.keys.spend(spend.day), l.keys.top(spend.day)],
        [
            spend.request.clone(),
            user.to_string(),
            booking.cost.to_owned(),
            booking.credits.to_string(),
            spend.backend.clone(),
            mode.to_owned(),
            SPEND_TTL_MS.to_string(),
            TOP_TTL_MS.to_string(),
            booking.images.to_string(),
        ],
    )
}
