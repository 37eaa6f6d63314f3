//! Windows, credits, access modes, in-flight cap and status.

use std::time::Duration;

use easel_gateway::ledger::{Ledger, SettleOutcome};
use easel_shared::admin::Actor;
use easel_shared::config::AccessMode;
use easel_shared::{Denial, UnixMillis, UserKey};

use super::fixture::*;

#[tokio::test]
async fn window_admits_exactly_the_limit_then_frees_as_the_oldest_ages_out() {
    let f = Fixture::new("window", config());
    let l = f.ledger().await;
    let u = UserKey::telegram(1);

    admit(&l, &req(u, "a", 1)).await;
    f.clock.advance(Duration::from_secs(600));
    for i in 0..4 {
        let r = admit(&l, &req(u, &format!("b{i}"), 1)).await;
        assert_eq!((r.from_windows, r.from_credits, r.replayed), (1, 0, false));
    }
    // 5 per hour used: the next is refused until the oldest charge (at START)
    // leaves the hour.
    let (denial, notify) = deny(&l, &req(u, "c", 1)).await;
    let frees = UnixMillis(START.0 + 3_600_000);
    assert_eq!(
        denial,
        Denial::Quota {
            fits: 0,
            retry_at: Some(frees)
        }
    );
    assert!(!notify);
    // Two images need two charges to age out: the second is 10 min younger.
    let (denial, _) = deny(&l, &req(u, "c2", 2)).await;
    assert_eq!(
        denial,
        Denial::Quota {
            fits: 0,
            retry_at: Some(UnixMillis(frees.0 + 600_000))
        }
    );

    f.clock.advance(Duration::from_millis(
        u64::try_from(frees.0 - START.0 - 600_000 - 1).unwrap(),
    ));
    deny(&l, &req(u, "c", 1)).await; // one ms early
    f.clock.advance(Duration::from_millis(1));
    admit(&l, &req(u, "c", 1)).await;
    deny(&l, &req(u, "d", 1)).await;
    f.cleanup().await;
}

#[tokio::test]
async fn every_window_must_have_room() {
    let f = Fixture::new("two-windows", config());
    let l = f.ledger().await;
    let u = UserKey::telegram(2);
    // 5 per hour, 8 per day: after 5 + 3 the day is full although the hour frees.
    for i in 0..5 {
        admit(&l, &req(u, &format!("a{i}"), 1)).await;
    }
    f.clock.advance(HOUR);
    admit(&l, &req(u, "b", 3)).await;
    let (denial, _) = deny(&l, &req(u, "c", 1)).await;
    assert_eq!(
        denial,
        Denial::Quota {
            fits: 0,
            retry_at: Some(UnixMillis(START.0 + 24 * 3_600_000))
        }
    );
    // More than a window's limit can never fit.
    let (denial, _) = deny(&l, &req(u, "huge", 9)).await;
    assert_eq!(
        denial,
        Denial::Quota {
            fits: 0,
            retry_at: None
        }
    );
    f.cleanup().await;
}

#[tokio::test]
async fn credits_are_used_after_the_windows_and_partial_settle_refunds_them_first() {
    let f = Fixture::new("credits", config());
    let l = f.ledger().await;
    let u = UserKey::discord(3);
    for i in 0..3 {
        admit(&l, &req(u, &format!("w{i}"), 1)).await;
    }
    assert_eq!(l.adjust_credits(u, 3, "gift", Actor::Api).await.unwrap(), 3);
    // 2 left in the hour + 3 credits: 6 images do not fit, 5 would.
    let (denial, _) = deny(&l, &req(u, "six", 6)).await;
    assert!(
        matches!(denial, Denial::Quota { fits: 5, .. }),
        "{denial:?}"
    );

    let r = admit(&l, &req(u, "four", 4)).await;
    assert_eq!((r.from_windows, r.from_credits), (2, 2));
    let s = l.status(u).await.unwrap();
    assert_eq!((s.credits, s.windows[0].used, s.in_flight), (1, 5, 4));

    // 1 of 4 delivered: 3 refunded, credits first (2), then 1 to the window.
    let out = settle(&l, u, "four", delivered(1, 500)).await;
    assert_eq!(
        out,
        SettleOutcome::Settled {
            charged: 1,
            refunded: 3
        }
    );
    let s = l.status(u).await.unwrap();
    assert_eq!((s.credits, s.windows[0].used, s.windows[1].used), (3, 4, 4));
    let usage = l.usage(u, 10).await.unwrap();
    assert_eq!(usage[0].images, 1);
    assert_eq!(usage[0].credits, 1);
    assert_eq!(usage[0].cost_micros, 500);
    assert_eq!(usage[0].outcome, easel_shared::admin::UsageOutcome::Partial);
    f.cleanup().await;
}

