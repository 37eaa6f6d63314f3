//! Admission against a real embedded ledger and the manual clock: plan
//! policy, the burst limiter, the redeem limiter, the safety cooldown, the
//! ledger's own denials passing through, and the pre-check that runs
//! before any download (one burst cell per request, refusals from a read).
//! Every test runs against both real ledgers (embedded file, shared Redis).

#[macro_use]
#[path = "support/jobs.rs"]
mod support;

use std::time::Duration;

use easel_gateway::admission::{AdmitError, AdmitRequest, Pass};
use easel_gateway::ledger::KeyClaim;
use easel_shared::admin::{Actor, Redemption};
use easel_shared::config::AccessMode;
use easel_shared::config::{BurstConfig, Config};
use easel_shared::job::{JobEvent, JobFailure};
use easel_shared::render::{Quality, RenderOptions};
use easel_shared::request::Precheck;
use easel_shared::{Denial, Refusal, RequestId, UserKey};

use support::{Core, Kind, finish, roomy_config, used};

both_ledgers!(
    the_plan_policy_refuses_what_it_does_not_allow_and_holds_nothing,
    the_burst_limiter_refuses_with_a_retry_time_after_policy_checks,
    a_burst_cell_is_spent_only_on_an_admitted_request,
    a_claimed_api_key_is_checked_in_the_reserve,
    redemption_attempts_are_rate_limited_per_user,
    repeated_safety_blocks_start_a_cooldown_until_they_age_out,
    the_ledgers_denials_pass_through,
    the_precheck_takes_the_burst_cell_once_and_admit_honours_it,
    the_precheck_refuses_from_a_read_and_holds_nothing,
);

fn denial(result: Result<impl std::fmt::Debug, AdmitError>) -> Denial {
    match result {
        Err(AdmitError::Denied(Refusal { denial, .. })) => denial,
        other => panic!("expected a denial, got {other:?}"),
    }
}

fn request(user: UserKey, id: &str, options: RenderOptions, is_edit: bool) -> AdmitRequest {
    AdmitRequest {
        id: RequestId::new(id).unwrap(),
        user,
        options,
        is_edit,
        backend: "test".into(),
        est_cost_micros: 10_000,
        key: None,
    }
}

fn strict_config() -> Config {
    let mut config = roomy_config();
    let plan = config.plans.get_mut("free").unwrap();
    plan.max_n = 2;
    plan.qualities = vec![Quality::Low, Quality::Medium];
    plan.allow_edit = false;
    config
}

async fn the_plan_policy_refuses_what_it_does_not_allow_and_holds_nothing(kind: Kind) {
    let core = Core::start(kind, strict_config(), false).await;
    let user = UserKey::telegram(1);
    let cases = [
        (
            RenderOptions {
                n: 3,
                ..RenderOptions::default()
            },
            false,
            "n",
            Some(2),
        ),
        (
            RenderOptions {
                quality: Quality::High,
                ..RenderOptions::default()
            },
            false,
            "quality",
            None,
        ),
        (
            RenderOptions {
                quality: Quality::Low,
                ..RenderOptions::default()
            },
            true,
            "edit",
            None,
        ),
    ];
    for (i, (options, is_edit, what, max)) in cases.into_iter().enumerate() {
        let got = denial(
            core.keeper
                .admit(&request(user, &format!("r{i}"), options, is_edit))
                .await,
        );
        assert_eq!(
            got,
            Denial::PlanForbids {
                what: what.into(),
                max
            }
        );
    }
    let status = core.status(user).await;
    assert_eq!((used(&status), status.in_flight), (0, 0));
    let ok = RenderOptions {
        n: 2,
        quality: Quality::Medium,
        ..RenderOptions::default()
    };
    let ticket = core
        .keeper
        .admit(&request(user, "fine", ok, false))
        .await
        .unwrap();
    assert_eq!((ticket.credits, ticket.reservation.images), (2, 2));
}

