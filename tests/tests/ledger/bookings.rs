//! The day's spend, image count and top list equal what the reservation
//! records say,
//! whichever way a settle reaches them: from the instance that admitted the
//! reservation (on Redis: one round trip, booked before the user step's
//! answer is known, corrected when it disagrees) or from another one, racing,
//! repeated, or after the reaper refunded it.

use std::sync::Arc;

use easel_gateway::ledger::{Ledger, SettleOutcome, Settlement};
use easel_shared::admin::TopEntry;
use easel_tests::ledger::config::{HOUR, one_window};
use easel_tests::ledger::{Suite, req, rid, user};
use futures::future::join_all;

/// Images the day's bookings hold for today (the dashboard's chart).
async fn images_today(ledger: &dyn Ledger) -> u64 {
    let days = ledger.spend_days(1).await.expect("spend days");
    days.last().map_or(0, |d| d.images)
}

fn delivered(images: u32, cost_micros: u64) -> Settlement {
    Settlement::Delivered {
        images,
        cost_micros,
    }
}

pub(crate) async fn racing_settles_book_spend_and_top_once(s: Suite) {
    let h = s.open(one_window(10, 3 * HOUR)).await;
    let u = user(1);
    let mut r = req(u, "job", 3);
    r.est_cost_micros = 900;
    h.admit(&r).await;
    // The admitting instance and independent ones, with different outcomes.
    let mut ledgers: Vec<Arc<dyn Ledger>> = vec![h.ledger.clone()];
    ledgers.extend(h.instances(3).await);
    let tasks = (0..24).map(|i| {
        let ledger = ledgers[i % ledgers.len()].clone();
        let how = match i % 3 {
            0 => delivered(2, 700),
            1 => Settlement::Failed,
            _ => delivered(3, 800),
        };
        tokio::spawn(async move { (how, ledger.settle(u, &rid("job"), how).await) })
    });
    let mut winner = None;
    for t in join_all(tasks).await {
        let (how, outcome) = t.expect("task");
        if let SettleOutcome::Settled { .. } = outcome.expect("settle") {
            assert!(winner.replace(how).is_none(), "two settles took effect");
        }
    }
    let (credits, cost) = match winner.expect("one settle took effect") {
        Settlement::Delivered {
            images,
            cost_micros,
        } => (u64::from(images), cost_micros),
        Settlement::Failed => (0, 0),
    };
    // One credit per image here: the images delivered equal the credits.
    assert_eq!(images_today(h.ledger.as_ref()).await, credits);
    let spend = h.ledger.spend_today().await.expect("spend");
    assert_eq!(spend.spent_micros, cost);
    assert_eq!(spend.by_backend.get("fake").copied().unwrap_or(0), cost);
    let top = h.ledger.top(1, 10).await.expect("top");
    let expected: Vec<TopEntry> = (credits > 0)
        .then_some(TopEntry { user: u, credits })
        .into_iter()
        .collect();
    assert_eq!(top, expected);
}

pub(crate) async fn a_repeated_settle_changes_no_booking(s: Suite) {
    let h = s.open(one_window(10, 3 * HOUR)).await;
    let u = user(1);
    h.admit(&req(u, "a", 2)).await;
    h.deliver(u, "a", 2, 500).await;
    // Different answers to the same id, from the admitting instance and another.
    let other = h.instance().await;
    assert_eq!(
        h.settle(u, "a", Settlement::Failed).await,
        SettleOutcome::AlreadySettled
    );
    assert_eq!(
        other
            .settle(u, &rid("a"), delivered(1, 9))
            .await
            .expect("settle"),
        SettleOutcome::AlreadySettled
    );
    assert_eq!(
        h.ledger.spend_today().await.expect("spend").spent_micros,
        500
    );
    assert_eq!(images_today(h.ledger.as_ref()).await, 2);
    assert_eq!(
        h.ledger.top(1, 10).await.expect("top"),
        vec![TopEntry {
            user: u,
            credits: 2
        }]
    );
}

pub(crate) async fn a_late_settle_after_a_reap_books_the_estimate_and_no_credits(s: Suite) {
    let h = s.open(one_window(10, 3 * HOUR)).await;
    let u = user(1);
    let mut r = req(u, "a", 1);
    r.est_cost_micros = 800;
    let held = h.admit(&r).await;
    h.advance_to(held.lease_until);
    assert_eq!(h.ledger.reap().await.expect("reap").refunded, 1);
    // The worker comes back and settles through the instance that admitted it.
    assert_eq!(
        h.settle(u, "a", delivered(1, 300)).await,
        SettleOutcome::AlreadyRefunded
    );
    assert_eq!(
        h.ledger.spend_today().await.expect("spend").spent_micros,
        800,
        "the reaped estimate stands"
    );
    assert_eq!(h.ledger.top(1, 10).await.expect("top"), vec![]);
    assert_eq!(
        images_today(h.ledger.as_ref()).await,
        0,
        "nothing was delivered"
    );
    assert_eq!(h.status(u).await.windows[0].used, 0);
}

pub(crate) async fn a_settle_of_an_unknown_id_books_nothing(s: Suite) {
    let h = s.open(one_window(10, 3 * HOUR)).await;
    let u = user(1);
    assert_eq!(
        h.settle(u, "never", delivered(1, 300)).await,
        SettleOutcome::Unknown
    );
    assert_eq!(h.ledger.spend_today().await.expect("spend").spent_micros, 0);
    assert_eq!(images_today(h.ledger.as_ref()).await, 0);
    assert_eq!(h.ledger.top(1, 10).await.expect("top"), vec![]);
}
