//! Windows, credits, refunds, replays, leases and access: one user at a time.

use super::*;

#[tokio::test]
async fn windows_are_exact_and_free_at_charge_time_plus_period() {
    let env = Env::new(config());
    let r = admitted(env.reserve(U, "a", 6, 1).await);
    assert_eq!((r.from_windows, r.from_credits, r.replayed), (6, 0, false));
    env.advance_ms(H);
    admitted(env.reserve(U, "b", 4, 1).await);
    // The 3 h window is full: 1 more image needs the 6 at START to free (START + 3h).
    assert_eq!(
        denial(env.reserve(U, "c", 1, 1).await),
        Denial::Quota {
            fits: 0,
            retry_at: Some(UnixMillis(START + 3 * H))
        }
    );
    let s = env.ledger.status(U).await.unwrap();
    assert_eq!(s.plan.as_deref(), Some("free"));
    assert_eq!((s.windows[0].used, s.windows[1].used), (10, 10));
    assert_eq!(s.windows[0].next_free_at, Some(UnixMillis(START + 3 * H)));
    // "a" is an hour old: its 60 s lease has run out, so only "b" is in flight.
    assert_eq!(s.in_flight, 1);
    // One millisecond early it still does not fit; at the instant it does.
    env.advance_ms(2 * H - 1);
    assert!(matches!(
        env.reserve(U, "c", 1, 1).await,
        Admission::Denied(_)
    ));
    env.advance_ms(1);
    let r = admitted(env.reserve(U, "c", 6, 1).await);
    assert_eq!(r.from_windows, 6);
    // 11 images more than the 10-credit window can ever hold: never.
    assert_eq!(
        denial(env.reserve(U, "d", 11, 1).await),
        Denial::Quota {
            fits: 0,
            retry_at: None
        }
    );
}

#[tokio::test]
async fn credits_are_spent_after_the_windows() {
    let env = Env::new(config());
    env.ledger
        .adjust_credits(U, 5, "gift", Actor::Api)
        .await
        .unwrap();
    admitted(env.reserve(U, "a", 8, 1).await);
    let r = admitted(env.reserve(U, "b", 4, 1).await);
    assert_eq!((r.from_windows, r.from_credits), (2, 2));
    let s = env.ledger.status(U).await.unwrap();
    assert_eq!((s.credits, s.windows[0].used, s.available()), (3, 10, 3));
    // 2 credits per image: room 0 + 3 credits fit 1 image of 2.
    assert_eq!(
        denial(env.reserve(U, "c", 2, 2).await),
        Denial::Quota {
            fits: 1,
            retry_at: Some(UnixMillis(START + 3 * H))
        }
    );
}

#[tokio::test]
async fn partial_settle_refunds_credits_first_then_windows() {
    let env = Env::new(config());
    env.ledger
        .adjust_credits(U, 10, "gift", Actor::Api)
        .await
        .unwrap();
    admitted(env.reserve(U, "a", 7, 1).await);
    // 4 images at 2 credits = 8: 3 from the window, 5 from credits.
    let r = admitted(env.reserve(U, "b", 4, 2).await);
    assert_eq!((r.from_windows, r.from_credits), (3, 5));
    // 1 of 4 delivered: 2 charged, 6 back: 5 to credits, 1 to the window.
    let out = env.settle(U, "b", delivered(1)).await;
    assert_eq!(
        out,
        SettleOutcome::Settled {
            charged: 2,
            refunded: 6
        }
    );
    let s = env.ledger.status(U).await.unwrap();
    assert_eq!((s.credits, s.windows[0].used, s.in_flight), (10, 9, 1));
    let usage = env.ledger.usage(U, 10).await.unwrap();
    assert_eq!(usage.len(), 1);
    assert_eq!(
        (usage[0].images, usage[0].credits, usage[0].outcome),
        (1, 2, UsageOutcome::Partial)
    );
    // A full failure refunds everything to the window.
    let out = env.settle(U, "a", Settlement::Failed).await;
    assert_eq!(
        out,
        SettleOutcome::Settled {
            charged: 0,
            refunded: 7
        }
    );
    let s = env.ledger.status(U).await.unwrap();
    assert_eq!((s.windows[0].used, s.in_flight), (2, 0));
    let top = env.ledger.top(1, 10).await.unwrap();
    assert_eq!((top[0].user, top[0].credits), (U, 2));
}

#[tokio::test]
async fn replay_returns_the_first_answer_and_charges_nothing() {
    let env = Env::new(config());
    let first = admitted(env.reserve(U, "a", 3, 1).await);
    env.advance_ms(1000);
    let again = admitted(env.reserve(U, "a", 3, 1).await);
    assert_eq!(
        again,
        Reservation {
            replayed: true,
            ..first.clone()
        }
    );
    assert_eq!(env.ledger.status(U).await.unwrap().windows[0].used, 3);
    // Even after settling, a redelivered event is a replay, not a new charge.
    env.settle(U, "a", delivered(3)).await;
    assert!(admitted(env.reserve(U, "a", 3, 1).await).replayed);
    assert_eq!(env.ledger.status(U).await.unwrap().windows[0].used, 3);
    // A denied id is not stored: it is evaluated again.
    env.ledger
        .set_banned(U, true, "spam", Actor::Api)
        .await
        .unwrap();
    assert_eq!(denial(env.reserve(U, "b", 1, 1).await), Denial::Banned);
    env.ledger
        .set_banned(U, false, "ok", Actor::Api)
        .await
        .unwrap();
    assert!(!admitted(env.reserve(U, "b", 1, 1).await).replayed);
}

