//! The effective plan: access modes, assigned plans and their expiry, plans
//! that vanish from the config, credits-only users, bans.

use easel_shared::admin::Actor;
use easel_shared::config::AccessMode;
use easel_shared::{Denial, UnixMillis, UserKey};
use easel_tests::ledger::config::{HOUR, PRO, in_mode, one_window};
use easel_tests::ledger::{Suite, T0, req, user};

const DAY: i64 = UnixMillis::DAY;

pub(crate) async fn open_mode_gives_everyone_the_default_plan(s: Suite) {
    let h = s.open(one_window(5, 3 * HOUR)).await;
    let u = user(1);
    let st = h.status(u).await;
    assert_eq!(st.plan.as_deref(), Some("free"));
    assert_eq!(st.plan_expires_at, None);
    assert_eq!(st.windows.len(), 1);
    assert_eq!(st.windows[0].limit, 5);
    h.admit(&req(u, "a", 1)).await;
}

pub(crate) async fn code_mode_needs_a_code(s: Suite) {
    let h = s
        .open(in_mode(one_window(5, 3 * HOUR), AccessMode::Code))
        .await;
    let u = user(1);
    assert_eq!(h.deny(&req(u, "a", 1)).await, Denial::NeedsCode);
    let st = h.status(u).await;
    assert_eq!(st.plan, None);
    assert!(st.windows.is_empty(), "{st:?}");
    assert_eq!(st.in_flight, 0);
}

pub(crate) async fn allowlist_mode_admits_only_listed_users(s: Suite) {
    let mut c = in_mode(one_window(5, 3 * HOUR), AccessMode::Allowlist);
    c.access.allowlist = vec![user(1)];
    let h = s.open(c).await;
    h.admit(&req(user(1), "a", 1)).await;
    assert_eq!(h.status(user(1)).await.plan.as_deref(), Some("free"));
    assert_eq!(h.deny(&req(user(2), "a", 1)).await, Denial::NotAllowed);
    assert_eq!(h.status(user(2)).await.plan, None);
    // The config is read on every call: listing the user takes effect at once.
    h.reconfigure(|c| c.access.allowlist.push(user(2)));
    h.admit(&req(user(2), "b", 1)).await;
}

pub(crate) async fn assigned_plan_applies_until_it_expires(s: Suite) {
    let h = s
        .open(in_mode(one_window(5, 3 * HOUR), AccessMode::Code))
        .await;
    let u = user(1);
    let until = h
        .ledger
        .set_plan(u, Some(PRO), 1, "trial", Actor::Api)
        .await
        .expect("set_plan");
    assert_eq!(until, Some(UnixMillis(T0.0 + DAY)));
    let st = h.status(u).await;
    assert_eq!(st.plan.as_deref(), Some(PRO));
    assert_eq!(st.plan_expires_at, Some(UnixMillis(T0.0 + DAY)));
    assert_eq!(st.windows[0].limit, 100);
    h.admit(&req(u, "a", 1)).await;

    h.advance_to(UnixMillis(T0.0 + DAY - 1));
    assert_eq!(h.status(u).await.plan.as_deref(), Some(PRO));
    h.advance_ms(1);
    let st = h.status(u).await;
    assert_eq!(st.plan, None, "the plan lapses at its expiry: {st:?}");
    assert_eq!(st.plan_expires_at, None);
    assert_eq!(h.deny(&req(u, "b", 1)).await, Denial::NeedsCode);
}

pub(crate) async fn expired_plan_falls_back_to_the_default_in_open_mode(s: Suite) {
    let h = s.open(one_window(5, 3 * HOUR)).await;
    let u = user(1);
    h.ledger
        .set_plan(u, Some(PRO), 1, "trial", Actor::Api)
        .await
        .expect("set_plan");
    h.advance_ms(DAY);
    let st = h.status(u).await;
    assert_eq!(st.plan.as_deref(), Some("free"));
    assert_eq!(st.plan_expires_at, None);
    assert_eq!(st.windows[0].limit, 5);
}

