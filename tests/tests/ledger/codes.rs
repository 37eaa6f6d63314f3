//! Access codes: mint, list, revoke; invalid text and typos; expiry; uses;
//! one redemption per user; plans for N days that extend the same plan.

use easel_gateway::ledger::LedgerError;
use easel_gateway::ledger::code::CodeText;
use easel_shared::admin::{Actor, CodeSpec, Redemption};
use easel_shared::config::AccessMode;
use easel_shared::{Denial, UnixMillis};
use easel_tests::ledger::config::{HOUR, PRO, in_mode, one_window};
use easel_tests::ledger::{Harness, Suite, T0, req, user};

const DAY: i64 = UnixMillis::DAY;

/// A spec granting `credits` and no plan, `max_uses` users, no expiry.
pub(crate) fn spec(credits: u64, max_uses: u32) -> CodeSpec {
    CodeSpec {
        credits,
        plan: None,
        plan_days: 0,
        max_uses,
        redeem_by: None,
        note: "test".to_owned(),
    }
}

/// Mints one code and returns its text.
pub(crate) async fn mint_one(h: &Harness, spec: &CodeSpec) -> String {
    let codes = h
        .ledger
        .mint_codes(spec, 1, Actor::Api)
        .await
        .expect("mint");
    assert_eq!(codes.len(), 1);
    codes[0].code.clone()
}

fn code_mode() -> easel_shared::config::Config {
    in_mode(one_window(5, 3 * HOUR), AccessMode::Code)
}

pub(crate) async fn minted_codes_are_listed_and_revocable(s: Suite) {
    let h = s.open(code_mode()).await;
    let admin = Actor::Admin(user(99));
    let minted = h
        .ledger
        .mint_codes(&spec(10, 1), 3, admin)
        .await
        .expect("mint");
    assert_eq!(minted.len(), 3);
    for m in &minted {
        let text = CodeText::parse(&m.code).expect("minted codes parse");
        assert_eq!(m.id, text.id());
        assert_eq!(m.code, text.display());
    }
    h.advance_ms(1000);
    let later = mint_one(&h, &spec(1, 2)).await;

    let list = h.ledger.list_codes().await.expect("list");
    assert_eq!(list.len(), 4);
    let later_id = CodeText::parse(&later).expect("parse").id();
    assert_eq!(list[0].id, later_id, "newest first");
    assert_eq!(list[0].created_at, UnixMillis(T0.0 + 1000));
    assert_eq!(list[0].created_by, Actor::Api);
    for info in &list[1..] {
        assert!(minted.iter().any(|m| m.id == info.id));
        assert_eq!(info.spec, spec(10, 1));
        assert_eq!((info.uses, info.revoked), (0, false));
        assert_eq!(info.created_at, T0);
        assert_eq!(info.created_by, admin);
    }
    // The plaintext is nowhere in the listing.
    assert!(!format!("{list:?}").contains(&minted[0].code.replace('-', "")[..26]));

    assert!(
        h.ledger
            .revoke_code(&minted[0].id, admin)
            .await
            .expect("revoke")
    );
    assert!(
        !h.ledger
            .revoke_code("nosuchcode", admin)
            .await
            .expect("revoke")
    );
    let list = h.ledger.list_codes().await.expect("list");
    let revoked = list.iter().find(|c| c.id == minted[0].id).expect("listed");
    assert!(revoked.revoked);
    assert_eq!(
        h.ledger
            .redeem(user(1), &minted[0].code)
            .await
            .expect("redeem"),
        Redemption::Revoked
    );
    assert_eq!(h.credits(user(1)).await, 0);
    let audit = h.ledger.audit(10).await.expect("audit");
    let actions: Vec<_> = audit
        .iter()
        .map(|e| (e.action.as_str(), e.actor, e.user))
        .collect();
    assert_eq!(
        actions,
        vec![
            ("revoke", admin, None),
            ("mint", Actor::Api, None),
            ("mint", admin, None),
        ],
        "one mint entry per batch"
    );
    assert!(audit[0].detail.contains(&minted[0].id), "{:?}", audit[0]);
    // The others still work.
    assert!(matches!(
        h.ledger
            .redeem(user(1), &minted[1].code)
            .await
            .expect("redeem"),
        Redemption::Redeemed { credits: 10, .. }
    ));
}

