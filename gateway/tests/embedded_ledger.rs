//! EmbeddedLedger behaviour against LEDGER.md, on a temp file with a manual clock.
//! Run: `cargo test -p easel-gateway --features test-clock --test embedded_ledger`.
#![cfg(feature = "test-clock")]

use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;
use easel_gateway::ledger::embedded::EmbeddedLedger;
use easel_gateway::ledger::{
    Admission, Clock, Ledger, LedgerError, Reservation, ReserveRequest, SettleOutcome, Settlement,
    SharedConfig,
};
use easel_shared::admin::{Actor, CodeSpec, Redemption, UsageOutcome};
use easel_shared::config::{AccessMode, Config, PlanConfig, WindowConfig};
use easel_shared::{Denial, RequestId, UnixMillis, UserKey};

const H: i64 = 3_600_000;
/// Day 20,000 at 01:00 UTC: far from a midnight, so spend days do not flip.
const START: i64 = 20_000 * UnixMillis::DAY + H;

fn window(limit: u32, hours: u64) -> WindowConfig {
    WindowConfig {
        limit,
        period: Duration::from_secs(hours * 3600),
    }
}

/// `free`: 10 per 3 h and 30 per 24 h, no in-flight cap; `gold`: 100 per 1 h.
fn config() -> Config {
    let mut c = Config::default();
    c.plans.clear();
    let plan = |windows, max_in_flight| PlanConfig {
        windows,
        max_in_flight,
        ..PlanConfig::default()
    };
    c.plans
        .insert("free".into(), plan(vec![window(10, 3), window(30, 24)], 0));
    c.plans.insert("gold".into(), plan(vec![window(100, 1)], 0));
    c.ledger.lease = Duration::from_secs(60);
    c
}

struct Env {
    dir: tempfile::TempDir,
    config: SharedConfig,
    clock: Clock,
    ledger: EmbeddedLedger,
}

impl Env {
    fn new(c: Config) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let config: SharedConfig = Arc::new(ArcSwap::from_pointee(c));
        let clock = Clock::manual(UnixMillis(START));
        let ledger = open(&dir, &config, &clock);
        Self {
            dir,
            config,
            clock,
            ledger,
        }
    }

    fn edit(&self, f: impl FnOnce(&mut Config)) {
        let mut c = (**self.config.load()).clone();
        f(&mut c);
        self.config.store(Arc::new(c));
    }

    fn advance_ms(&self, ms: i64) {
        self.clock.advance(Duration::from_millis(ms as u64));
    }

    async fn reserve(&self, user: UserKey, id: &str, images: u32, cpi: u32) -> Admission {
        self.ledger
            .reserve(&req(user, id, images, cpi, 0))
            .await
            .unwrap()
    }

    async fn settle(&self, user: UserKey, id: &str, how: Settlement) -> SettleOutcome {
        self.ledger.settle(user, &rid(id), how).await.unwrap()
    }
}

fn open(dir: &tempfile::TempDir, config: &SharedConfig, clock: &Clock) -> EmbeddedLedger {
    EmbeddedLedger::open(
        &dir.path().join("ledger.redb"),
        config.clone(),
        clock.clone(),
    )
    .unwrap()
}

fn rid(id: &str) -> RequestId {
    RequestId::new(id).unwrap()
}

fn req(user: UserKey, id: &str, images: u32, cpi: u32, est: u64) -> ReserveRequest {
    ReserveRequest {
        id: rid(id),
        user,
        images,
        credits_per_image: cpi,
        est_cost_micros: est,
        backend: "openai".into(),
    }
}

fn admitted(a: Admission) -> Reservation {
    match a {
        Admission::Admitted(r) => r,
        other => panic!("expected admission, got {other:?}"),
    }
}

fn denial(a: Admission) -> Denial {
    match a {
        Admission::Denied { denial, .. } => denial,
        other => panic!("expected denial, got {other:?}"),
    }
}

fn delivered(images: u32) -> Settlement {
    Settlement::Delivered {
        images,
        cost_micros: 1000,
    }
}