#[tokio::test]
async fn settle_is_idempotent_and_unknown_ids_are_reported() {
    let env = Env::new(config());
    admitted(env.reserve(U, "a", 2, 1).await);
    assert_eq!(
        env.settle(U, "a", delivered(2)).await,
        SettleOutcome::Settled {
            charged: 2,
            refunded: 0
        }
    );
    assert_eq!(
        env.settle(U, "a", delivered(2)).await,
        SettleOutcome::AlreadySettled
    );
    assert_eq!(
        env.settle(U, "a", Settlement::Failed).await,
        SettleOutcome::AlreadySettled
    );
    assert_eq!(
        env.settle(U, "zz", Settlement::Failed).await,
        SettleOutcome::Unknown
    );
    // Another user's id is not this user's.
    let other = UserKey::telegram(8);
    assert_eq!(
        env.settle(other, "a", Settlement::Failed).await,
        SettleOutcome::Unknown
    );
    assert_eq!(env.ledger.status(U).await.unwrap().windows[0].used, 2);
}

#[tokio::test]
async fn reaper_refunds_expired_leases_once_and_late_settles_are_refused() {
    let env = Env::new(config());
    env.ledger
        .adjust_credits(U, 20, "gift", Actor::Api)
        .await
        .unwrap();
    admitted(env.reserve(U, "a", 12, 1).await);
    admitted(env.reserve(U, "b", 1, 1).await);
    env.advance_ms(30_000);
    assert!(env.ledger.renew(U, &rid("b")).await.unwrap());
    env.advance_ms(30_000);
    // "a" (10 window + 2 credits) expired exactly now; "b" (1 credit) was renewed.
    let (r1, r2) = tokio::join!(env.ledger.reap(), env.ledger.reap());
    let (r1, r2) = (r1.unwrap(), r2.unwrap());
    assert_eq!(r1.refunded + r2.refunded, 1);
    let s = env.ledger.status(U).await.unwrap();
    assert_eq!((s.credits, s.windows[0].used, s.in_flight), (19, 0, 1));
    assert_eq!(
        env.settle(U, "a", delivered(12)).await,
        SettleOutcome::AlreadyRefunded
    );
    assert!(!env.ledger.renew(U, &rid("a")).await.unwrap());
    assert_eq!(
        env.ledger.usage(U, 5).await.unwrap()[0].outcome,
        UsageOutcome::Expired
    );
    env.advance_ms(60_000);
    assert_eq!(env.ledger.reap().await.unwrap().refunded, 1);
    assert_eq!(env.ledger.reap().await.unwrap().refunded, 0);
    assert!(!env.ledger.renew(U, &rid("nope")).await.unwrap());
}

#[tokio::test]
async fn expired_leases_do_not_count_in_flight() {
    let mut c = config();
    c.plans.get_mut("free").unwrap().max_in_flight = 2;
    let env = Env::new(c);
    admitted(env.reserve(U, "a", 1, 1).await);
    admitted(env.reserve(U, "b", 1, 1).await);
    assert_eq!(
        denial(env.reserve(U, "c", 1, 1).await),
        Denial::InFlight { limit: 2 }
    );
    env.settle(U, "a", delivered(1)).await;
    admitted(env.reserve(U, "c", 1, 1).await);
    env.advance_ms(60_000);
    assert_eq!(env.ledger.status(U).await.unwrap().in_flight, 0);
    admitted(env.reserve(U, "d", 1, 1).await);
}

#[tokio::test]
async fn access_modes_and_credit_only_access() {
    let mut c = config();
    c.access.mode = AccessMode::Code;
    let env = Env::new(c);
    assert_eq!(denial(env.reserve(U, "a", 1, 1).await), Denial::NeedsCode);
    let s = env.ledger.status(U).await.unwrap();
    assert_eq!((s.plan, s.windows.len()), (None, 0));
    // Credits alone give access in code mode.
    env.ledger
        .adjust_credits(U, 3, "gift", Actor::Api)
        .await
        .unwrap();
    let r = admitted(env.reserve(U, "a", 2, 1).await);
    assert_eq!((r.from_windows, r.from_credits), (0, 2));
    assert_eq!(
        denial(env.reserve(U, "b", 2, 1).await),
        Denial::Quota {
            fits: 1,
            retry_at: None
        }
    );
    // Spent out: no plan and no credits is no access again.
    admitted(env.reserve(U, "b", 1, 1).await);
    assert_eq!(denial(env.reserve(U, "c", 1, 1).await), Denial::NeedsCode);
    env.edit(|c| c.access.mode = AccessMode::Allowlist);
    let v = UserKey::discord(3);
    assert_eq!(denial(env.reserve(v, "a", 1, 1).await), Denial::NotAllowed);
    env.edit(|c| c.access.allowlist.push(v));
    admitted(env.reserve(v, "a", 1, 1).await);
}

#[tokio::test]
async fn old_reservations_are_pruned_after_retention() {
    let env = Env::new(config());
    admitted(env.reserve(U, "old", 1, 1).await);
    env.settle(U, "old", delivered(1)).await;
    // Past max(24 h window, 48 h): the next reserves prune it.
    env.advance_ms(48 * H + 1);
    admitted(env.reserve(U, "new", 1, 1).await);
    assert_eq!(
        env.settle(U, "old", delivered(1)).await,
        SettleOutcome::Unknown
    );
    // A pending one is kept however old (the reaper owns it).
    admitted(env.reserve(U, "slow", 1, 1).await);
    for _ in 0..60 {
        env.advance_ms(H);
        assert!(env.ledger.renew(U, &rid("slow")).await.unwrap());
    }
    admitted(env.reserve(U, "newer", 1, 1).await);
    assert!(matches!(
        env.settle(U, "slow", delivered(1)).await,
        SettleOutcome::Settled { .. }
    ));
}
