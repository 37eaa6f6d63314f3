//! The running window sums stay exact: a charge leaves a window at its very
//! boundary, a refund of a charge already out of a window changes only the
//! windows that still count it, a settle that shrinks a charge shrinks it in
//! every sum, and many charges rolling out of a window leave exactly the
//! younger ones. Each step reads the sums (status, reserve) so cursors move
//! between the changes, which is where an incremental sum could drift.

use easel_gateway::ledger::Settlement;
use easel_shared::{Denial, UnixMillis};
use easel_tests::ledger::config::{HOUR, config, one_window, plan};
use easel_tests::ledger::{Suite, T0, req, user};

const H: i64 = 3_600_000;

pub(crate) async fn a_charge_leaves_the_window_exactly_at_its_boundary(s: Suite) {
    let h = s.open(one_window(10, HOUR)).await;
    let u = user(1);
    h.admit(&req(u, "a", 4)).await;
    h.advance_to(UnixMillis(T0.0 + H - 1));
    assert_eq!(h.used(u).await, vec![4], "1 ms before: still inside");
    h.admit(&req(u, "b", 6)).await;
    assert_eq!(
        h.deny(&req(u, "full", 1)).await,
        Denial::Quota {
            fits: 0,
            retry_at: Some(UnixMillis(T0.0 + H)),
        }
    );
    h.advance_ms(1);
    assert_eq!(h.used(u).await, vec![6], "at t + period: out");
    h.admit(&req(u, "c", 4)).await;
    assert_eq!(
        h.deny(&req(u, "full-again", 1)).await,
        Denial::Quota {
            fits: 0,
            retry_at: Some(UnixMillis(T0.0 + H - 1 + H)),
        },
        "b is now the oldest charge"
    );
    assert_eq!(h.used(u).await, vec![10]);
}

pub(crate) async fn a_refund_of_a_charge_out_of_a_window_changes_only_the_others(s: Suite) {
    let h = s.open(config(plan(&[(5, HOUR), (10, 3 * HOUR)]))).await;
    let u = user(1);
    h.admit(&req(u, "a", 4)).await;
    h.advance_ms(H);
    // The hourly sum has moved past `a`; the 3-hour one still counts it.
    assert_eq!(h.used(u).await, vec![0, 4]);
    h.settle(u, "a", Settlement::Failed).await;
    assert_eq!(h.used(u).await, vec![0, 0], "not -4 in the hourly window");
    h.admit(&req(u, "b", 5)).await;
    assert_eq!(h.used(u).await, vec![5, 5]);
    assert_eq!(
        h.deny(&req(u, "c", 1)).await,
        Denial::Quota {
            fits: 0,
            retry_at: Some(UnixMillis(T0.0 + 2 * H)),
        },
        "the hourly window holds exactly its limit"
    );
}

pub(crate) async fn a_refund_of_a_charge_older_than_every_window_frees_nothing(s: Suite) {
    let h = s.open(one_window(5, HOUR)).await;
    let u = user(1);
    h.admit(&req(u, "old", 3)).await;
    // Past the longest window of any plan (`pro`: 3 h), so this reserve
    // trims `old` from the log.
    h.advance_ms(3 * H + 1);
    h.admit(&req(u, "new", 5)).await;
    h.settle(u, "old", Settlement::Failed).await;
    assert_eq!(h.used(u).await, vec![5]);
    assert!(matches!(
        h.deny(&req(u, "more", 1)).await,
        Denial::Quota { fits: 0, .. }
    ));
}

pub(crate) async fn a_partial_settle_shrinks_the_charge_in_every_sum(s: Suite) {
    let h = s.open(config(plan(&[(10, HOUR), (20, 3 * HOUR)]))).await;
    let u = user(1);
    h.admit(&req(u, "a", 4)).await;
    h.advance_ms(60_000);
    h.admit(&req(u, "b", 2)).await;
    assert_eq!(h.used(u).await, vec![6, 6]);
    h.deliver(u, "a", 1, 0).await;
    assert_eq!(h.used(u).await, vec![3, 3]);
    h.advance_to(UnixMillis(T0.0 + H));
    assert_eq!(h.used(u).await, vec![2, 3], "a's 1 credit left the hour");
    h.advance_to(UnixMillis(T0.0 + 60_000 + H));
    assert_eq!(h.used(u).await, vec![0, 3]);
    h.advance_to(UnixMillis(T0.0 + 3 * H));
    assert_eq!(h.used(u).await, vec![0, 2]);
    h.advance_to(UnixMillis(T0.0 + 60_000 + 3 * H));
    assert_eq!(h.used(u).await, vec![0, 0]);
    h.admit(&req(u, "c", 10)).await;
    assert_eq!(h.used(u).await, vec![10, 10]);
}

pub(crate) async fn many_charges_roll_out_of_the_window_one_by_one(s: Suite) {
    let h = s.open(one_window(1000, HOUR)).await;
    let u = user(1);
    // 120 charges of 1..=3 credits, one every 30 s: the hour holds them all.
    let mut charges = Vec::new();
    for i in 0..120_i64 {
        let n = u32::try_from(i % 3 + 1).expect("small");
        h.admit(&req(u, &format!("r-{i}"), n)).await;
        charges.push((h.now().0, n));
        h.advance_ms(30_000);
    }
    let expected_at = |now: i64| -> u32 {
        charges
            .iter()
            .filter(|&&(t, _)| t > now - H)
            .map(|&(_, n)| n)
            .sum()
    };
    assert_eq!(h.used(u).await, vec![expected_at(h.now().0)]);
    // Roll over in uneven steps, some landing exactly on a charge's boundary.
    for step in [
        1, 29_999, 1, 45_000, 90_000, 7, 600_000, 1_200_000, 1_800_000,
    ] {
        h.advance_ms(step);
        let now = h.now().0;
        assert_eq!(
            h.used(u).await,
            vec![expected_at(now)],
            "at T0 + {}",
            now - T0.0
        );
    }
    assert_eq!(h.used(u).await, vec![0], "every charge rolled out");
    h.admit(&req(u, "after", 10)).await;
    assert_eq!(h.used(u).await, vec![10]);
}