const U: UserKey = UserKey {
    platform: easel_shared::Platform::Telegram,
    id: 7,
};

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
        Admission::Denied { .. }
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
async fn spend_cap_denies_without_charging_and_notifies_once() {
    let mut c = config();
    c.spend.daily_cap_micros = 1000;
    let env = Env::new(c);
    let v = UserKey::discord(9);
    admitted(env.ledger.reserve(&req(U, "a", 1, 1, 600)).await.unwrap());
    let first = env.ledger.reserve(&req(v, "b", 1, 1, 600)).await.unwrap();
    let next_day = UnixMillis(START).next_day();
    assert_eq!(
        first,
        Admission::Denied {
            denial: Denial::Budget {
                resets_at: next_day
            },
            notify_admins: true
        }
    );
    let second = env.ledger.reserve(&req(U, "c", 1, 1, 600)).await.unwrap();
    assert_eq!(
        second,
        Admission::Denied {
            denial: Denial::Budget {
                resets_at: next_day
            },
            notify_admins: false
        }
    );
    // The denied user was charged nothing.
    let s = env.ledger.status(v).await.unwrap();
    assert_eq!((s.windows[0].used, s.in_flight), (0, 0));
    // Settling replaces the estimate by the real cost, which frees budget.
    env.settle(
        U,
        "a",
        Settlement::Delivered {
            images: 1,
            cost_micros: 300,
        },
    )
    .await;
    let spend = env.ledger.spend_today().await.unwrap();
    assert_eq!((spend.spent_micros, spend.cap_micros), (300, 1000));
    assert_eq!(spend.by_backend.get("openai"), Some(&300));
    admitted(env.ledger.reserve(&req(v, "b", 1, 1, 600)).await.unwrap());
    env.settle(v, "b", Settlement::Failed).await;
    assert_eq!(env.ledger.spend_today().await.unwrap().spent_micros, 300);
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
            Admission::Denied { notify_admins, .. } => notified += usize::from(notify_admins),
        }
    }
    assert_eq!((admitted, notified), (10, 1));
    assert_eq!(env.ledger.spend_today().await.unwrap().spent_micros, 10_000);
}

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
async fn admin_ops_change_state_and_are_audited() {
    let env = Env::new(config());
    let admin = Actor::Admin(UserKey::telegram(1));
    assert_eq!(
        env.ledger
            .adjust_credits(U, 5, "gift", admin)
            .await
            .unwrap(),
        5
    );
    assert_eq!(
        env.ledger
            .adjust_credits(U, -3, "fix", admin)
            .await
            .unwrap(),
        2
    );
    assert!(matches!(
        env.ledger.adjust_credits(U, -3, "too much", admin).await,
        Err(LedgerError::Refused(_))
    ));
    assert_eq!(env.ledger.status(U).await.unwrap().credits, 2);
    assert!(matches!(
        env.ledger
            .set_plan(U, Some("platinum"), 3, "x", admin)
            .await,
        Err(LedgerError::NotFound(_))
    ));
    let d = UnixMillis::DAY;
    let until = env
        .ledger
        .set_plan(U, Some("gold"), 3, "paid", admin)
        .await
        .unwrap();
    assert_eq!(until, Some(UnixMillis(START + 3 * d)));
    let until = env
        .ledger
        .set_plan(U, Some("gold"), 2, "paid", admin)
        .await
        .unwrap();
    assert_eq!(until, Some(UnixMillis(START + 5 * d)));
    let s = env.ledger.status(U).await.unwrap();
    assert_eq!(
        (s.plan.as_deref(), s.plan_expires_at),
        (Some("gold"), until)
    );
    assert_eq!(s.windows[0].limit, 100);
    env.advance_ms(5 * d);
    assert_eq!(
        env.ledger.status(U).await.unwrap().plan.as_deref(),
        Some("free")
    );
    env.ledger
        .set_plan(U, Some("gold"), 0, "forever", admin)
        .await
        .unwrap();
    assert_eq!(
        env.ledger
            .set_plan(U, None, 0, "back", admin)
            .await
            .unwrap(),
        None
    );
    env.ledger
        .set_banned(U, true, "abuse", admin)
        .await
        .unwrap();
    assert!(env.ledger.status(U).await.unwrap().banned);
    assert_eq!(denial(env.reserve(U, "a", 1, 1).await), Denial::Banned);

    let audit = env.ledger.audit(100).await.unwrap();
    let actions: Vec<&str> = audit.iter().map(|a| a.action.as_str()).collect();
    assert_eq!(
        actions,
        ["ban", "plan", "plan", "plan", "plan", "deduct", "grant"]
    );
    assert_eq!(
        (audit[0].actor, audit[0].user, audit[0].reason.as_str()),
        (admin, Some(U), "abuse")
    );
    assert_eq!(env.ledger.audit(2).await.unwrap().len(), 2);
}

