//! Replay, settle, renew, reap, the spend cap and script reloading.

use std::time::Duration;

use easel_gateway::ledger::{Ledger, ReapReport, SettleOutcome, Settlement};
use easel_shared::admin::UsageOutcome;
use easel_shared::{Denial, UnixMillis, UserKey};

use super::fixture::*;

#[tokio::test]
async fn replay_returns_the_first_answer_and_charges_nothing() {
    let f = Fixture::new("replay", config());
    let l = f.ledger().await;
    let u = UserKey::telegram(10);
    let first = admit(&l, &req(u, "a", 2)).await;
    f.clock.advance(Duration::from_secs(5));
    let again = admit(&l, &req(u, "a", 2)).await;
    assert!(again.replayed);
    assert_eq!(
        (again.images, again.from_windows, again.lease_until),
        (first.images, first.from_windows, first.lease_until)
    );
    assert_eq!(l.status(u).await.unwrap().windows[0].used, 2);
    // No daily cap: nothing is held while pending.
    assert_eq!(l.spend_today().await.unwrap().spent_micros, 0);

    // A replay after settling still answers, and stays free.
    settle(&l, u, "a", delivered(2, 700)).await;
    assert!(admit(&l, &req(u, "a", 2)).await.replayed);
    assert_eq!(l.status(u).await.unwrap().windows[0].used, 2);
    assert_eq!(l.spend_today().await.unwrap().spent_micros, 700);
    f.cleanup().await;
}

#[tokio::test]
async fn settle_is_idempotent() {
    let f = Fixture::new("settle-twice", config());
    let l = f.ledger().await;
    let u = UserKey::telegram(11);
    assert_eq!(
        settle(&l, u, "nope", Settlement::Failed).await,
        SettleOutcome::Unknown
    );
    admit(&l, &req(u, "a", 3)).await;
    // Delivering more than reserved is clamped.
    let out = settle(&l, u, "a", delivered(9, 1_200)).await;
    assert_eq!(
        out,
        SettleOutcome::Settled {
            charged: 3,
            refunded: 0
        }
    );
    assert_eq!(
        settle(&l, u, "a", delivered(3, 1_200)).await,
        SettleOutcome::AlreadySettled
    );
    assert_eq!(
        settle(&l, u, "a", Settlement::Failed).await,
        SettleOutcome::AlreadySettled
    );
    let usage = l.usage(u, 10).await.unwrap();
    assert_eq!(usage.len(), 1);
    assert_eq!(
        (usage[0].outcome, usage[0].at),
        (UsageOutcome::Delivered, START)
    );

    admit(&l, &req(u, "b", 2)).await;
    let out = settle(&l, u, "b", Settlement::Failed).await;
    assert_eq!(
        out,
        SettleOutcome::Settled {
            charged: 0,
            refunded: 2
        }
    );
    assert_eq!(
        settle(&l, u, "b", Settlement::Failed).await,
        SettleOutcome::AlreadyRefunded
    );
    assert_eq!(l.status(u).await.unwrap().windows[0].used, 3);
    let spend = l.spend_today().await.unwrap();
    assert_eq!(spend.spent_micros, 1_200);
    assert_eq!(spend.by_backend.get("openai"), Some(&1_200));
    let top = l.top(1, 10).await.unwrap();
    assert_eq!((top[0].user, top[0].credits), (u, 3));
    f.cleanup().await;
}

#[tokio::test]
async fn settle_after_reap_is_already_refunded() {
    let f = Fixture::new("reap-then-settle", config());
    let l = f.ledger().await;
    let u = UserKey::telegram(12);
    admit(&l, &req(u, "a", 2)).await;
    f.clock.advance(LEASE - Duration::from_millis(1));
    assert_eq!(l.reap().await.unwrap(), ReapReport::default());
    f.clock.advance(Duration::from_millis(1));
    assert_eq!(
        l.reap().await.unwrap(),
        ReapReport {
            refunded: 1,
            skipped: 0
        }
    );
    assert_eq!(l.reap().await.unwrap(), ReapReport::default());
    let s = l.status(u).await.unwrap();
    assert_eq!((s.windows[0].used, s.in_flight), (0, 0));
    assert_eq!(
        l.usage(u, 1).await.unwrap()[0].outcome,
        UsageOutcome::Expired
    );
    // The vanished worker may have been billed: the estimate stays as spend.
    assert_eq!(l.spend_today().await.unwrap().spent_micros, 1_000);

    let late = settle(&l, u, "a", delivered(2, 900)).await;
    assert_eq!(late, SettleOutcome::AlreadyRefunded);
    assert!(!l.renew(u, &id("a")).await.unwrap());
    assert_eq!(l.status(u).await.unwrap().windows[0].used, 0);
    f.cleanup().await;
}

