//! Exactness under concurrency: many independent ledgers, each with its own
//! connection, racing on one user.

use easel_gateway::ledger::{Admission, Ledger, SettleOutcome, Settlement};
use easel_shared::UserKey;

use super::fixture::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_hundred_reserves_from_eight_ledgers_admit_exactly_forty() {
    let mut c = config();
    c.plans.insert("basic".into(), plan(&[(40, 24 * HOUR)], 0));
    let f = Fixture::new("race-40", c);
    let u = UserKey::telegram(50);
    let mut tasks = Vec::new();
    for n in 0..8 {
        let l = f.ledger().await;
        tasks.push(tokio::spawn(async move {
            let mut admitted = 0;
            for i in 0..25 {
                match l.reserve(&req(u, &format!("{n}-{i}"), 1)).await.unwrap() {
                    Admission::Admitted(_) => admitted += 1,
                    Admission::Denied(_) => {}
                }
            }
            admitted
        }));
    }
    let mut admitted = 0;
    for t in tasks {
        admitted += t.await.unwrap();
    }
    assert_eq!(admitted, 40);
    let l = f.ledger().await;
    let s = l.status(u).await.unwrap();
    assert_eq!((s.windows[0].used, s.in_flight), (40, 40));
    f.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn settle_and_refund_racing_take_effect_once() {
    let f = Fixture::new("race-settle", config());
    let u = UserKey::telegram(51);
    let l = f.ledger().await;
    admit(&l, &req(u, "a", 4)).await;
    let mut tasks = Vec::new();
    for n in 0..12 {
        let l = f.ledger().await;
        tasks.push(tokio::spawn(async move {
            let how = if n % 2 == 0 {
                Settlement::Failed
            } else {
                delivered(2, 50)
            };
            l.settle(u, &id("a"), how).await.unwrap()
        }));
    }
    let mut firsts = 0;
    for t in tasks {
        if let SettleOutcome::Settled { .. } = t.await.unwrap() {
            firsts += 1;
        }
    }
    assert_eq!(firsts, 1);
    let used = l.status(u).await.unwrap().windows[0].used;
    assert!(used == 0 || used == 2, "{used}");
    assert_eq!(l.usage(u, 10).await.unwrap().len(), 1);
    f.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_reapers_refund_each_expired_lease_once() {
    let mut c = config();
    c.plans.insert("basic".into(), plan(&[(1000, HOUR)], 0));
    let f = Fixture::new("race-reap", c);
    let l = f.ledger().await;
    for i in 0..60u64 {
        admit(&l, &req(UserKey::telegram(60 + i % 6), &format!("r{i}"), 1)).await;
    }
    f.clock.advance(LEASE);
    let (a, b) = (f.ledger().await, f.ledger().await);
    let (ra, rb) = tokio::join!(
        tokio::spawn(async move { a.reap().await.unwrap() }),
        tokio::spawn(async move { b.reap().await.unwrap() })
    );
    let (ra, rb) = (ra.unwrap(), rb.unwrap());
    assert_eq!(ra.refunded + rb.refunded, 60, "{ra:?} {rb:?}");
    for i in 0..6 {
        let s = l.status(UserKey::telegram(60 + i)).await.unwrap();
        assert_eq!((s.windows[0].used, s.in_flight), (0, 0));
    }
    assert_eq!(l.reap().await.unwrap().refunded, 0);
    // Each reaped job keeps its 1,000 estimate as spend, booked once.
    assert_eq!(l.spend_today().await.unwrap().spent_micros, 60_000);
    f.cleanup().await;
}
