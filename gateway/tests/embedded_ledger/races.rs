//! Many tasks at once: every admission, settle and redemption happens exactly once.

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_hundred_racing_reserves_admit_exactly_forty() {
    let mut c = config();
    c.plans.get_mut("free").unwrap().windows = vec![window(40, 3)];
    let env = Arc::new(Env::new(c));
    let tasks: Vec<_> = (0..200)
        .map(|i| {
            let env = env.clone();
            tokio::spawn(async move { env.reserve(U, &format!("r{i}"), 1, 1).await })
        })
        .collect();
    let mut n = 0;
    for t in tasks {
        n += usize::from(matches!(t.await.unwrap(), Admission::Admitted(_)));
    }
    assert_eq!(n, 40);
    assert_eq!(env.ledger.status(U).await.unwrap().windows[0].used, 40);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_settles_and_refunds_take_effect_once() {
    let env = Arc::new(Env::new(config()));
    env.ledger
        .adjust_credits(U, 100, "gift", Actor::Api)
        .await
        .unwrap();
    admitted(env.reserve(U, "a", 20, 1).await);
    let tasks: Vec<_> = (0..40)
        .map(|i| {
            let env = env.clone();
            tokio::spawn(async move {
                let how = if i % 2 == 0 {
                    delivered(5)
                } else {
                    Settlement::Failed
                };
                env.settle(U, "a", how).await
            })
        })
        .collect();
    let mut firsts = Vec::new();
    for t in tasks {
        if let SettleOutcome::Settled { charged, refunded } = t.await.unwrap() {
            firsts.push((charged, refunded));
        }
    }
    assert_eq!(firsts.len(), 1);
    let s = env.ledger.status(U).await.unwrap();
    // 20 = 10 windows + 10 credits; whichever won, the books balance.
    let (charged, refunded) = firsts[0];
    assert_eq!(charged + refunded, 20);
    assert_eq!(
        u64::from(s.windows[0].used) + (100 - s.credits),
        u64::from(charged)
    );
    assert_eq!(env.ledger.usage(U, 10).await.unwrap().len(), 1);
}

#[tokio::test]
async fn concurrent_requests_never_pass_the_spend_cap() {
    let mut c = config();
    c.spend.daily_cap_micros = 10_000;
    c.plans.get_mut("free").unwrap().windows = vec![window(1000, 3)];
    let env = Arc::new(Env::new(c));
    let tasks: Vec<_> = (0..50)
        .map(|i| {
            let env = env.clone();
            tokio::spawn(async move {
                let user = UserKey::telegram(100 + i);
                env.ledger
                    .reserve(&req(user, "x", 1, 1, 1000))
                    .await
                    .unwrap()
            })
        })
        .collect();
    let mut admitted = 0;
    let mut notified = 0;
    for t in tasks {
        match t.await.unwrap() {
            Admission::Admitted(_) => admitted += 1,
            Admission::Denied(Refusal { notify_admins, .. }) => {
                notified += usize::from(notify_admins)
            }
        }
    }
    assert_eq!((admitted, notified), (10, 1));
    assert_eq!(env.ledger.spend_today().await.unwrap().spent_micros, 10_000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn code_redemption_races_are_exact() {
    let env = Arc::new(Env::new(config()));
    let spec = |max_uses| CodeSpec {
        credits: 3,
        plan: None,
        plan_days: 0,
        max_uses,
        redeem_by: None,
        note: String::new(),
    };
    let one = env
        .ledger
        .mint_codes(&spec(1), 1, Actor::Api)
        .await
        .unwrap()[0]
        .code
        .clone();
    let five = env
        .ledger
        .mint_codes(&spec(5), 1, Actor::Api)
        .await
        .unwrap()[0]
        .code
        .clone();
    let race = |users: Vec<UserKey>, code: String| {
        let tasks: Vec<_> = users
            .into_iter()
            .map(|u| {
                let (env, code) = (env.clone(), code.clone());
                tokio::spawn(async move { env.ledger.redeem(u, &code).await.unwrap() })
            })
            .collect();
        async move {
            let mut out = Vec::new();
            for t in tasks {
                out.push(t.await.unwrap());
            }
            out
        }
    };
    let many: Vec<UserKey> = (0..20).map(|i| UserKey::telegram(500 + i)).collect();
    let got = race(many, one).await;
    let redeemed = got
        .iter()
        .filter(|r| matches!(r, Redemption::Redeemed { .. }))
        .count();
    let used_up = got.iter().filter(|r| **r == Redemption::UsedUp).count();
    assert_eq!((redeemed, used_up), (1, 19));

    let got = race(vec![U; 20], five).await;
    let redeemed = got
        .iter()
        .filter(|r| matches!(r, Redemption::Redeemed { .. }))
        .count();
    let again = got
        .iter()
        .filter(|r| **r == Redemption::AlreadyRedeemed)
        .count();
    assert_eq!((redeemed, again), (1, 19));
    assert_eq!(env.ledger.status(U).await.unwrap().credits, 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn usage_keeps_the_last_thousand_newest_first() {
    let mut c = config();
    c.plans.get_mut("free").unwrap().windows = vec![window(100_000, 3)];
    let env = Arc::new(Env::new(c));
    let tasks: Vec<_> = (0..40)
        .map(|t| {
            let env = env.clone();
            tokio::spawn(async move {
                for i in 0..26 {
                    let id = format!("u{t}-{i}");
                    admitted(env.reserve(U, &id, 1, 1).await);
                    env.settle(U, &id, delivered(1)).await;
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    // 1040 finished; the oldest 40 are gone.
    let usage = env.ledger.usage(U, 5000).await.unwrap();
    assert_eq!(usage.len(), 1000);
    let mut ids: Vec<&str> = usage.iter().map(|u| u.id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 1000);
    // Newest first: the last settle of all is some task's last request.
    assert!(usage[0].id.as_str().ends_with("-25"), "{:?}", usage[0].id);
    assert_eq!(env.ledger.usage(U, 3).await.unwrap().len(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_refused_operation_does_not_disturb_its_batch() {
    let env = Arc::new(Env::new(config()));
    // Refusals and admissions interleaved from many tasks share batches.
    let tasks: Vec<_> = (0..40)
        .map(|i| {
            let env = env.clone();
            tokio::spawn(async move {
                let user = UserKey::telegram(1000 + i);
                if i % 2 == 0 {
                    let refused = env.ledger.adjust_credits(user, -1, "x", Actor::Api).await;
                    assert!(matches!(refused, Err(LedgerError::Refused(_))));
                    let missing = env
                        .ledger
                        .set_plan(user, Some("none"), 1, "x", Actor::Api)
                        .await;
                    assert!(matches!(missing, Err(LedgerError::NotFound(_))));
                } else {
                    admitted(env.reserve(user, "a", 2, 1).await);
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    for i in 0..40 {
        let s = env
            .ledger
            .status(UserKey::telegram(1000 + i))
            .await
            .unwrap();
        let expect = if i % 2 == 0 { 0 } else { 2 };
        assert_eq!((s.windows[0].used, s.credits), (expect, 0), "user {i}");
    }
    assert!(env.ledger.audit(100).await.unwrap().is_empty());
}
