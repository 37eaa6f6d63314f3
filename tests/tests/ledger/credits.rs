//! Prepaid credits: spent only after the windows, split between both, and
//! refunded credits-first when a job delivers less than reserved.

use easel_gateway::ledger::{SettleOutcome, Settlement};
use easel_shared::admin::{Actor, UsageOutcome};
use easel_shared::{Denial, UnixMillis};
use easel_tests::ledger::config::{HOUR, one_window};
use easel_tests::ledger::{Suite, T0, req, user};

pub(crate) async fn credits_are_spent_only_after_the_windows(s: Suite) {
    let h = s.open(one_window(5, 3 * HOUR)).await;
    let u = user(1);
    h.ledger
        .adjust_credits(u, 10, "gift", Actor::Api)
        .await
        .expect("grant");
    let a = h.admit(&req(u, "a", 3)).await;
    assert_eq!((a.from_windows, a.from_credits), (3, 0));
    assert_eq!(h.credits(u).await, 10);

    let b = h.admit(&req(u, "b", 4)).await;
    assert_eq!((b.from_windows, b.from_credits), (2, 2), "split");
    assert_eq!(h.credits(u).await, 8);
    assert_eq!(h.used(u).await, vec![5]);

    // 9 > 8 credits and no room: 8 fit; with 8 credits only 1 must come
    // from the window, which frees when a ages out.
    assert_eq!(
        h.deny(&req(u, "c", 9)).await,
        Denial::Quota {
            fits: 8,
            retry_at: Some(UnixMillis(T0.0 + 3 * 3_600_000)),
        }
    );
    let c = h.admit(&req(u, "c2", 8)).await;
    assert_eq!((c.from_windows, c.from_credits), (0, 8));
    assert_eq!(h.credits(u).await, 0);
}

pub(crate) async fn partial_settle_refunds_credits_first(s: Suite) {
    let h = s.open(one_window(5, 3 * HOUR)).await;
    let u = user(1);
    h.ledger
        .adjust_credits(u, 10, "gift", Actor::Api)
        .await
        .expect("grant");
    h.admit(&req(u, "a", 3)).await;
    let b = h.admit(&req(u, "b", 4)).await;
    assert_eq!((b.from_windows, b.from_credits), (2, 2));
    assert_eq!(h.credits(u).await, 8);

    // 1 of 4 delivered: 3 back, 2 of them to the credits, 1 to the window.
    assert_eq!(h.deliver(u, "b", 1, 500).await, (1, 3));
    assert_eq!(h.credits(u).await, 10);
    assert_eq!(h.used(u).await, vec![4]);

    let usage = h.ledger.usage(u, 10).await.expect("usage");
    assert_eq!(usage.len(), 1);
    assert_eq!(usage[0].id.as_str(), "b");
    assert_eq!(usage[0].images, 1);
    assert_eq!(usage[0].credits, 1);
    assert_eq!(usage[0].cost_micros, 500);
    assert_eq!(usage[0].outcome, UsageOutcome::Partial);
    assert_eq!(usage[0].at, T0);
}

pub(crate) async fn refund_of_a_window_charge_frees_the_window_at_once(s: Suite) {
    let h = s.open(one_window(5, 3 * HOUR)).await;
    let u = user(1);
    h.admit(&req(u, "a", 5)).await;
    h.deny(&req(u, "b", 1)).await;
    assert_eq!(
        h.settle(u, "a", Settlement::Failed).await,
        SettleOutcome::Settled {
            charged: 0,
            refunded: 5,
        }
    );
    let st = h.status(u).await;
    assert_eq!(st.windows[0].used, 0);
    assert_eq!(st.windows[0].next_free_at, None);
    assert_eq!(st.in_flight, 0);
    h.admit(&req(u, "b", 5)).await;
}

pub(crate) async fn delivered_images_are_clamped_to_the_reservation(s: Suite) {
    let h = s.open(one_window(5, 3 * HOUR)).await;
    let u = user(1);
    let mut r = req(u, "a", 2);
    r.credits_per_image = 2;
    h.admit(&r).await;
    assert_eq!(h.deliver(u, "a", 9, 100).await, (4, 0));
    assert_eq!(h.used(u).await, vec![4]);
    let usage = h.ledger.usage(u, 10).await.expect("usage");
    assert_eq!(usage[0].images, 2);
    assert_eq!(usage[0].outcome, UsageOutcome::Delivered);
}

pub(crate) async fn zero_images_delivered_is_a_failed_settle(s: Suite) {
    let h = s.open(one_window(5, 3 * HOUR)).await;
    let u = user(1);
    h.ledger
        .adjust_credits(u, 2, "gift", Actor::Api)
        .await
        .expect("grant");
    let r = h.admit(&req(u, "a", 7)).await;
    assert_eq!((r.from_windows, r.from_credits), (5, 2));
    assert_eq!(h.deliver(u, "a", 0, 0).await, (0, 7));
    assert_eq!(h.credits(u).await, 2);
    assert_eq!(h.used(u).await, vec![0]);
    let usage = h.ledger.usage(u, 10).await.expect("usage");
    assert_eq!(usage[0].outcome, UsageOutcome::Failed);
    assert_eq!((usage[0].images, usage[0].credits), (0, 0));
    // A second settle of either kind changes nothing.
    assert_eq!(
        h.settle(u, "a", Settlement::Failed).await,
        SettleOutcome::AlreadySettled
    );
}
