//! Settle and refund: idempotent, unknown ids, the usage log and the top list.

use easel_gateway::ledger::{SettleOutcome, Settlement};
use easel_shared::UnixMillis;
use easel_shared::admin::{TopEntry, UsageOutcome};
use easel_tests::ledger::config::{HOUR, one_window};
use easel_tests::ledger::{Suite, T0, req, rid, user};

pub(crate) async fn settle_twice_is_already_settled(s: Suite) {
    let h = s.open(one_window(10, 3 * HOUR)).await;
    let u = user(1);
    h.admit(&req(u, "a", 3)).await;
    assert_eq!(h.deliver(u, "a", 2, 100).await, (2, 1));
    for how in [
        Settlement::Delivered {
            images: 3,
            cost_micros: 100,
        },
        Settlement::Delivered {
            images: 0,
            cost_micros: 0,
        },
        Settlement::Failed,
    ] {
        assert_eq!(h.settle(u, "a", how).await, SettleOutcome::AlreadySettled);
    }
    assert_eq!(h.used(u).await, vec![2]);
    assert_eq!(h.ledger.usage(u, 10).await.expect("usage").len(), 1);
}

pub(crate) async fn refund_twice_is_already_refunded(s: Suite) {
    let h = s.open(one_window(10, 3 * HOUR)).await;
    let u = user(1);
    h.admit(&req(u, "a", 3)).await;
    assert_eq!(
        h.settle(u, "a", Settlement::Failed).await,
        SettleOutcome::Settled {
            charged: 0,
            refunded: 3,
        }
    );
    assert_eq!(
        h.settle(u, "a", Settlement::Failed).await,
        SettleOutcome::AlreadyRefunded
    );
    assert_eq!(
        h.settle(
            u,
            "a",
            Settlement::Delivered {
                images: 3,
                cost_micros: 1
            }
        )
        .await,
        SettleOutcome::AlreadyRefunded,
        "a refunded job cannot be charged later"
    );
    assert_eq!(h.used(u).await, vec![0]);
    let usage = h.ledger.usage(u, 10).await.expect("usage");
    assert_eq!(usage.len(), 1);
    assert_eq!(usage[0].outcome, UsageOutcome::Failed);
}

pub(crate) async fn settle_of_an_unknown_id_is_unknown(s: Suite) {
    let h = s.open(one_window(10, 3 * HOUR)).await;
    let u = user(1);
    assert_eq!(
        h.settle(u, "never", Settlement::Failed).await,
        SettleOutcome::Unknown
    );
    // Another user's reservation is not this user's.
    h.admit(&req(user(2), "theirs", 1)).await;
    assert_eq!(
        h.settle(u, "theirs", Settlement::Failed).await,
        SettleOutcome::Unknown
    );
    assert_eq!(h.used(user(2)).await, vec![1]);
}

pub(crate) async fn usage_log_is_newest_first_with_outcomes(s: Suite) {
    let h = s.open(one_window(100, 3 * HOUR)).await;
    let u = user(1);
    for id in ["a", "b", "c"] {
        h.admit(&req(u, id, 2)).await;
    }
    h.advance_ms(1000);
    h.deliver(u, "a", 2, 300).await;
    h.advance_ms(1000);
    h.deliver(u, "b", 1, 200).await;
    h.advance_ms(1000);
    h.settle(u, "c", Settlement::Failed).await;
    let usage = h.ledger.usage(u, 10).await.expect("usage");
    let got: Vec<_> = usage
        .iter()
        .map(|e| {
            (
                e.id.as_str(),
                e.at,
                e.images,
                e.credits,
                e.cost_micros,
                e.outcome,
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            ("c", UnixMillis(T0.0 + 3000), 0, 0, 0, UsageOutcome::Failed),
            (
                "b",
                UnixMillis(T0.0 + 2000),
                1,
                1,
                200,
                UsageOutcome::Partial
            ),
            (
                "a",
                UnixMillis(T0.0 + 1000),
                2,
                2,
                300,
                UsageOutcome::Delivered
            ),
        ]
    );
    assert_eq!(h.ledger.usage(u, 2).await.expect("usage").len(), 2);
    assert_eq!(h.ledger.usage(user(2), 10).await.expect("usage"), vec![]);
    assert_eq!(usage[0].id, rid("c"));
}

pub(crate) async fn top_sums_charged_credits_per_utc_day(s: Suite) {
    let h = s.open(one_window(100, 3 * HOUR)).await;
    let (a, b) = (user(1), user(2));
    h.admit(&req(a, "a1", 3)).await;
    h.deliver(a, "a1", 3, 0).await;
    h.admit(&req(b, "b1", 5)).await;
    h.deliver(b, "b1", 4, 0).await;
    h.admit(&req(b, "b2", 5)).await;
    h.settle(b, "b2", Settlement::Failed).await;
    assert_eq!(
        h.ledger.top(1, 10).await.expect("top"),
        vec![
            TopEntry {
                user: b,
                credits: 4
            },
            TopEntry {
                user: a,
                credits: 3
            },
        ]
    );
    assert_eq!(h.ledger.top(1, 1).await.expect("top").len(), 1);

    // Next UTC day: a charges 2 more.
    h.advance_to(T0.next_day());
    h.admit(&req(a, "a2", 2)).await;
    h.deliver(a, "a2", 2, 0).await;
    assert_eq!(
        h.ledger.top(1, 10).await.expect("top"),
        vec![TopEntry {
            user: a,
            credits: 2
        }],
        "today only"
    );
    assert_eq!(
        h.ledger.top(2, 10).await.expect("top"),
        vec![
            TopEntry {
                user: a,
                credits: 5
            },
            TopEntry {
                user: b,
                credits: 4
            },
        ],
        "today and yesterday"
    );
}

pub(crate) async fn usage_keeps_at_least_the_last_thousand(s: Suite) {
    let h = s.open(one_window(10_000, 3 * HOUR)).await;
    let u = user(1);
    let total = 1010;
    // From many tasks at once, so the embedded store can group its commits.
    let tasks = (0..10).map(|t| {
        let ledger = h.ledger.clone();
        tokio::spawn(async move {
            for i in (t..total).step_by(10) {
                let id = format!("r{i:04}");
                easel_tests::ledger::requests::admit(ledger.as_ref(), &req(u, &id, 1)).await;
                let how = Settlement::Delivered {
                    images: 1,
                    cost_micros: 1,
                };
                ledger.settle(u, &rid(&id), how).await.expect("settle");
            }
        })
    });
    for t in futures::future::join_all(tasks).await {
        t.expect("task");
    }
    h.advance_ms(1);
    h.admit(&req(u, "last", 1)).await;
    h.deliver(u, "last", 1, 1).await;
    let usage = h.ledger.usage(u, 5000).await.expect("usage");
    assert!(usage.len() >= 1000, "only {} kept", usage.len());
    assert!(usage.len() <= total + 1);
    assert_eq!(usage[0].id, rid("last"), "newest first");
    assert_eq!(h.ledger.usage(u, 1000).await.expect("usage").len(), 1000);
}
