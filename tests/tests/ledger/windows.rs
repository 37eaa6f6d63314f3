//! Exact rolling windows: a window admits exactly its limit, frees a charge at
//! the very millisecond it ages out, and a denial says what fits and when.

use easel_shared::{Denial, UnixMillis, WindowStatus};
use easel_tests::ledger::config::{HOUR, config, one_window, plan};
use easel_tests::ledger::{Suite, T0, req, user};

const THREE_H: i64 = 3 * 3_600_000;

pub(crate) async fn window_admits_exactly_the_limit(s: Suite) {
    let h = s.open(one_window(40, 3 * HOUR)).await;
    let u = user(1);
    h.admit_many(u, "r", 40).await;
    let denial = h.deny(&req(u, "r-40", 1)).await;
    assert_eq!(
        denial,
        Denial::Quota {
            fits: 0,
            retry_at: Some(UnixMillis(T0.0 + THREE_H)),
        }
    );
    assert_eq!(h.used(u).await, vec![40]);
    // Another user is not affected.
    h.admit(&req(user(2), "r-0", 1)).await;
}

pub(crate) async fn window_frees_exactly_when_the_oldest_charge_ages_out(s: Suite) {
    let h = s.open(one_window(10, 3 * HOUR)).await;
    let u = user(1);
    h.admit(&req(u, "first", 3)).await;
    h.advance_ms(10 * 60_000);
    h.admit(&req(u, "second", 7)).await;

    h.advance_to(UnixMillis(T0.0 + THREE_H - 1));
    let denial = h.deny(&req(u, "early", 1)).await;
    assert_eq!(
        denial,
        Denial::Quota {
            fits: 0,
            retry_at: Some(UnixMillis(T0.0 + THREE_H)),
        },
        "1 ms before the oldest charge ages out"
    );

    h.advance_ms(1);
    h.admit(&req(u, "on-time", 3)).await;
    let denial = h.deny(&req(u, "next", 1)).await;
    assert_eq!(
        denial,
        Denial::Quota {
            fits: 0,
            retry_at: Some(UnixMillis(T0.0 + 10 * 60_000 + THREE_H)),
        },
        "the next charge to age out is the second one"
    );
}

pub(crate) async fn retry_at_walks_charges_oldest_first(s: Suite) {
    let h = s.open(one_window(10, 3 * HOUR)).await;
    let u = user(1);
    h.admit(&req(u, "a", 3)).await;
    h.advance_ms(60_000);
    h.admit(&req(u, "b", 3)).await;
    h.advance_ms(60_000);
    h.admit(&req(u, "c", 4)).await;
    // 5 needs a and b to age out (3 + 3 >= 5), not c.
    let denial = h.deny(&req(u, "five", 5)).await;
    assert_eq!(
        denial,
        Denial::Quota {
            fits: 0,
            retry_at: Some(UnixMillis(T0.0 + 60_000 + THREE_H)),
        }
    );
    // 3 only needs a.
    let denial = h.deny(&req(u, "three", 3)).await;
    assert_eq!(
        denial,
        Denial::Quota {
            fits: 0,
            retry_at: Some(UnixMillis(T0.0 + THREE_H)),
        }
    );
}

pub(crate) async fn denial_counts_what_fits_with_credits_per_image(s: Suite) {
    let h = s.open(one_window(10, 3 * HOUR)).await;
    let u = user(1);
    h.admit(&req(u, "a", 8)).await;
    h.ledger
        .adjust_credits(u, 3, "test", easel_shared::admin::Actor::Api)
        .await
        .expect("grant");
    // 3 images at 2 credits = 6: room 2 + credits 3 = 5 -> 2 images fit.
    let mut r = req(u, "big", 3);
    r.credits_per_image = 2;
    let denial = h.deny(&r).await;
    // cost - credits = 3 needs room 3: a (8 credits) must age out.
    assert_eq!(
        denial,
        Denial::Quota {
            fits: 2,
            retry_at: Some(UnixMillis(T0.0 + THREE_H)),
        }
    );
    assert_eq!(h.credits(u).await, 3, "a denial charges nothing");
    assert_eq!(h.used(u).await, vec![8]);
}

pub(crate) async fn retry_at_is_none_when_it_can_never_fit(s: Suite) {
    let h = s.open(one_window(10, 3 * HOUR)).await;
    let u = user(1);
    // 12 credits (6 images at 2): more than the window holds, within max_n.
    let mut big = req(u, "too-big", 6);
    big.credits_per_image = 2;
    let denial = h.deny(&big).await;
    assert_eq!(
        denial,
        Denial::Quota {
            fits: 5,
            retry_at: None,
        }
    );
    assert_eq!(h.used(u).await, vec![0]);
}

pub(crate) async fn two_windows_both_bind(s: Suite) {
    let h = s.open(config(plan(&[(3, HOUR), (5, 24 * HOUR)]))).await;
    let u = user(1);
    h.admit_many(u, "a", 3).await;
    assert_eq!(
        h.deny(&req(u, "x", 1)).await,
        Denial::Quota {
            fits: 0,
            retry_at: Some(UnixMillis(T0.0 + 3_600_000)),
        },
        "the hourly window binds first"
    );
    h.advance_ms(3_600_000);
    h.admit_many(u, "b", 2).await;
    assert_eq!(h.used(u).await, vec![2, 5]);
    assert_eq!(
        h.deny(&req(u, "y", 1)).await,
        Denial::Quota {
            fits: 0,
            retry_at: Some(UnixMillis(T0.0 + 24 * 3_600_000)),
        },
        "then the daily window binds, although the hourly one has room"
    );
}

pub(crate) async fn status_reports_each_window(s: Suite) {
    let h = s.open(config(plan(&[(3, HOUR), (5, 24 * HOUR)]))).await;
    let u = user(1);
    let fresh = h.status(u).await;
    assert_eq!(
        fresh.windows,
        vec![
            WindowStatus {
                limit: 3,
                period_secs: 3600,
                used: 0,
                next_free_at: None,
            },
            WindowStatus {
                limit: 5,
                period_secs: 86_400,
                used: 0,
                next_free_at: None,
            },
        ]
    );
    h.admit(&req(u, "a", 2)).await;
    h.advance_ms(30 * 60_000);
    h.admit(&req(u, "b", 1)).await;
    h.advance_ms(30 * 60_000);
    // a aged out of the hourly window exactly now; b is its oldest charge.
    let st = h.status(u).await;
    assert_eq!(
        st.windows,
        vec![
            WindowStatus {
                limit: 3,
                period_secs: 3600,
                used: 1,
                next_free_at: Some(UnixMillis(T0.0 + 30 * 60_000 + 3_600_000)),
            },
            WindowStatus {
                limit: 5,
                period_secs: 86_400,
                used: 3,
                next_free_at: Some(UnixMillis(T0.0 + 86_400_000)),
            },
        ]
    );
    assert_eq!(st.available(), 2);
}
