//! Admin operations: credits, plans and bans, each audited; status fields.

use easel_gateway::ledger::LedgerError;
use easel_shared::admin::Actor;
use easel_shared::{QuotaStatus, UnixMillis, WindowStatus};
use easel_tests::ledger::config::{HOUR, PRO, one_window};
use easel_tests::ledger::{Suite, T0, req, user};

const DAY: i64 = UnixMillis::DAY;

pub(crate) async fn adjust_credits_grants_deducts_and_refuses_overdraft(s: Suite) {
    let h = s.open(one_window(5, 3 * HOUR)).await;
    let u = user(1);
    let admin = Actor::Admin(user(99));
    assert_eq!(
        h.ledger
            .adjust_credits(u, 10, "bought", admin)
            .await
            .expect("grant"),
        10
    );
    h.advance_ms(1);
    assert_eq!(
        h.ledger
            .adjust_credits(u, -4, "oops", Actor::Api)
            .await
            .expect("deduct"),
        6
    );
    assert!(matches!(
        h.ledger.adjust_credits(u, -7, "too much", Actor::Api).await,
        Err(LedgerError::Refused(_))
    ));
    assert_eq!(h.credits(u).await, 6, "a refused deduction changes nothing");

    let audit = h.ledger.audit(10).await.expect("audit");
    assert_eq!(audit.len(), 2, "{audit:?}");
    assert_eq!(audit[0].action, "deduct");
    assert_eq!(audit[0].actor, Actor::Api);
    assert_eq!(audit[0].user, Some(u));
    assert_eq!(audit[0].reason, "oops");
    assert_eq!(audit[0].at, UnixMillis(T0.0 + 1));
    assert!(audit[0].detail.contains('4'), "{:?}", audit[0].detail);
    assert_eq!(audit[1].action, "grant");
    assert_eq!(audit[1].actor, admin);
    assert_eq!(audit[1].reason, "bought");
    assert_eq!(audit[1].at, T0);
    assert!(audit[1].detail.contains("10"), "{:?}", audit[1].detail);
    assert_eq!(h.ledger.audit(1).await.expect("audit").len(), 1);
}

pub(crate) async fn set_plan_assigns_extends_and_clears(s: Suite) {
    let h = s.open(one_window(5, 3 * HOUR)).await;
    let u = user(1);
    assert!(matches!(
        h.ledger.set_plan(u, Some("gold"), 1, "x", Actor::Api).await,
        Err(LedgerError::NotFound(_))
    ));
    let set = |plan: Option<&'static str>, days: u32| {
        let ledger = h.ledger.clone();
        async move {
            ledger
                .set_plan(u, plan, days, "because", Actor::Api)
                .await
                .expect("set_plan")
        }
    };
    assert_eq!(set(Some(PRO), 10).await, Some(UnixMillis(T0.0 + 10 * DAY)));
    h.advance_ms(DAY);
    assert_eq!(
        set(Some(PRO), 10).await,
        Some(UnixMillis(T0.0 + 20 * DAY)),
        "the same unexpired plan is extended"
    );
    assert_eq!(
        set(Some("free"), 5).await,
        Some(UnixMillis(T0.0 + DAY + 5 * DAY)),
        "another plan starts now"
    );
    assert_eq!(
        set(Some(PRO), 7).await,
        Some(UnixMillis(T0.0 + DAY + 7 * DAY))
    );
    assert_eq!(
        set(Some(PRO), 0).await,
        None,
        "0 days: the same plan for good"
    );
    assert_eq!(h.status(u).await.plan_expires_at, None);
    assert_eq!(
        set(Some(PRO), 3).await,
        None,
        "a timed grant (a redeemed code) never shortens a plan held for good"
    );
    assert_eq!(set(None, 0).await, None);
    let st = h.status(u).await;
    assert_eq!(st.plan.as_deref(), Some("free"));
    assert_eq!(st.plan_expires_at, None);

    let audit = h.ledger.audit(100).await.expect("audit");
    assert_eq!(audit.len(), 7, "{audit:?}");
    assert!(
        audit
            .iter()
            .all(|e| e.action == "plan" && e.user == Some(u))
    );
}

pub(crate) async fn bans_are_audited(s: Suite) {
    let h = s.open(one_window(5, 3 * HOUR)).await;
    let u = user(1);
    h.ledger
        .set_banned(u, true, "spam", Actor::Api)
        .await
        .expect("ban");
    h.ledger
        .set_banned(u, false, "appeal", Actor::Api)
        .await
        .expect("unban");
    let audit = h.ledger.audit(10).await.expect("audit");
    let got: Vec<_> = audit
        .iter()
        .map(|e| (e.action.as_str(), e.reason.as_str(), e.user))
        .collect();
    assert_eq!(
        got,
        vec![("unban", "appeal", Some(u)), ("ban", "spam", Some(u))]
    );
}

pub(crate) async fn status_of_a_fresh_user(s: Suite) {
    let h = s.open(one_window(5, 3 * HOUR)).await;
    h.advance_ms(1234);
    assert_eq!(
        h.status(user(1)).await,
        QuotaStatus {
            plan: Some("free".to_owned()),
            plan_expires_at: None,
            windows: vec![WindowStatus {
                limit: 5,
                period_secs: 3 * 3600,
                used: 0,
                next_free_at: None,
            }],
            credits: 0,
            in_flight: 0,
            banned: false,
            now: UnixMillis(T0.0 + 1234),
        }
    );
}

pub(crate) async fn status_counts_in_flight_and_credits(s: Suite) {
    let h = s.open(one_window(5, 3 * HOUR)).await;
    let u = user(1);
    h.ledger
        .adjust_credits(u, 4, "gift", Actor::Api)
        .await
        .expect("grant");
    h.ledger
        .set_plan(u, Some(PRO), 2, "trial", Actor::Api)
        .await
        .expect("set_plan");
    h.admit(&req(u, "a", 2)).await;
    h.admit(&req(u, "b", 1)).await;
    h.deliver(u, "b", 1, 0).await;
    let st = h.status(u).await;
    assert_eq!(st.plan.as_deref(), Some(PRO));
    assert_eq!(st.plan_expires_at, Some(UnixMillis(T0.0 + 2 * DAY)));
    assert_eq!(st.credits, 4);
    assert_eq!(st.in_flight, 1);
    assert_eq!(st.windows[0].used, 3);
    assert_eq!(
        st.windows[0].next_free_at,
        Some(UnixMillis(T0.0 + 3 * 3_600_000))
    );
    assert_eq!(st.available(), 97 + 4);
}