pub(crate) async fn plan_removed_from_config_falls_back(s: Suite) {
    let h = s.open(one_window(5, 3 * HOUR)).await;
    let u = user(1);
    h.ledger
        .set_plan(u, Some(PRO), 0, "forever", Actor::Api)
        .await
        .expect("set_plan");
    assert_eq!(h.status(u).await.plan.as_deref(), Some(PRO));
    h.reconfigure(|c| {
        c.plans.remove(PRO);
    });
    let st = h.status(u).await;
    assert_eq!(st.plan.as_deref(), Some("free"), "{st:?}");
    assert_eq!(st.windows[0].limit, 5);
}

pub(crate) async fn credits_alone_give_access_in_code_mode(s: Suite) {
    let h = s
        .open(in_mode(one_window(5, 3 * HOUR), AccessMode::Code))
        .await;
    let u = user(1);
    h.ledger
        .adjust_credits(u, 3, "gift", Actor::Api)
        .await
        .expect("grant");
    let r = h.admit(&req(u, "a", 2)).await;
    assert_eq!((r.from_windows, r.from_credits), (0, 2));
    let st = h.status(u).await;
    assert_eq!(st.plan, None);
    assert!(st.windows.is_empty());
    assert_eq!(st.credits, 1);

    let (denial, _) = easel_tests::ledger::requests::deny(h.ledger.as_ref(), &req(u, "b", 2)).await;
    assert!(
        matches!(denial, Denial::Quota { fits: 1, .. }),
        "1 credit left, 2 asked: {denial:?}"
    );
    h.admit(&req(u, "c", 1)).await;
    assert_eq!(h.credits(u).await, 0);
    assert_eq!(h.deny(&req(u, "d", 1)).await, Denial::NeedsCode);
}

pub(crate) async fn banned_users_are_denied_and_status_still_works(s: Suite) {
    let h = s.open(one_window(5, 3 * HOUR)).await;
    let u = user(1);
    h.admit(&req(u, "running", 1)).await;
    h.ledger
        .set_banned(u, true, "spam", Actor::Api)
        .await
        .expect("ban");
    assert_eq!(h.deny(&req(u, "a", 1)).await, Denial::Banned);
    let st = h.status(u).await;
    assert!(st.banned);
    assert_eq!(st.in_flight, 1, "a ban leaves pending jobs alone");
    assert_eq!(st.windows[0].used, 1);
    // The running job still settles normally.
    h.deliver(u, "running", 1, 10).await;
    h.ledger
        .set_banned(u, false, "appeal", Actor::Api)
        .await
        .expect("unban");
    assert!(!h.status(u).await.banned);
    h.admit(&req(u, "b", 1)).await;
}

/// Guards the `cli:` platform (`easel try`): a terminal user's key, with its
/// name packed into the id, round-trips through each store's keys (the
/// usage log, the top list, the allowlist) like a chat user's, and two
/// names never share a quota.
pub(crate) async fn terminal_users_are_users_like_any_other(s: Suite) {
    let operator = UserKey::cli("operator").expect("a valid name");
    let other = UserKey::cli("operator2").expect("a valid name");
    let mut c = in_mode(one_window(1, 3 * HOUR), AccessMode::Allowlist);
    c.access.allowlist = vec![operator];
    let h = s.open(c).await;
    h.admit(&req(operator, "a", 1)).await;
    h.deliver(operator, "a", 1, 100).await;
    assert_eq!(h.status(operator).await.windows[0].used, 1);
    assert_eq!(h.deny(&req(other, "b", 1)).await, Denial::NotAllowed);
    assert_eq!(h.status(other).await.plan, None);
    let usage = h.ledger.usage(operator, 10).await.expect("usage");
    assert_eq!(usage.len(), 1);
    let top = h.ledger.top(1, 10).await.expect("top");
    assert_eq!(top.iter().map(|e| e.user).collect::<Vec<_>>(), [operator]);
}
