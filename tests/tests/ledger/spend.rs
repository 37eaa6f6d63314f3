//! The daily spend cap: held estimates, denial with a refund of the user part,
//! the admin notification once per UTC day, and settle replacing the estimate.

use std::collections::BTreeMap;

use easel_gateway::ledger::Settlement;
use easel_shared::admin::Actor;
use easel_shared::{Denial, Refusal, UnixMillis};
use easel_tests::ledger::config::{HOUR, one_window};
use easel_tests::ledger::requests::deny;
use easel_tests::ledger::{Suite, T0, req, rid, user};

fn priced(
    u: easel_shared::UserKey,
    id: &str,
    images: u32,
    est: u64,
) -> easel_gateway::ledger::ReserveRequest {
    let mut r = req(u, id, images);
    r.est_cost_micros = est;
    r
}

pub(crate) async fn spend_cap_denies_refunds_and_notifies_once_per_day(s: Suite) {
    let mut c = one_window(3, 3 * HOUR);
    c.spend.daily_cap_micros = 1000;
    let h = s.open(c).await;
    let u = user(1);
    h.ledger
        .adjust_credits(u, 5, "gift", Actor::Api)
        .await
        .expect("grant");
    h.admit(&priced(u, "a", 1, 400)).await;
    h.admit(&priced(user(2), "b", 1, 400)).await;
    // c would take 2 from the window and 1 from the credits, then hits the cap.
    let (denial, notify) = deny(h.ledger.as_ref(), &priced(u, "c", 3, 400)).await;
    assert_eq!(
        denial,
        Denial::Budget {
            resets_at: T0.next_day()
        }
    );
    assert!(
        notify,
        "the first budget denial of the day tells the admins"
    );
    let st = h.status(u).await;
    assert_eq!(st.windows[0].used, 1, "the window part was refunded");
    assert_eq!(st.credits, 5, "the credit part was refunded");
    assert_eq!(st.in_flight, 1);
    assert!(
        h.ledger.usage(u, 10).await.expect("usage").is_empty(),
        "a budget denial is not usage"
    );

    let (denial, notify) = deny(h.ledger.as_ref(), &priced(user(3), "d", 1, 400)).await;
    assert!(matches!(denial, Denial::Budget { .. }));
    assert!(!notify, "only the first denial of the day notifies");
    // A request that still fits is admitted.
    h.admit(&priced(user(3), "e", 1, 200)).await;

    let spend = h.ledger.spend_today().await.expect("spend");
    assert_eq!(spend.day, T0.day());
    assert_eq!(spend.spent_micros, 1000);
    assert_eq!(spend.cap_micros, 1000);
    assert_eq!(
        spend.by_backend,
        BTreeMap::from([("fake".to_owned(), 1000)])
    );

    // A new UTC day: a fresh budget, and a fresh notification.
    h.advance_to(T0.next_day());
    let spend = h.ledger.spend_today().await.expect("spend");
    assert_eq!((spend.day, spend.spent_micros), (T0.day() + 1, 0));
    h.admit(&priced(user(4), "f", 1, 900)).await;
    let (_, notify) = deny(h.ledger.as_ref(), &priced(user(4), "g", 1, 200)).await;
    assert!(notify, "first denial of the new day");
    let (_, notify) = deny(h.ledger.as_ref(), &priced(user(4), "h", 1, 200)).await;
    assert!(!notify);
}

pub(crate) async fn settle_replaces_the_estimate_and_refund_releases_it(s: Suite) {
    let mut c = one_window(10, 3 * HOUR);
    c.spend.daily_cap_micros = 1000;
    let h = s.open(c).await;
    let u = user(1);
    h.admit(&priced(u, "a", 1, 600)).await;
    h.admit(&priced(u, "b", 1, 300)).await;
    assert_eq!(
        h.ledger.spend_today().await.expect("spend").spent_micros,
        900
    );
    // A replay holds nothing more (and is not refused by the cap).
    assert!(h.admit(&priced(u, "a", 1, 600)).await.replayed);
    assert_eq!(
        h.ledger.spend_today().await.expect("spend").spent_micros,
        900
    );
    h.deliver(u, "a", 1, 100).await;
    assert_eq!(
        h.ledger.spend_today().await.expect("spend").spent_micros,
        400
    );
    // Settling again does not count twice.
    h.settle(
        u,
        "a",
        Settlement::Delivered {
            images: 1,
            cost_micros: 100,
        },
    )
    .await;
    assert_eq!(
        h.ledger.spend_today().await.expect("spend").spent_micros,
        400
    );
    h.settle(u, "b", Settlement::Failed).await;
    assert_eq!(
        h.ledger.spend_today().await.expect("spend").spent_micros,
        100
    );
    // The freed budget admits what did not fit before.
    h.admit(&priced(u, "c", 1, 900)).await;
}