#[tokio::test]
async fn access_modes_and_credit_only_users() {
    let mut c = config();
    c.access.mode = AccessMode::Code;
    let f = Fixture::new("access", c);
    let l = f.ledger().await;
    let u = UserKey::telegram(4);
    assert_eq!(deny(&l, &req(u, "a", 1)).await.0, Denial::NeedsCode);
    let s = l.status(u).await.unwrap();
    assert_eq!((s.plan, s.windows.len()), (None, 0));

    // Credits alone give access (windows: none).
    l.adjust_credits(u, 2, "", Actor::Api).await.unwrap();
    let r = admit(&l, &req(u, "a", 2)).await;
    assert_eq!((r.from_windows, r.from_credits), (0, 2));
    assert_eq!(deny(&l, &req(u, "b", 1)).await.0, Denial::NeedsCode);
    settle(&l, u, "a", easel_gateway::ledger::Settlement::Failed).await;
    assert_eq!(l.status(u).await.unwrap().credits, 2);

    let mut c = config();
    c.access.mode = AccessMode::Allowlist;
    c.access.allowlist = vec![UserKey::telegram(5)];
    f.config.store(std::sync::Arc::new(c));
    assert_eq!(
        deny(&l, &req(UserKey::telegram(6), "x", 1)).await.0,
        Denial::NotAllowed
    );
    admit(&l, &req(UserKey::telegram(5), "y", 1)).await;
    // An assigned plan beats the access mode.
    l.set_plan(UserKey::telegram(6), Some("pro"), 1, "", Actor::Api)
        .await
        .unwrap();
    admit(&l, &req(UserKey::telegram(6), "x", 1)).await;
    f.cleanup().await;
}

#[tokio::test]
async fn in_flight_cap_counts_only_live_leases() {
    let mut c = config();
    c.plans.insert("basic".into(), plan(&[(50, HOUR)], 2));
    let f = Fixture::new("in-flight", c);
    let l = f.ledger().await;
    let u = UserKey::telegram(7);
    admit(&l, &req(u, "a", 1)).await;
    admit(&l, &req(u, "b", 1)).await;
    assert_eq!(
        deny(&l, &req(u, "c", 1)).await.0,
        Denial::InFlight { limit: 2 }
    );
    settle(&l, u, "a", delivered(1, 0)).await;
    admit(&l, &req(u, "c", 1)).await;
    f.clock.advance(LEASE);
    // Expired leases no longer count, even before the reaper ran.
    assert_eq!(l.status(u).await.unwrap().in_flight, 0);
    admit(&l, &req(u, "d", 1)).await;
    f.cleanup().await;
}

#[tokio::test]
async fn status_reports_every_field() {
    let f = Fixture::new("status", config());
    let l = f.ledger().await;
    let u = UserKey::telegram(8);
    let s = l.status(u).await.unwrap();
    assert_eq!(s.plan.as_deref(), Some("basic"));
    assert_eq!(
        (s.plan_expires_at, s.credits, s.in_flight, s.banned),
        (None, 0, 0, false)
    );
    assert_eq!(s.now, START);
    assert_eq!(s.windows.len(), 2);
    assert_eq!((s.windows[0].limit, s.windows[0].period_secs), (5, 3600));
    assert_eq!((s.windows[0].used, s.windows[0].next_free_at), (0, None));

    admit(&l, &req(u, "a", 2)).await;
    f.clock.advance(Duration::from_secs(30));
    let s = l.status(u).await.unwrap();
    assert_eq!(s.windows[0].used, 2);
    assert_eq!(
        s.windows[0].next_free_at,
        Some(UnixMillis(START.0 + 3_600_000))
    );
    assert_eq!(
        s.windows[1].next_free_at,
        Some(UnixMillis(START.0 + 86_400_000))
    );
    assert_eq!(s.in_flight, 1);
    assert_eq!(s.available(), 3);

    let until = l.set_plan(u, Some("pro"), 2, "", Actor::Api).await.unwrap();
    let s = l.status(u).await.unwrap();
    assert_eq!(s.plan.as_deref(), Some("pro"));
    assert_eq!(s.plan_expires_at, until);
    assert_eq!(s.windows[0].used, 2, "the log is shared across plans");
    f.clock.advance(Duration::from_secs(2 * 86_400));
    let s = l.status(u).await.unwrap();
    assert_eq!(
        (s.plan.as_deref(), s.plan_expires_at),
        (Some("basic"), None)
    );
    f.cleanup().await;
}