#[tokio::test]
async fn codes_grant_once_and_expire_revoke_and_run_out() {
    let env = Env::new(config());
    let spec = CodeSpec {
        credits: 5,
        plan: Some("gold".into()),
        plan_days: 2,
        max_uses: 2,
        redeem_by: Some(UnixMillis(START + H)),
        note: "batch 1".into(),
    };
    let admin = Actor::Admin(UserKey::telegram(1));
    assert!(matches!(
        env.ledger
            .mint_codes(
                &CodeSpec {
                    max_uses: 0,
                    ..spec.clone()
                },
                1,
                admin
            )
            .await,
        Err(LedgerError::Refused(_))
    ));
    assert!(matches!(
        env.ledger
            .mint_codes(
                &CodeSpec {
                    plan: Some("nope".into()),
                    ..spec.clone()
                },
                1,
                admin
            )
            .await,
        Err(LedgerError::NotFound(_))
    ));
    let codes = env.ledger.mint_codes(&spec, 2, admin).await.unwrap();
    let code = &codes[0].code;
    let got = env.ledger.redeem(U, &code.to_lowercase()).await.unwrap();
    let until = Some(UnixMillis(START + 2 * UnixMillis::DAY));
    assert_eq!(
        got,
        Redemption::Redeemed {
            credits: 5,
            plan: Some("gold".into()),
            plan_expires_at: until
        }
    );
    assert_eq!(
        env.ledger.redeem(U, code).await.unwrap(),
        Redemption::AlreadyRedeemed
    );
    let s = env.ledger.status(U).await.unwrap();
    assert_eq!((s.credits, s.plan.as_deref()), (5, Some("gold")));
    env.ledger.redeem(UserKey::telegram(2), code).await.unwrap();
    assert_eq!(
        env.ledger.redeem(UserKey::telegram(3), code).await.unwrap(),
        Redemption::UsedUp
    );
    assert_eq!(
        env.ledger.redeem(U, "not-a-code").await.unwrap(),
        Redemption::Invalid
    );
    assert!(env.ledger.revoke_code(&codes[1].id, admin).await.unwrap());
    assert!(!env.ledger.revoke_code("0000000000", admin).await.unwrap());
    assert_eq!(
        env.ledger.redeem(U, &codes[1].code).await.unwrap(),
        Redemption::Revoked
    );
    let later = env.ledger.mint_codes(&spec, 1, admin).await.unwrap();
    env.advance_ms(H + 1);
    assert_eq!(
        env.ledger.redeem(U, &later[0].code).await.unwrap(),
        Redemption::Expired
    );

    let list = env.ledger.list_codes().await.unwrap();
    assert_eq!(list.len(), 3);
    assert_eq!(list[0].id, later[0].id);
    let first = list.iter().find(|c| c.id == codes[0].id).unwrap();
    assert_eq!(
        (first.uses, first.revoked, first.created_by),
        (2, false, admin)
    );
    assert!(list.iter().any(|c| c.id == codes[1].id && c.revoked));
    let actions: Vec<String> = env
        .ledger
        .audit(10)
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.action)
        .collect();
    assert_eq!(actions, ["mint", "revoke", "redeem", "redeem", "mint"]);
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

#[tokio::test]
async fn state_survives_drop_and_reopen() {
    let env = Env::new(config());
    env.ledger
        .adjust_credits(U, 9, "gift", Actor::Api)
        .await
        .unwrap();
    admitted(env.reserve(U, "a", 4, 1).await);
    admitted(env.reserve(U, "b", 2, 1).await);
    env.settle(U, "b", delivered(1)).await;
    let before = env.ledger.status(U).await.unwrap();
    let Env {
        dir,
        config,
        clock,
        ledger,
    } = env;
    drop(ledger);
    let ledger = open(&dir, &config, &clock);
    assert_eq!(ledger.status(U).await.unwrap(), before);
    assert_eq!(
        ledger.settle(U, &rid("b"), delivered(1)).await.unwrap(),
        SettleOutcome::AlreadySettled
    );
    assert_eq!(
        ledger.settle(U, &rid("a"), delivered(4)).await.unwrap(),
        SettleOutcome::Settled {
            charged: 4,
            refunded: 0
        }
    );
    assert_eq!(ledger.usage(U, 10).await.unwrap().len(), 2);
    assert_eq!(ledger.audit(10).await.unwrap().len(), 1);
}

#[tokio::test]
async fn a_second_open_of_the_same_file_is_unavailable_not_a_panic() {
    let env = Env::new(config());
    let again = EmbeddedLedger::open(
        &env.dir.path().join("ledger.redb"),
        env.config.clone(),
        env.clock.clone(),
    );
    assert!(matches!(again, Err(LedgerError::Unavailable(_))));
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