pub(crate) async fn reap_keeps_the_estimate_as_spend(s: Suite) {
    // A reaped job's worker vanished after its upstream call may have been
    // billed: the day keeps its estimate (it used to count 0).
    let mut c = one_window(10, 3 * HOUR);
    c.spend.daily_cap_micros = 1000;
    let h = s.open(c).await;
    let u = user(1);
    let r = h.admit(&priced(u, "a", 1, 800)).await;
    h.advance_to(r.lease_until);
    assert_eq!(h.ledger.reap().await.expect("reap").refunded, 1);
    assert_eq!(
        h.ledger.spend_today().await.expect("spend").spent_micros,
        800
    );
    assert_eq!(
        h.deny(&priced(u, "b", 1, 201)).await,
        Denial::Budget {
            resets_at: UnixMillis((T0.day() + 1) * UnixMillis::DAY),
        }
    );
    h.admit(&priced(u, "c", 1, 200)).await;
    let usage = h.ledger.usage(u, 5).await.expect("usage");
    let expired = usage.iter().find(|e| e.id.as_str() == "a").expect("a");
    assert_eq!(expired.cost_micros, 800);
}

pub(crate) async fn no_cap_still_accounts_spend(s: Suite) {
    // Without a cap nothing is held at reserve (a round trip saved); the
    // final costs are still booked per day and backend when settled.
    let h = s.open(one_window(10, 3 * HOUR)).await;
    h.admit(&priced(user(1), "a", 1, 5_000_000)).await;
    let mut other = priced(user(2), "b", 1, 7);
    other.backend = "gemini".to_owned();
    h.admit(&other).await;
    assert_eq!(h.ledger.spend_today().await.expect("spend").spent_micros, 0);
    for (u, id, cost) in [(user(1), "a", 4_000_000), (user(2), "b", 9)] {
        let how = Settlement::Delivered {
            images: 1,
            cost_micros: cost,
        };
        h.ledger.settle(u, &rid(id), how).await.expect("settle");
    }
    let spend = h.ledger.spend_today().await.expect("spend");
    assert_eq!(spend.cap_micros, 0);
    assert_eq!(spend.spent_micros, 4_000_009);
    assert_eq!(
        spend.by_backend,
        BTreeMap::from([("fake".to_owned(), 4_000_000), ("gemini".to_owned(), 9)])
    );
}

pub(crate) async fn same_request_id_from_two_users_holds_two_estimates(s: Suite) {
    // Request ids are scoped by user (replay, settle): two users may send the
    // same id. Each admitted request must still hold its own estimate, or the
    // second one runs outside the cap.
    let mut c = one_window(10, 3 * HOUR);
    c.spend.daily_cap_micros = 1000;
    let h = s.open(c).await;
    h.admit(&priced(user(1), "x", 1, 600)).await;
    let second = h.ledger.reserve(&priced(user(2), "x", 1, 600)).await;
    let spend = h.ledger.spend_today().await.expect("spend");
    match second {
        Ok(easel_gateway::ledger::Admission::Denied(Refusal {
            denial: Denial::Budget { .. },
            ..
        })) => assert_eq!(spend.spent_micros, 600),
        other => panic!(
            "user 2's request must be held against the cap too (600 + 600 > 1000): \
             got {other:?}, spend {spend:?}"
        ),
    }
    // Settling one user's "x" leaves the other's hold alone.
    h.admit(&priced(user(3), "y", 1, 300)).await;
    h.deliver(user(1), "x", 1, 100).await;
    assert_eq!(
        h.ledger.spend_today().await.expect("spend").spent_micros,
        400
    );
}

pub(crate) async fn settle_after_midnight_stays_on_the_day_it_was_held(s: Suite) {
    let mut c = one_window(10, 3 * HOUR);
    c.spend.daily_cap_micros = 1000;
    let h = s.open(c).await;
    let u = user(1);
    h.advance_to(easel_shared::UnixMillis(T0.next_day().0 - 1));
    h.admit(&priced(u, "late", 1, 900)).await;
    assert_eq!(
        h.ledger.spend_today().await.expect("spend").spent_micros,
        900
    );
    h.advance_ms(1);
    let today = h.ledger.spend_today().await.expect("spend");
    assert_eq!((today.day, today.spent_micros), (T0.day() + 1, 0));
    h.deliver(u, "late", 1, 800).await;
    assert_eq!(
        h.ledger.spend_today().await.expect("spend").spent_micros,
        0,
        "yesterday's job is yesterday's spend"
    );
    h.admit(&priced(u, "new", 1, 1000)).await;
}

