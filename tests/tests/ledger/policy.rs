//! The plan's policy (max n, qualities, editing) decided inside reserve, in
//! the same atomic step as the windows: a plan change racing reserves never
//! admits what the plan in effect forbids.

use std::sync::Arc;

use easel_gateway::ledger::{Admission, Ledger, ReserveRequest};
use easel_shared::admin::Actor;
use easel_shared::config::AccessMode;
use easel_shared::render::Quality;
use easel_shared::{Denial, Refusal};
use easel_tests::ledger::config::{HOUR, PRO, config, in_mode, plan};
use easel_tests::ledger::{Suite, req, user};
use futures::future::join_all;

/// `free` (the default): at most 2 images, low or medium, no edits; `pro`: 10, anything.
fn strict() -> easel_shared::config::Config {
    let mut free = plan(&[(100, 3 * HOUR)]);
    free.max_n = 2;
    free.qualities = vec![Quality::Low, Quality::Medium];
    free.allow_edit = false;
    config(free)
}

fn shaped(
    u: easel_shared::UserKey,
    id: &str,
    n: u32,
    quality: Quality,
    edit: bool,
) -> ReserveRequest {
    let mut r = req(u, id, n);
    r.quality = quality;
    r.edit = edit;
    r
}

fn forbids(what: &str, max: Option<u32>) -> Denial {
    Denial::PlanForbids {
        what: what.to_owned(),
        max,
    }
}

pub(crate) async fn reserve_enforces_the_plans_policy(s: Suite) {
    let h = s.open(strict()).await;
    let u = user(1);
    let cases = [
        (
            "n",
            shaped(u, "n3", 3, Quality::Low, false),
            forbids("n", Some(2)),
        ),
        (
            "n0",
            shaped(u, "n0", 0, Quality::Low, false),
            forbids("n", Some(2)),
        ),
        (
            "q",
            shaped(u, "hi", 1, Quality::High, false),
            forbids("quality", None),
        ),
        (
            "auto",
            shaped(u, "au", 1, Quality::Auto, false),
            forbids("quality", None),
        ),
        (
            "edit",
            shaped(u, "ed", 1, Quality::Low, true),
            forbids("edit", None),
        ),
    ];
    for (name, r, expected) in cases {
        assert_eq!(h.deny(&r).await, expected, "{name}");
    }
    assert_eq!(h.used(u).await, vec![0], "denials cost nothing");
    h.admit(&shaped(u, "ok", 2, Quality::Medium, false)).await;
    // A better plan lifts every rule at once.
    h.ledger
        .set_plan(u, Some(PRO), 0, "upgrade", Actor::Api)
        .await
        .expect("set plan");
    h.admit(&shaped(u, "big", 4, Quality::High, true)).await;
}

pub(crate) async fn credits_alone_are_held_to_the_default_plans_rules(s: Suite) {
    let h = s.open(in_mode(strict(), AccessMode::Code)).await;
    let u = user(1);
    h.ledger
        .adjust_credits(u, 10, "gift", Actor::Api)
        .await
        .expect("grant");
    assert_eq!(
        h.deny(&shaped(u, "x", 3, Quality::Low, false)).await,
        forbids("n", Some(2))
    );
    h.admit(&shaped(u, "y", 2, Quality::Low, false)).await;
}

/// Regression guard for the policy checked on an earlier read: admission saw
/// `pro`, an admin downgraded the user, then the reserve must refuse.
pub(crate) async fn a_downgrade_between_the_check_and_the_reserve_is_honoured(s: Suite) {
    let h = s.open(strict()).await;
    let u = user(1);
    let admin = h.instance().await;
    admin
        .set_plan(u, Some(PRO), 0, "trial", Actor::Api)
        .await
        .expect("set plan");
    assert_eq!(h.status(u).await.plan.as_deref(), Some(PRO));
    admin
        .set_plan(u, None, 0, "trial over", Actor::Api)
        .await
        .expect("clear plan");
    assert_eq!(
        h.deny(&shaped(u, "late", 4, Quality::High, false)).await,
        forbids("n", Some(2))
    );
}

pub(crate) async fn a_plan_change_racing_reserves_never_admits_what_the_plan_forbids(s: Suite) {
    let h = s.open(strict()).await;
    let u = user(1);
    let instances = h.instances(8).await;
    let admin = h.instance().await;
    admin
        .set_plan(u, Some(PRO), 0, "trial", Actor::Api)
        .await
        .expect("set plan");
    // 4 high-quality images: fine on pro, forbidden on free. 20 of them fit
    // pro's window (100), so the only possible denial is the plan's.
    let racing = (0..20).map(|i| {
        let ledger: Arc<dyn Ledger> = instances[i % instances.len()].clone();
        let r = shaped(u, &format!("r-{i}"), 4, Quality::High, false);
        tokio::spawn(async move { ledger.reserve(&r).await })
    });
    let downgrade = {
        let admin = admin.clone();
        tokio::spawn(async move { admin.set_plan(u, None, 0, "over", Actor::Api).await })
    };
    let results = join_all(racing).await;
    downgrade.await.expect("task").expect("clear plan");
    let mut admitted = 0;
    for r in results {
        match r.expect("task").expect("reserve") {
            Admission::Admitted(_) => admitted += 1,
            Admission::Denied(Refusal { denial, .. }) => assert_eq!(denial, forbids("n", Some(2))),
        }
    }
    // Each admitted one was decided under pro: it is in the log with its 4 credits.
    assert_eq!(h.used(u).await, vec![admitted * 4]);
    // Once the downgrade is in, no instance admits what free forbids.
    let after = (0..40).map(|i| {
        let ledger: Arc<dyn Ledger> = instances[i % instances.len()].clone();
        let r = shaped(u, &format!("a-{i}"), 4, Quality::High, false);
        tokio::spawn(async move { ledger.reserve(&r).await })
    });
    for r in join_all(after).await {
        match r.expect("task").expect("reserve") {
            Admission::Denied(Refusal { denial, .. }) => assert_eq!(denial, forbids("n", Some(2))),
            other => panic!("admitted after the downgrade: {other:?}"),
        }
    }
}