#[tokio::test]
async fn renew_keeps_a_running_job_from_the_reaper() {
    let f = Fixture::new("renew", config());
    let l = f.ledger().await;
    let u = UserKey::telegram(13);
    let r = admit(&l, &req(u, "a", 1)).await;
    assert_eq!(r.lease_until, UnixMillis(START.0 + 60_000));
    f.clock.advance(Duration::from_secs(50));
    assert!(l.renew(u, &id("a")).await.unwrap());
    f.clock.advance(Duration::from_secs(20));
    // Past the first lease: the reaper looks, finds it alive and skips it.
    assert_eq!(
        l.reap().await.unwrap(),
        ReapReport {
            refunded: 0,
            skipped: 1
        }
    );
    assert_eq!(l.reap().await.unwrap(), ReapReport::default(), "re-indexed");
    assert_eq!(l.status(u).await.unwrap().in_flight, 1);
    f.clock.advance(Duration::from_secs(40));
    assert_eq!(
        l.reap().await.unwrap(),
        ReapReport {
            refunded: 1,
            skipped: 0
        }
    );
    assert!(!l.renew(u, &id("a")).await.unwrap());
    f.cleanup().await;
}

#[tokio::test]
async fn spend_cap_denies_notifies_once_and_refunds_the_user() {
    let mut c = config();
    c.spend.daily_cap_micros = 2_500;
    let f = Fixture::new("spend-cap", c);
    let l = f.ledger().await;
    let (a, b) = (UserKey::telegram(14), UserKey::discord(14));
    admit(&l, &req(a, "1", 1)).await;
    admit(&l, &req(b, "2", 1)).await;
    let (denial, notify) = deny(&l, &req(a, "3", 1)).await;
    let midnight = UnixMillis(START.day() * UnixMillis::DAY + UnixMillis::DAY);
    assert_eq!(
        denial,
        Denial::Budget {
            resets_at: midnight
        }
    );
    assert!(notify);
    let (_, notify) = deny(&l, &req(b, "4", 1)).await;
    assert!(!notify, "admins are told once a day");

    // The user part was refunded: only "1" is charged and nothing runs.
    let s = l.status(a).await.unwrap();
    assert_eq!((s.windows[0].used, s.in_flight), (1, 1));
    assert_eq!(
        settle(&l, a, "3", Settlement::Failed).await,
        SettleOutcome::Unknown
    );
    assert!(l.usage(a, 10).await.unwrap().is_empty());

    // The final cost replaces the estimate, which makes room again.
    settle(&l, a, "1", delivered(1, 200)).await;
    let spend = l.spend_today().await.unwrap();
    assert_eq!((spend.spent_micros, spend.cap_micros), (1_200, 2_500));
    let r = admit(&l, &req(a, "3", 1)).await;
    assert!(!r.replayed, "a budget denial is not stored");
    assert_eq!(l.spend_today().await.unwrap().spent_micros, 2_200);
    f.cleanup().await;
}

#[tokio::test]
async fn scripts_reload_after_script_flush() {
    let f = Fixture::new("script-flush", config());
    let l = f.ledger().await;
    let u = UserKey::telegram(15);
    admit(&l, &req(u, "a", 1)).await;
    let client = redis::Client::open(redis_url()).unwrap();
    let mut con = client.get_multiplexed_async_connection().await.unwrap();
    let _: () = redis::cmd("SCRIPT")
        .arg("FLUSH")
        .query_async(&mut con)
        .await
        .unwrap();
    admit(&l, &req(u, "b", 1)).await;
    assert_eq!(l.status(u).await.unwrap().windows[0].used, 2);
    assert!(matches!(
        settle(&l, u, "a", delivered(1, 1)).await,
        SettleOutcome::Settled { .. }
    ));
    f.cleanup().await;
}

#[tokio::test]
async fn an_unreachable_redis_is_unavailable() {
    let f = Fixture::new("unreachable", config());
    // Port 1 on localhost refuses at once; the password must not leak.
    let err = easel_gateway::ledger::redis::RedisLedger::connect(
        "redis://user:hunter2@127.0.0.1:1/",
        &f.prefix,
        std::sync::Arc::clone(&f.config),
        f.clock.clone(),
    )
    .await
    .expect_err("nothing listens on port 1");
    let text = err.to_string();
    assert!(
        matches!(err, easel_gateway::ledger::LedgerError::Unavailable(_)),
        "{text}"
    );
    assert!(!text.contains("hunter2"), "{text}");
    // A prefix with a hash tag would break the one-slot-per-user rule.
    let bad = easel_gateway::ledger::redis::RedisLedger::connect(
        &redis_url(),
        "easel{x}:",
        std::sync::Arc::clone(&f.config),
        f.clock.clone(),
    )
    .await;
    assert!(bad.is_err());
}

/// Redis `TIME` in milliseconds, as the scripts compute it.
async fn redis_time_ms(con: &mut redis::aio::MultiplexedConnection) -> i64 {
    let (secs, micros): (i64, i64) = redis::cmd("TIME").query_async(con).await.unwrap();
    secs * 1000 + micros / 1000
}

