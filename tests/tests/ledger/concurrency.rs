//! Races from independent instances (Redis: one `RedisLedger` and connection
//! per instance; embedded: one shared handle, since redb allows one opener per
//! file): windows, credits, settle/refund, codes and the spend cap hold exactly.

use std::sync::Arc;

use easel_gateway::ledger::{Admission, Ledger, SettleOutcome, Settlement};
use easel_shared::Refusal;
use easel_shared::admin::{Actor, Redemption};
use easel_shared::config::AccessMode;
use easel_tests::ledger::config::{HOUR, config, in_mode, one_window, plan};
use easel_tests::ledger::{Harness, Suite, req, rid, user};
use futures::future::join_all;

use crate::codes::{mint_one, spec};

const INSTANCES: usize = 8;

/// Fires `n` one-image reserves `<tag>-<i>` for `user` spread over the
/// instances, all at once; returns how many were admitted.
async fn race_reserves(h: &Harness, user: easel_shared::UserKey, tag: &str, n: usize) -> usize {
    let instances = h.instances(INSTANCES).await;
    let tasks = (0..n).map(|i| {
        let ledger: Arc<dyn Ledger> = instances[i % instances.len()].clone();
        let r = req(user, &format!("{tag}-{i}"), 1);
        tokio::spawn(async move { ledger.reserve(&r).await })
    });
    join_all(tasks)
        .await
        .into_iter()
        .map(|t| t.expect("task").expect("reserve"))
        .filter(|a| matches!(a, Admission::Admitted(_)))
        .count()
}

pub(crate) async fn two_hundred_racing_reserves_admit_exactly_the_limit(s: Suite) {
    let h = s.open(one_window(40, 3 * HOUR)).await;
    let u = user(1);
    assert_eq!(race_reserves(&h, u, "r", 200).await, 40);
    let st = h.status(u).await;
    assert_eq!(st.windows[0].used, 40);
    assert_eq!(st.in_flight, 40);
}

pub(crate) async fn racing_reserves_spend_exactly_the_credits_after_the_window(s: Suite) {
    let h = s.open(one_window(40, 3 * HOUR)).await;
    let u = user(1);
    h.ledger
        .adjust_credits(u, 10, "gift", Actor::Api)
        .await
        .expect("grant");
    assert_eq!(race_reserves(&h, u, "r", 200).await, 50);
    let st = h.status(u).await;
    assert_eq!((st.windows[0].used, st.credits), (40, 0));
}

pub(crate) async fn racing_reserves_never_overflow_either_window(s: Suite) {
    let h = s.open(config(plan(&[(10, HOUR), (25, 24 * HOUR)]))).await;
    let u = user(1);
    let mut total = 0;
    for (round, expect) in [(0, 10), (1, 10), (2, 5), (3, 0)] {
        let admitted = race_reserves(&h, u, &format!("round{round}"), 60).await;
        assert_eq!(admitted, expect, "round {round}");
        total += admitted;
        let used = h.used(u).await;
        assert!(used[0] <= 10 && used[1] <= 25, "{used:?}");
        assert_eq!(used[1] as usize, total);
        h.advance_ms(3_600_000);
    }
}

pub(crate) async fn racing_settles_and_refunds_take_effect_once(s: Suite) {
    let h = s.open(one_window(4, 3 * HOUR)).await;
    let u = user(1);
    h.ledger
        .adjust_credits(u, 10, "gift", Actor::Api)
        .await
        .expect("grant");
    let r = h.admit(&req(u, "job", 6)).await;
    assert_eq!((r.from_windows, r.from_credits), (4, 2));
    let instances = h.instances(INSTANCES).await;
    let tasks = (0..40).map(|i| {
        let ledger = instances[i % instances.len()].clone();
        let how = if i % 2 == 0 {
            Settlement::Delivered {
                images: 3,
                cost_micros: 10,
            }
        } else {
            Settlement::Failed
        };
        tokio::spawn(async move { ledger.settle(u, &rid("job"), how).await })
    });
    let outcomes: Vec<SettleOutcome> = join_all(tasks)
        .await
        .into_iter()
        .map(|t| t.expect("task").expect("settle"))
        .collect();
    let winners: Vec<_> = outcomes
        .iter()
        .filter(|o| matches!(o, SettleOutcome::Settled { .. }))
        .collect();
    assert_eq!(winners.len(), 1, "{outcomes:?}");
    let st = h.status(u).await;
    match winners[0] {
        SettleOutcome::Settled {
            charged: 3,
            refunded: 3,
        } => {
            // 3 back: 2 to the credits first, 1 to the window.
            assert_eq!((st.windows[0].used, st.credits), (3, 10));
            assert!(outcomes.iter().all(|o| matches!(
                o,
                SettleOutcome::Settled { .. } | SettleOutcome::AlreadySettled
            )));
        }
        SettleOutcome::Settled {
            charged: 0,
            refunded: 6,
        } => {
            assert_eq!((st.windows[0].used, st.credits), (0, 10));
            assert!(outcomes.iter().all(|o| matches!(
                o,
                SettleOutcome::Settled { .. } | SettleOutcome::AlreadyRefunded
            )));
        }
        other => panic!("unexpected winner {other:?}"),
    }
    assert_eq!(h.ledger.usage(u, 10).await.expect("usage").len(), 1);
}