async fn the_burst_limiter_refuses_with_a_retry_time_after_policy_checks(kind: Kind) {
    let mut config = roomy_config();
    config.plans.get_mut("free").unwrap().burst = Some(BurstConfig {
        every: Duration::from_secs(3600),
        burst: 1,
    });
    let core = Core::start(kind, config, false).await;
    let user = UserKey::telegram(1);
    // A policy refusal must not use up the one burst cell.
    assert!(matches!(
        denial(core.admit(user, "too-many", 9).await),
        Denial::PlanForbids { .. }
    ));
    core.admit(user, "first", 1).await.unwrap();
    let now = core.clock.now();
    match denial(core.admit(user, "second", 1).await) {
        Denial::Burst { retry_at } => {
            assert!(retry_at > now && retry_at <= now.plus(Duration::from_secs(3600)));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        used(&core.status(user).await),
        1,
        "the refusal held nothing"
    );
    // Other users have their own cells.
    core.admit(UserKey::telegram(2), "other", 1).await.unwrap();
    // In process memory with the embedded ledger; in Redis with the Redis one.
    match kind {
        Kind::Embedded => assert!(core.keeper.limiter_keys() >= Some(2)),
        Kind::Redis => assert_eq!(core.keeper.limiter_keys(), None),
    }
}

async fn a_burst_cell_is_spent_only_on_an_admitted_request(kind: Kind) {
    let mut config = roomy_config();
    let plan = config.plans.get_mut("free").unwrap();
    plan.windows[0].limit = 1;
    plan.burst = Some(BurstConfig {
        every: Duration::from_secs(3600),
        burst: 2,
    });
    let core = Core::start(kind, config, false).await;
    let user = UserKey::telegram(1);
    core.admit(user, "a", 1).await.unwrap();
    // The window is full: refused for quota, and the second cell stays.
    assert!(matches!(
        denial(core.admit(user, "b", 1).await),
        Denial::Quota { fits: 0, .. }
    ));
    core.ledger
        .adjust_credits(user, 5, "gift", Actor::Api)
        .await
        .unwrap();
    core.admit(user, "c", 1).await.unwrap();
    // Now both cells are spent, on the two admitted requests.
    assert!(matches!(
        denial(core.admit(user, "d", 1).await),
        Denial::Burst { .. }
    ));
    assert_eq!(core.status(user).await.credits, 4, "d held nothing");
    // A redelivery of an admitted request is its first answer, whatever
    // the limiter says now.
    let again = core.admit(user, "c", 1).await.unwrap();
    assert!(again.reservation.replayed);
}

async fn a_claimed_api_key_is_checked_in_the_reserve(kind: Kind) {
    let core = Core::start(kind, roomy_config(), false).await;
    let (user, other) = (UserKey::telegram(1), UserKey::telegram(2));
    let minted = core.ledger.create_api_key(user, Actor::Api).await.unwrap();
    let claim = KeyClaim::of(minted.key.expose()).unwrap();
    let claimed = |who, id| AdmitRequest {
        key: Some(claim.clone()),
        ..request(who, id, RenderOptions::default(), false)
    };
    core.keeper.admit(&claimed(user, "a")).await.unwrap();
    // The key is not the other user's, and a forged hash is nobody's.
    assert_eq!(
        denial(core.keeper.admit(&claimed(other, "b")).await),
        Denial::KeyRevoked
    );
    let forged = AdmitRequest {
        key: Some(KeyClaim {
            hash: "0".repeat(64),
            ..claim.clone()
        }),
        ..request(user, "c", RenderOptions::default(), false)
    };
    assert_eq!(denial(core.keeper.admit(&forged).await), Denial::KeyRevoked);
    core.ledger
        .revoke_api_key(user, &minted.prefix, Actor::Api)
        .await
        .unwrap();
    assert_eq!(
        denial(core.keeper.admit(&claimed(user, "d")).await),
        Denial::KeyRevoked
    );
    assert_eq!(
        used(&core.status(user).await),
        1,
        "the refusals held nothing"
    );
    assert_eq!(used(&core.status(other).await), 0);
}

async fn redemption_attempts_are_rate_limited_per_user(kind: Kind) {
    let mut config = roomy_config();
    config.redeem.burst = 2;
    config.redeem.every = Duration::from_secs(3600);
    let core = Core::start(kind, config, false).await;
    let user = UserKey::telegram(1);
    for _ in 0..2 {
        assert_eq!(
            core.keeper.redeem(user, "NOT-A-CODE").await.unwrap(),
            Redemption::Invalid
        );
    }
    assert!(matches!(
        denial(core.keeper.redeem(user, "NOT-A-CODE").await),
        Denial::RedeemRate { retry_at } if retry_at > core.clock.now()
    ));
    assert_eq!(
        core.keeper
            .redeem(UserKey::telegram(2), "NOT-A-CODE")
            .await
            .unwrap(),
        Redemption::Invalid
    );
}

async fn repeated_safety_blocks_start_a_cooldown_until_they_age_out(kind: Kind) {
    let mut config = roomy_config();
    config.safety.blocks_before_cooldown = 2;
    config.safety.window = Duration::from_secs(3600);
    let core = Core::start(kind, config, false).await;
    let user = UserKey::telegram(1);
    let first_block = core.clock.now();
    for id in ["bad1", "bad2"] {
        let mut handle = core.submit(user, &format!("{id} error=blocked"), 1).await;
        assert!(matches!(
            finish(&mut handle).await.last(),
            Some(JobEvent::Failed {
                failure: JobFailure::Blocked { .. },
                ..
            })
        ));
        core.clock.advance(Duration::from_secs(60));
    }
    let until = first_block.plus(Duration::from_secs(3600));
    assert_eq!(
        denial(core.admit(user, "again", 1).await),
        Denial::Cooldown { until }
    );
    // Someone else is not affected.
    core.admit(UserKey::telegram(2), "other", 1).await.unwrap();
    // Once the first block leaves the window, one block remains: below the threshold.
    core.clock.advance(Duration::from_secs(3600 - 121));
    assert_eq!(
        denial(core.admit(user, "again", 1).await),
        Denial::Cooldown { until },
        "a second before the first block ages out"
    );
    core.clock.advance(Duration::from_secs(1));
    core.admit(user, "again", 1).await.unwrap();
}

async fn the_ledgers_denials_pass_through(kind: Kind) {
    let mut config = roomy_config();
    config.plans.get_mut("free").unwrap().windows[0].limit = 2;
    let core = Core::start(kind, config, false).await;
    let user = UserKey::telegram(1);
    core.admit(user, "a", 2).await.unwrap();
    assert!(matches!(
        denial(core.admit(user, "b", 1).await),
        Denial::Quota { fits: 0, .. }
    ));
    core.ledger
        .set_banned(user, true, "spam", Actor::Api)
        .await
        .unwrap();
    assert_eq!(denial(core.admit(user, "c", 1).await), Denial::Banned);
}

fn check(user: UserKey, id: &str, n: u8, inputs: usize) -> Precheck {
    Precheck {
        id: RequestId::new(id).unwrap(),
        user,
        options: RenderOptions {
            n,
            ..RenderOptions::default()
        },
        inputs,
    }
}

/// The backend limit the pre-checks below pass (more than any plan here).
const BACKEND_MAX: usize = 16;

async fn the_precheck_takes_the_burst_cell_once_and_admit_honours_it(kind: Kind) {
    let mut config = roomy_config();
    config.plans.get_mut("free").unwrap().burst = Some(BurstConfig {
        every: Duration::from_secs(3600),
        burst: 1,
    });
    let core = Core::start(kind, config, false).await;
    let user = UserKey::telegram(1);
    let pass: Pass = core
        .keeper
        .precheck(&check(user, "first", 1, 0), BACKEND_MAX)
        .await
        .unwrap();
    assert_eq!(pass.id.as_str(), "first");
    // The pre-check of the same request again (the gateway's own, at
    // submit) and its admission do not take a second cell.
    core.keeper
        .precheck(&check(user, "first", 1, 0), BACKEND_MAX)
        .await
        .unwrap();
    core.admit(user, "first", 1).await.unwrap();
    // The one cell is gone: the next request is limited at either step.
    assert!(matches!(
        denial(
            core.keeper
                .precheck(&check(user, "second", 1, 0), BACKEND_MAX)
                .await
        ),
        Denial::Burst { .. }
    ));
    assert!(matches!(
        denial(core.admit(user, "third", 1).await),
        Denial::Burst { .. }
    ));
    // A redelivery of the admitted request is a duplicate, not a refusal.
    assert!(matches!(
        core.keeper
            .precheck(&check(user, "first", 1, 0), BACKEND_MAX)
            .await,
        Err(AdmitError::Replayed(_))
    ));
    assert_eq!(used(&core.status(user).await), 1);
}

async fn the_precheck_refuses_from_a_read_and_holds_nothing(kind: Kind) {
    let mut config = roomy_config();
    let plan = config.plans.get_mut("free").unwrap();
    plan.windows[0].limit = 2;
    plan.max_inputs = 3;
    let core = Core::start(kind, config.clone(), false).await;
    let user = UserKey::telegram(1);
    let pre = |c: Precheck, max: usize| {
        let keeper = &core.keeper;
        async move { keeper.precheck(&c, max).await }
    };
    // Inputs: the plan's limit, then the backend's when it is lower.
    assert_eq!(
        denial(pre(check(user, "a", 1, 4), BACKEND_MAX).await),
        Denial::PlanForbids {
            what: "inputs".into(),
            max: Some(3)
        }
    );
    assert_eq!(
        denial(pre(check(user, "a", 1, 3), 2).await),
        Denial::PlanForbids {
            what: "inputs".into(),
            max: Some(2)
        }
    );
    pre(check(user, "a", 1, 3), BACKEND_MAX).await.unwrap();
    // Quota: two credits fit, three do not; the pre-check reserves nothing.
    pre(check(user, "b", 2, 0), BACKEND_MAX).await.unwrap();
    assert!(matches!(
        denial(pre(check(user, "c", 3, 0), BACKEND_MAX).await),
        Denial::Quota { fits: 2, .. }
    ));
    assert_eq!(used(&core.status(user).await), 0, "nothing held");
    core.admit(user, "d", 2).await.unwrap();
    assert!(matches!(
        denial(pre(check(user, "e", 1, 0), BACKEND_MAX).await),
        Denial::Quota { fits: 0, .. }
    ));
    core.ledger
        .set_banned(user, true, "spam", Actor::Api)
        .await
        .unwrap();
    assert_eq!(
        denial(pre(check(user, "f", 1, 0), BACKEND_MAX).await),
        Denial::Banned
    );
    // Access mode `code`: a new user has nothing until a code is redeemed.
    let mut coded = config;
    coded.access.mode = AccessMode::Code;
    core.config.store(std::sync::Arc::new(coded));
    assert_eq!(
        denial(pre(check(UserKey::telegram(2), "g", 1, 0), BACKEND_MAX).await),
        Denial::NeedsCode
    );
}