pub(crate) async fn replay_of_a_budget_denial_is_not_an_admission(s: Suite) {
    // The first answer was a denial: a redelivered event must not come back
    // as "admitted (replayed)", which would run the job outside the cap.
    let mut c = one_window(10, 3 * HOUR);
    c.spend.daily_cap_micros = 1000;
    let h = s.open(c).await;
    let u = user(1);
    h.admit(&priced(u, "a", 1, 900)).await;
    let (first, _) = deny(h.ledger.as_ref(), &priced(u, "b", 1, 200)).await;
    assert!(matches!(first, Denial::Budget { .. }));
    let again = h.ledger.reserve(&priced(u, "b", 1, 200)).await;
    assert!(
        matches!(
            again,
            Ok(easel_gateway::ledger::Admission::Denied(Refusal {
                denial: Denial::Budget { .. },
                ..
            }))
        ),
        "replay after a budget denial: {again:?}"
    );
    assert_eq!(
        h.ledger.spend_today().await.expect("spend").spent_micros,
        900
    );
    assert_eq!(h.used(u).await, vec![1]);
}

pub(crate) async fn a_request_above_the_per_request_cap_is_refused_first(s: Suite) {
    let mut c = one_window(10, 3 * HOUR);
    c.spend.max_request_micros = 500;
    let h = s.open(c).await;
    let u = user(1);
    assert_eq!(h.deny(&priced(u, "dear", 1, 501)).await, Denial::TooCostly);
    // Nothing was held, counted or logged.
    assert_eq!(h.used(u).await, vec![0]);
    assert_eq!(h.status(u).await.in_flight, 0);
    assert!(h.ledger.usage(u, 5).await.expect("usage").is_empty());
    h.admit(&priced(u, "fine", 1, 500)).await;
}

pub(crate) async fn spend_days_series_has_a_row_per_day_with_images_cost_and_credits(s: Suite) {
    // The dashboard's charts: every day of the range, oldest first, with
    // the images delivered, the day's final cost and the credits charged;
    // days past the retention are not asked for, a refund delivers and
    // charges nothing, a partial delivery counts the images it delivered,
    // and a request settled by another instance (no receipt) counts too.
    let h = s.open(one_window(20, 3 * HOUR)).await;
    let deliver = |images, cost| Settlement::Delivered {
        images,
        cost_micros: cost,
    };
    h.admit(&priced(user(1), "a", 2, 500)).await;
    h.ledger
        .settle(user(1), &rid("a"), deliver(2, 300))
        .await
        .expect("settle");
    h.admit(&priced(user(2), "b", 1, 500)).await;
    h.ledger
        .settle(user(2), &rid("b"), Settlement::Failed)
        .await
        .expect("refund");
    h.advance_to(
        T0.next_day()
            .plus(std::time::Duration::from_secs(2 * 86_400)),
    );
    // Three credits an image: two asked, one delivered.
    let mut dear = priced(user(1), "c", 2, 500);
    dear.credits_per_image = 3;
    h.admit(&dear).await;
    h.ledger
        .settle(user(1), &rid("c"), deliver(1, 700))
        .await
        .expect("settle");
    h.admit(&priced(user(3), "d", 1, 500)).await;
    h.instance()
        .await
        .settle(user(3), &rid("d"), deliver(1, 100))
        .await
        .expect("settle elsewhere");

    let days = h.ledger.spend_days(5).await.expect("spend days");
    let today = T0.day() + 3;
    let rows: Vec<(i64, u64, u64, u64)> = days
        .iter()
        .map(|d| (d.day, d.images, d.cost_micros, d.credits))
        .collect();
    assert_eq!(
        rows,
        [
            (today - 4, 0, 0, 0),
            (today - 3, 2, 300, 2),
            (today - 2, 0, 0, 0),
            (today - 1, 0, 0, 0),
            (today, 2, 800, 4),
        ]
    );
    let capped = h.ledger.spend_days(1000).await.expect("spend days");
    assert_eq!(
        capped.len(),
        easel_gateway::ledger::SPEND_DAYS_KEPT as usize
    );
    assert_eq!(capped.last().map(|d| d.day), Some(today));
    assert!(h.ledger.spend_days(0).await.expect("none").is_empty());
}