pub(crate) async fn twenty_users_race_for_a_single_use_code(s: Suite) {
    let h = s
        .open(in_mode(one_window(5, 3 * HOUR), AccessMode::Code))
        .await;
    let code = mint_one(&h, &spec(10, 1)).await;
    let instances = h.instances(INSTANCES).await;
    let tasks = (0..20u64).map(|n| {
        let ledger = instances[n as usize % instances.len()].clone();
        let code = code.clone();
        tokio::spawn(async move { (n, ledger.redeem(user(n), &code).await) })
    });
    let mut winners = Vec::new();
    for t in join_all(tasks).await {
        let (n, got) = t.expect("task");
        match got.expect("redeem") {
            Redemption::Redeemed { credits: 10, .. } => winners.push(n),
            Redemption::UsedUp => {}
            other => panic!("user {n}: unexpected {other:?}"),
        }
    }
    assert_eq!(winners.len(), 1, "{winners:?}");
    for n in 0..20 {
        let expect = if n == winners[0] { 10 } else { 0 };
        assert_eq!(h.credits(user(n)).await, expect, "user {n}");
    }
    assert_eq!(h.ledger.list_codes().await.expect("list")[0].uses, 1);
}

pub(crate) async fn one_user_redeeming_a_code_twenty_times_at_once_wins_once(s: Suite) {
    let h = s
        .open(in_mode(one_window(5, 3 * HOUR), AccessMode::Code))
        .await;
    let code = mint_one(&h, &spec(10, 5)).await;
    let u = user(1);
    let instances = h.instances(INSTANCES).await;
    let tasks = (0..20).map(|i| {
        let ledger = instances[i % instances.len()].clone();
        let code = code.clone();
        tokio::spawn(async move { ledger.redeem(u, &code).await })
    });
    let got: Vec<Redemption> = join_all(tasks)
        .await
        .into_iter()
        .map(|t| t.expect("task").expect("redeem"))
        .collect();
    let redeemed = got
        .iter()
        .filter(|r| matches!(r, Redemption::Redeemed { .. }))
        .count();
    let already = got
        .iter()
        .filter(|r| **r == Redemption::AlreadyRedeemed)
        .count();
    assert_eq!((redeemed, already), (1, 19), "{got:?}");
    assert_eq!(h.credits(u).await, 10);
    assert_eq!(h.ledger.list_codes().await.expect("list")[0].uses, 1);
}

pub(crate) async fn racing_requests_never_push_spend_past_the_cap(s: Suite) {
    let mut c = one_window(100, 3 * HOUR);
    c.spend.daily_cap_micros = 10_000;
    let h = s.open(c).await;
    let instances = h.instances(INSTANCES).await;
    let tasks = (0..40u64).map(|n| {
        let ledger = instances[n as usize % instances.len()].clone();
        // Distinct ids: the spend step remembers holds by request id alone.
        let mut r = req(user(n), &format!("r{n}"), 1);
        r.est_cost_micros = 1000;
        tokio::spawn(async move { ledger.reserve(&r).await })
    });
    let answers: Vec<Admission> = join_all(tasks)
        .await
        .into_iter()
        .map(|t| t.expect("task").expect("reserve"))
        .collect();
    let admitted = answers
        .iter()
        .filter(|a| matches!(a, Admission::Admitted(_)))
        .count();
    let notified = answers
        .iter()
        .filter(|a| {
            matches!(
                a,
                Admission::Denied(Refusal {
                    notify_admins: true,
                    ..
                })
            )
        })
        .count();
    let spend = h.ledger.spend_today().await.expect("spend");
    assert!(spend.spent_micros <= 10_000, "{spend:?}");
    assert_eq!(admitted, 10, "estimates are held up front");
    assert_eq!(spend.spent_micros, 10_000);
    assert_eq!(notified, 1, "the admins hear once");
    // Denied users got their reservation back.
    let mut charged = 0;
    for n in 0..40 {
        charged += h.used(user(n)).await[0];
    }
    assert_eq!(charged, 10);
}