pub(crate) async fn minting_validates_the_spec(s: Suite) {
    let h = s.open(code_mode()).await;
    let mut bad_plan = spec(0, 1);
    bad_plan.plan = Some("gold".to_owned());
    assert!(matches!(
        h.ledger.mint_codes(&bad_plan, 1, Actor::Api).await,
        Err(LedgerError::NotFound(_))
    ));
    assert!(matches!(
        h.ledger.mint_codes(&spec(5, 0), 1, Actor::Api).await,
        Err(LedgerError::Refused(_))
    ));
    assert!(h.ledger.list_codes().await.expect("list").is_empty());
}

pub(crate) async fn invalid_text_typos_and_unknown_codes_are_invalid(s: Suite) {
    let h = s.open(code_mode()).await;
    let code = mint_one(&h, &spec(10, 5)).await;
    let u = user(1);
    for junk in ["", "hello", "1234", &code[..code.len() - 2]] {
        assert_eq!(
            h.ledger.redeem(u, junk).await.expect("redeem"),
            Redemption::Invalid,
            "{junk:?}"
        );
    }
    // One symbol changed: caught by the check symbols or unknown, never redeemed.
    let first = code.chars().next().expect("non-empty");
    let swap = if first == '7' { '8' } else { '7' };
    let typo = format!("{swap}{}", &code[1..]);
    assert_eq!(
        h.ledger.redeem(u, &typo).await.expect("redeem"),
        Redemption::Invalid
    );
    // Well-formed but never minted.
    let stranger = CodeText::generate().display();
    assert_eq!(
        h.ledger.redeem(u, &stranger).await.expect("redeem"),
        Redemption::Invalid
    );
    assert_eq!(h.credits(u).await, 0);
    // Sloppy typing of the real code works.
    let sloppy = code.to_lowercase().replace('-', " ");
    assert!(matches!(
        h.ledger.redeem(u, &sloppy).await.expect("redeem"),
        Redemption::Redeemed { credits: 10, .. }
    ));
}

pub(crate) async fn expired_and_used_up_codes_are_refused(s: Suite) {
    let h = s.open(code_mode()).await;
    let mut dated = spec(1, 10);
    dated.redeem_by = Some(UnixMillis(T0.0 + 1000));
    let dated = mint_one(&h, &dated).await;
    h.advance_ms(1000);
    assert!(
        matches!(
            h.ledger.redeem(user(1), &dated).await.expect("redeem"),
            Redemption::Redeemed { .. }
        ),
        "redeem_by itself is still in time"
    );
    h.advance_ms(1);
    assert_eq!(
        h.ledger.redeem(user(2), &dated).await.expect("redeem"),
        Redemption::Expired
    );

    let two = mint_one(&h, &spec(3, 2)).await;
    for n in [1, 2] {
        assert!(matches!(
            h.ledger.redeem(user(n), &two).await.expect("redeem"),
            Redemption::Redeemed { credits: 3, .. }
        ));
    }
    assert_eq!(
        h.ledger.redeem(user(3), &two).await.expect("redeem"),
        Redemption::UsedUp
    );
    assert_eq!(h.credits(user(3)).await, 0);
    let id = CodeText::parse(&two).expect("parse").id();
    let list = h.ledger.list_codes().await.expect("list");
    assert_eq!(list.iter().find(|c| c.id == id).expect("listed").uses, 2);
}

pub(crate) async fn a_user_redeems_a_code_once(s: Suite) {
    let h = s.open(code_mode()).await;
    let code = mint_one(&h, &spec(7, 5)).await;
    let u = user(1);
    assert_eq!(
        h.ledger.redeem(u, &code).await.expect("redeem"),
        Redemption::Redeemed {
            credits: 7,
            plan: None,
            plan_expires_at: None,
        }
    );
    assert_eq!(
        h.ledger.redeem(u, &code).await.expect("redeem"),
        Redemption::AlreadyRedeemed
    );
    assert_eq!(h.credits(u).await, 7);
    // Credits alone give access in code mode.
    let r = h.admit(&req(u, "a", 2)).await;
    assert_eq!(r.from_credits, 2);
    assert_eq!(h.deny(&req(user(2), "a", 1)).await, Denial::NeedsCode);

    let audit = h.ledger.audit(10).await.expect("audit");
    let redeem = audit
        .iter()
        .find(|e| e.action == "redeem")
        .expect("redeem audited");
    assert_eq!((redeem.actor, redeem.user), (Actor::System, Some(u)));
}