/// Without a manual clock the scripts read Redis `TIME`: the reservation's
/// lease and the status's "now" fall between two `TIME` reads taken around
/// them (Redis's clock, never this machine's date).
#[tokio::test]
async fn the_real_clock_is_redis_time() {
    let f = Fixture::new("real-clock", config());
    let l = easel_gateway::ledger::redis::RedisLedger::connect(
        &redis_url(),
        &f.prefix,
        std::sync::Arc::clone(&f.config),
        easel_gateway::ledger::Clock::real(),
    )
    .await
    .unwrap();
    let client = redis::Client::open(redis_url()).unwrap();
    let mut con = client.get_multiplexed_async_connection().await.unwrap();
    let u = UserKey::telegram(16);
    let before = redis_time_ms(&mut con).await;
    let r = admit(&l, &req(u, "a", 1)).await;
    let s = l.status(u).await.unwrap();
    let after = redis_time_ms(&mut con).await;
    let lease = LEASE.as_millis() as i64;
    assert!(
        (before + lease..=after + lease).contains(&r.lease_until.0),
        "lease {r:?} not TIME + {lease} ms within [{before}, {after}]"
    );
    assert!((before..=after).contains(&s.now.0), "{s:?}");
    assert_ne!(s.now, START, "the manual START was not used");
    assert_eq!((s.windows[0].used, s.in_flight), (1, 1));
    assert!(matches!(
        settle(&l, u, "a", delivered(1, 1)).await,
        SettleOutcome::Settled { charged: 1, .. }
    ));
    f.cleanup().await;
}

#[tokio::test]
async fn a_pending_record_never_expires_and_a_finished_one_does() {
    let f = Fixture::new("record-ttl", config());
    let l = f.ledger().await;
    let u = UserKey::telegram(17);
    admit(&l, &req(u, "a", 1)).await;
    let client = redis::Client::open(redis_url()).unwrap();
    let mut con = client.get_multiplexed_async_connection().await.unwrap();
    let key = format!("{}{{u:{u}}}:r:a", f.prefix);
    let mut ttl = async || -> i64 {
        redis::cmd("PTTL")
            .arg(&key)
            .query_async(&mut con)
            .await
            .unwrap()
    };
    assert_eq!(ttl().await, -1);
    settle(&l, u, "a", delivered(1, 1)).await;
    let left = ttl().await;
    assert!(left > 47 * 3_600_000 && left <= 48 * 3_600_000, "{left}");
    f.cleanup().await;
}

#[tokio::test]
async fn the_lease_index_holds_exactly_the_pending_reservations() {
    let f = Fixture::new("lease-index", config());
    let l = f.ledger().await;
    let u = UserKey::telegram(18);
    let client = redis::Client::open(redis_url()).unwrap();
    let mut con = client.get_multiplexed_async_connection().await.unwrap();
    let key = format!("{}{{leases}}", f.prefix);
    let mut hints = async || -> usize {
        redis::cmd("ZCARD")
            .arg(&key)
            .query_async(&mut con)
            .await
            .unwrap()
    };
    admit(&l, &req(u, "a", 1)).await;
    assert!(admit(&l, &req(u, "a", 1)).await.replayed);
    assert_eq!(hints().await, 1, "a replay leaves one hint");
    deny(&l, &req(u, "too-big", 50)).await;
    assert_eq!(hints().await, 1, "a denial removes only its own hint");
    settle(&l, u, "a", delivered(1, 1)).await;
    assert!(admit(&l, &req(u, "a", 1)).await.replayed);
    assert_eq!(hints().await, 0);

    // A replayed pending reservation is still reaped through the first hint.
    admit(&l, &req(u, "b", 1)).await;
    admit(&l, &req(u, "b", 1)).await;
    f.clock.advance(LEASE);
    assert_eq!(
        l.reap().await.unwrap(),
        ReapReport {
            refunded: 1,
            skipped: 0
        }
    );
    assert_eq!(hints().await, 0);
    f.cleanup().await;
}

#[tokio::test]
async fn request_ids_are_per_user_also_for_the_spend_cap() {
    let mut c = config();
    c.spend.daily_cap_micros = 2_500;
    let f = Fixture::new("ids-per-user", c);
    let l = f.ledger().await;
    let (a, b, c) = (
        UserKey::telegram(19),
        UserKey::discord(19),
        UserKey::telegram(20),
    );
    assert!(!admit(&l, &req(a, "same", 1)).await.replayed);
    assert!(!admit(&l, &req(b, "same", 1)).await.replayed);
    assert_eq!(l.spend_today().await.unwrap().spent_micros, 2_000);
    // The third holds nothing of the others' and is refused by the cap.
    assert!(matches!(
        deny(&l, &req(c, "same", 1)).await.0,
        Denial::Budget { .. }
    ));
    settle(&l, a, "same", delivered(1, 100)).await;
    assert_eq!(l.spend_today().await.unwrap().spent_micros, 1_100);
    f.cleanup().await;
}
