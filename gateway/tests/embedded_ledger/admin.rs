//! Spend cap, admin operations, audit trail and access codes.

use super::*;

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
        Admission::Denied(Refusal {
            denial: Denial::Budget {
                resets_at: next_day
            },
            notify_admins: true
        })
    );
    let second = env.ledger.reserve(&req(U, "c", 1, 1, 600)).await.unwrap();
    assert_eq!(
        second,
        Admission::Denied(Refusal {
            denial: Denial::Budget {
                resets_at: next_day
            },
            notify_admins: false
        })
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
