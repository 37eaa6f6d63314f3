//! Idempotent reserve: a replayed request id charges once and returns the
//! first answer; a denied id is evaluated afresh.

use easel_gateway::ledger::{Admission, SettleOutcome, Settlement};
use easel_tests::ledger::config::{HOUR, one_window};
use easel_tests::ledger::{Suite, req, user};

pub(crate) async fn replayed_request_charges_once_and_returns_the_first_answer(s: Suite) {
    let h = s.open(one_window(10, 3 * HOUR)).await;
    let u = user(1);
    let first = h.admit(&req(u, "a", 3)).await;
    assert!(!first.replayed);
    h.advance_ms(5000);
    // Same id, different ask (a redelivered event never changes, but if it did
    // the first answer still stands).
    let again = h.admit(&req(u, "a", 5)).await;
    assert_eq!(
        again,
        easel_gateway::ledger::Reservation {
            replayed: true,
            ..first.clone()
        }
    );
    assert_eq!(h.used(u).await, vec![3]);
    assert_eq!(h.status(u).await.in_flight, 1);

    // Still idempotent after the settle.
    h.deliver(u, "a", 3, 0).await;
    let after = h.admit(&req(u, "a", 3)).await;
    assert_eq!(
        after,
        easel_gateway::ledger::Reservation {
            replayed: true,
            ..first
        }
    );
    assert_eq!(h.used(u).await, vec![3]);
    assert_eq!(h.status(u).await.in_flight, 0);
    // And after a refund.
    h.admit(&req(u, "b", 1)).await;
    h.settle(u, "b", Settlement::Failed).await;
    assert!(h.admit(&req(u, "b", 1)).await.replayed);
    assert_eq!(h.used(u).await, vec![3]);
}

pub(crate) async fn replayed_denial_is_evaluated_again(s: Suite) {
    let h = s.open(one_window(2, 3 * HOUR)).await;
    let u = user(1);
    h.admit(&req(u, "a", 2)).await;
    h.deny(&req(u, "b", 1)).await;
    h.settle(u, "a", Settlement::Failed).await;
    let b = h.admit(&req(u, "b", 1)).await;
    assert!(!b.replayed, "a denial is not stored");
}

pub(crate) async fn same_id_for_two_users_is_two_requests(s: Suite) {
    let h = s.open(one_window(10, 3 * HOUR)).await;
    let a = h.admit(&req(user(1), "same", 2)).await;
    let b = h.admit(&req(user(2), "same", 2)).await;
    assert!(!a.replayed && !b.replayed);
    match h.ledger.reserve(&req(user(2), "same", 2)).await {
        Ok(Admission::Admitted(r)) => assert!(r.replayed),
        other => panic!("expected a replay, got {other:?}"),
    }
}

/// A replay of a pending request while the spend cap is full must not cancel
/// the live reservation (its job may be running): it answers the first
/// admission and touches nothing.
pub(crate) async fn a_replay_never_cancels_a_live_reservation(s: Suite) {
    let mut c = one_window(10, 3 * HOUR);
    c.spend.daily_cap_micros = 1000;
    let h = s.open(c).await;
    let (a, b) = (user(1), user(2));
    let mut first = req(a, "a", 1);
    first.est_cost_micros = 600;
    h.admit(&first).await;
    let mut other = req(b, "b", 1);
    other.est_cost_micros = 400;
    h.admit(&other).await;
    // The cap is full now; the replay must still be the first answer.
    assert!(h.admit(&first).await.replayed);
    assert_eq!(h.status(a).await.in_flight, 1);
    assert_eq!(
        h.settle(
            a,
            "a",
            Settlement::Delivered {
                images: 1,
                cost_micros: 600
            }
        )
        .await,
        SettleOutcome::Settled {
            charged: 1,
            refunded: 0
        }
    );
}
