//! Leases: the in-flight cap counts live leases only; an expired lease is
//! refunded exactly once even with two reapers; a renewed lease is not reaped;
//! a settle after the reap charges nothing.

use easel_gateway::ledger::{ReapReport, SettleOutcome, Settlement};
use easel_shared::admin::UsageOutcome;
use easel_shared::{Denial, UnixMillis};
use easel_tests::ledger::config::{HOUR, LEASE, config, plan};
use easel_tests::ledger::{Suite, T0, req, rid, user};

const LEASE_MS: i64 = LEASE.as_millis() as i64;

pub(crate) async fn in_flight_cap_counts_pending_unexpired_leases(s: Suite) {
    let mut p = plan(&[(100, 3 * HOUR)]);
    p.max_in_flight = 2;
    let h = s.open(config(p)).await;
    let u = user(1);
    let a = h.admit(&req(u, "a", 1)).await;
    assert_eq!(a.lease_until, UnixMillis(T0.0 + LEASE_MS));
    h.admit(&req(u, "b", 1)).await;
    assert_eq!(h.deny(&req(u, "c", 1)).await, Denial::InFlight { limit: 2 });
    assert_eq!(h.status(u).await.in_flight, 2);
    assert_eq!(h.used(u).await, vec![2], "the denial charged nothing");

    h.deliver(u, "a", 1, 0).await;
    h.advance_ms(1000);
    h.admit(&req(u, "c", 1)).await;
    assert_eq!(h.deny(&req(u, "d", 1)).await, Denial::InFlight { limit: 2 });

    // b's lease runs out at T0 + lease (c's a second later): from then on
    // b no longer counts, although nobody reaped it.
    h.advance_to(UnixMillis(T0.0 + LEASE_MS - 1));
    assert_eq!(h.deny(&req(u, "d", 1)).await, Denial::InFlight { limit: 2 });
    h.advance_ms(1);
    assert_eq!(h.status(u).await.in_flight, 1);
    h.admit(&req(u, "d", 1)).await;
}

pub(crate) async fn expired_lease_is_refunded_exactly_once_by_two_reapers(s: Suite) {
    let h = s.open(config(plan(&[(10, 3 * HOUR)]))).await;
    let u = user(1);
    let r = h.admit(&req(u, "a", 3)).await;
    h.admit(&req(user(2), "other", 1)).await;

    h.advance_to(UnixMillis(r.lease_until.0 - 1));
    assert_eq!(h.ledger.reap().await.expect("reap").refunded, 0);
    assert_eq!(h.used(u).await, vec![3]);

    h.advance_to(r.lease_until);
    let second = h.instance().await;
    let (x, y) = tokio::join!(h.ledger.reap(), second.reap());
    let (x, y) = (x.expect("reap"), y.expect("reap"));
    // user 2's reservation expires at the same instant: 2 refunds in all.
    assert_eq!(x.refunded + y.refunded, 2, "{x:?} {y:?}");
    assert_eq!(h.ledger.reap().await.expect("reap"), ReapReport::default());

    let st = h.status(u).await;
    assert_eq!(st.windows[0].used, 0);
    assert_eq!(st.in_flight, 0);
    let usage = h.ledger.usage(u, 10).await.expect("usage");
    assert_eq!(usage.len(), 1, "{usage:?}");
    assert_eq!(usage[0].id, rid("a"));
    assert_eq!(usage[0].outcome, UsageOutcome::Expired);
    assert_eq!(usage[0].credits, 0);

    // The worker comes back late: nothing is charged.
    assert_eq!(
        h.settle(
            u,
            "a",
            Settlement::Delivered {
                images: 3,
                cost_micros: 100
            }
        )
        .await,
        SettleOutcome::AlreadyRefunded
    );
    assert_eq!(h.used(u).await, vec![0]);
    assert_eq!(h.ledger.usage(u, 10).await.expect("usage").len(), 1);
    assert!(!h.ledger.renew(u, &rid("a")).await.expect("renew"));
}

pub(crate) async fn renewed_lease_is_not_reaped(s: Suite) {
    let h = s.open(config(plan(&[(10, 3 * HOUR)]))).await;
    let u = user(1);
    let r = h.admit(&req(u, "a", 2)).await;
    h.advance_to(UnixMillis(r.lease_until.0 - 1));
    assert!(h.ledger.renew(u, &rid("a")).await.expect("renew"));
    h.advance_to(r.lease_until);
    assert_eq!(h.ledger.reap().await.expect("reap").refunded, 0);
    assert_eq!(h.status(u).await.in_flight, 1);
    // The renewed lease ends one lease after the renewal.
    h.advance_to(UnixMillis(r.lease_until.0 - 1 + LEASE_MS - 1));
    assert_eq!(h.ledger.reap().await.expect("reap").refunded, 0);
    assert_eq!(h.deliver(u, "a", 2, 0).await, (2, 0));
    assert_eq!(h.used(u).await, vec![2]);
    assert!(
        !h.ledger.renew(u, &rid("a")).await.expect("renew"),
        "settled: nothing to renew"
    );
    assert!(!h.ledger.renew(u, &rid("nope")).await.expect("renew"));
    h.advance_ms(10 * LEASE_MS);
    assert_eq!(h.ledger.reap().await.expect("reap").refunded, 0);
    assert_eq!(h.used(u).await, vec![2]);
}

pub(crate) async fn reap_refunds_credits_too(s: Suite) {
    let h = s.open(config(plan(&[(1, 3 * HOUR)]))).await;
    let u = user(1);
    h.ledger
        .adjust_credits(u, 5, "gift", easel_shared::admin::Actor::Api)
        .await
        .expect("grant");
    let r = h.admit(&req(u, "a", 4)).await;
    assert_eq!((r.from_windows, r.from_credits), (1, 3));
    h.advance_to(r.lease_until);
    assert_eq!(h.ledger.reap().await.expect("reap").refunded, 1);
    assert_eq!(h.credits(u).await, 5);
    assert_eq!(h.used(u).await, vec![0]);
}

pub(crate) async fn reap_in_bounded_passes_refunds_every_lease_once(s: Suite) {
    let h = s.open(config(plan(&[(100, 3 * HOUR)]))).await;
    // More than one pass's worth (passes are bounded, e.g. 500).
    let users = 30;
    let per_user = 20;
    let tasks = (0..users).map(|n| {
        let ledger = h.ledger.clone();
        tokio::spawn(async move {
            for i in 0..per_user {
                easel_tests::ledger::requests::admit(
                    ledger.as_ref(),
                    &req(user(n), &format!("r{i}"), 1),
                )
                .await;
            }
        })
    });
    for t in futures::future::join_all(tasks).await {
        t.expect("task");
    }
    h.advance_ms(LEASE_MS);
    let mut refunded = 0;
    let mut passes = 0;
    loop {
        let report = h.ledger.reap().await.expect("reap");
        passes += 1;
        assert!(passes <= 100, "reaping does not converge");
        if report.refunded == 0 {
            break;
        }
        refunded += report.refunded;
    }
    assert_eq!(refunded, (users * per_user) as u32);
    for n in 0..users {
        let st = h.status(user(n)).await;
        assert_eq!((st.windows[0].used, st.in_flight), (0, 0), "user {n}");
    }
}