pub(crate) async fn plan_codes_grant_days_and_extend_the_same_plan(s: Suite) {
    let h = s.open(code_mode()).await;
    let mut pro = spec(0, 10);
    pro.plan = Some(PRO.to_owned());
    pro.plan_days = 30;
    let first = mint_one(&h, &pro).await;
    let second = mint_one(&h, &pro).await;
    let u = user(1);
    assert_eq!(
        h.ledger.redeem(u, &first).await.expect("redeem"),
        Redemption::Redeemed {
            credits: 0,
            plan: Some(PRO.to_owned()),
            plan_expires_at: Some(UnixMillis(T0.0 + 30 * DAY)),
        }
    );
    h.admit(&req(u, "a", 1)).await;
    h.advance_ms(DAY);
    assert_eq!(
        h.ledger.redeem(u, &second).await.expect("redeem"),
        Redemption::Redeemed {
            credits: 0,
            plan: Some(PRO.to_owned()),
            plan_expires_at: Some(UnixMillis(T0.0 + 60 * DAY)),
        },
        "the same plan is extended, not restarted"
    );
    let st = h.status(u).await;
    assert_eq!(st.plan.as_deref(), Some(PRO));
    assert_eq!(st.plan_expires_at, Some(UnixMillis(T0.0 + 60 * DAY)));
}

/// The rule of docs/ledger.md "Codes": a plan code never cuts a plan of the
/// same or higher priority short; it is refused without using the code, and
/// works once that plan ended. A higher-priority plan replaces from now.
pub(crate) async fn plan_codes_never_cut_a_better_plan_short(s: Suite) {
    let mut c = code_mode();
    c.plans.get_mut(PRO).expect("pro").priority = 1;
    let h = s.open(c).await;
    let u = user(1);
    let mut pro = spec(0, 10);
    pro.plan = Some(PRO.to_owned());
    pro.plan_days = 30;
    assert!(matches!(
        h.ledger
            .redeem(u, &mint_one(&h, &pro).await)
            .await
            .expect("redeem"),
        Redemption::Redeemed { .. }
    ));

    // A lower plan (with credits) while pro runs: refused, nothing applied, use kept.
    let mut free = spec(2, 1);
    free.plan = Some("free".to_owned());
    free.plan_days = 5;
    let lower = mint_one(&h, &free).await;
    let held = Redemption::PlanHeld {
        plan: PRO.to_owned(),
        until: Some(UnixMillis(T0.0 + 30 * DAY)),
    };
    assert_eq!(h.ledger.redeem(u, &lower).await.expect("redeem"), held);
    assert_eq!(h.ledger.redeem(u, &lower).await.expect("again"), held);
    assert_eq!(h.credits(u).await, 0);
    assert_eq!(h.status(u).await.plan.as_deref(), Some(PRO));
    let listed = h.ledger.list_codes().await.expect("list");
    let id = CodeText::parse(&lower).expect("parse").id();
    assert_eq!(listed.iter().find(|c| c.id == id).map(|c| c.uses), Some(0));

    // Once pro ended, the same code works and starts from now.
    h.advance_ms(30 * DAY);
    assert_eq!(
        h.ledger.redeem(u, &lower).await.expect("redeem"),
        Redemption::Redeemed {
            credits: 2,
            plan: Some("free".to_owned()),
            plan_expires_at: Some(UnixMillis(T0.0 + 35 * DAY)),
        }
    );
    // A higher-priority plan replaces the lower one from now.
    let upgrade = mint_one(&h, &pro).await;
    assert_eq!(
        h.ledger.redeem(u, &upgrade).await.expect("redeem"),
        Redemption::Redeemed {
            credits: 0,
            plan: Some(PRO.to_owned()),
            plan_expires_at: Some(UnixMillis(T0.0 + 60 * DAY)),
        }
    );
}

/// A code with many uses: every redemption is one more use and one marker,
/// and each user still redeems once.
pub(crate) async fn a_many_use_code_counts_each_user_once(s: Suite) {
    let h = s.open(code_mode()).await;
    let code = mint_one(&h, &spec(1, 500)).await;
    for i in 0..300 {
        assert!(matches!(
            h.ledger.redeem(user(i), &code).await.expect("redeem"),
            Redemption::Redeemed { credits: 1, .. }
        ));
    }
    assert_eq!(
        h.ledger.redeem(user(7), &code).await.expect("again"),
        Redemption::AlreadyRedeemed
    );
    let listed = h.ledger.list_codes().await.expect("list");
    assert_eq!(listed[0].uses, 300);
}
