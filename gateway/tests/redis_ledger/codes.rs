//! Access codes: mint, redeem, revoke, expiry and redemption races.

use std::sync::Arc;
use std::time::Duration;

use easel_gateway::ledger::{Ledger, LedgerError};
use easel_shared::admin::{Actor, CodeSpec, Redemption};
use easel_shared::config::AccessMode;
use easel_shared::{UnixMillis, UserKey};

use super::fixture::*;

fn spec(credits: u64, plan: Option<&str>, days: u32, max_uses: u32) -> CodeSpec {
    CodeSpec {
        credits,
        plan: plan.map(str::to_owned),
        plan_days: days,
        max_uses,
        redeem_by: None,
        note: "batch 1".into(),
    }
}

#[tokio::test]
async fn mint_redeem_revoke_and_list() {
    let mut c = config();
    c.access.mode = AccessMode::Code;
    let f = Fixture::new("codes", c);
    let l = f.ledger().await;
    let admin = Actor::Admin(UserKey::telegram(900));
    assert!(matches!(
        l.mint_codes(&spec(1, Some("gold"), 1, 1), 1, admin).await,
        Err(LedgerError::NotFound(_))
    ));
    assert!(matches!(
        l.mint_codes(&spec(1, None, 0, 0), 1, admin).await,
        Err(LedgerError::Refused(_))
    ));
    let minted = l
        .mint_codes(&spec(10, Some("pro"), 3, 5), 2, admin)
        .await
        .unwrap();
    assert_eq!(minted.len(), 2);

    let u = UserKey::telegram(20);
    let got = l.redeem(u, &minted[0].code.to_lowercase()).await.unwrap();
    let until = UnixMillis(START.0 + 3 * UnixMillis::DAY);
    assert_eq!(
        got,
        Redemption::Redeemed {
            credits: 10,
            plan: Some("pro".into()),
            plan_expires_at: Some(until)
        }
    );
    let s = l.status(u).await.unwrap();
    assert_eq!(
        (s.plan.as_deref(), s.plan_expires_at, s.credits),
        (Some("pro"), Some(until), 10)
    );
    assert_eq!(
        l.redeem(u, &minted[0].code).await.unwrap(),
        Redemption::AlreadyRedeemed
    );

    // The second code of the same plan extends it.
    let got = l.redeem(u, &minted[1].code).await.unwrap();
    let later = UnixMillis(until.0 + 3 * UnixMillis::DAY);
    assert!(matches!(got, Redemption::Redeemed { plan_expires_at: Some(t), .. } if t == later));

    assert_eq!(
        l.redeem(u, "not a code").await.unwrap(),
        Redemption::Invalid
    );
    let unknown = easel_gateway::ledger::code::CodeText::generate().display();
    assert_eq!(l.redeem(u, &unknown).await.unwrap(), Redemption::Invalid);

    assert!(l.revoke_code(&minted[0].id, admin).await.unwrap());
    assert!(!l.revoke_code("0000000000", admin).await.unwrap());
    let v = UserKey::telegram(21);
    assert_eq!(
        l.redeem(v, &minted[0].code).await.unwrap(),
        Redemption::Revoked
    );

    let listed = l.list_codes().await.unwrap();
    assert_eq!(listed.len(), 2);
    let first = listed.iter().find(|c| c.id == minted[0].id).unwrap();
    assert_eq!(
        (first.uses, first.revoked, first.created_by),
        (1, true, admin)
    );
    assert_eq!(first.spec, spec(10, Some("pro"), 3, 5));
    assert_eq!(first.created_at, START);

    let actions: Vec<String> = l
        .audit(10)
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.action)
        .collect();
    assert_eq!(actions, ["revoke", "redeem", "redeem", "mint"]);
    f.cleanup().await;
}

#[tokio::test]
async fn credit_only_code_gives_access_and_expired_codes_are_refused() {
    let mut c = config();
    c.access.mode = AccessMode::Code;
    let f = Fixture::new("code-credits", c);
    let l = f.ledger().await;
    let mut s = spec(3, None, 0, 2);
    s.redeem_by = Some(UnixMillis(START.0 + 1_000));
    let code = l.mint_codes(&s, 1, Actor::Api).await.unwrap().remove(0);
    let u = UserKey::discord(22);
    let got = l.redeem(u, &code.code).await.unwrap();
    assert_eq!(
        got,
        Redemption::Redeemed {
            credits: 3,
            plan: None,
            plan_expires_at: None
        }
    );
    let r = admit(&l, &req(u, "a", 3)).await;
    assert_eq!((r.from_windows, r.from_credits), (0, 3));
    f.clock.advance(Duration::from_millis(1_001));
    let v = UserKey::discord(23);
    assert_eq!(l.redeem(v, &code.code).await.unwrap(), Redemption::Expired);
    f.cleanup().await;
}

#[tokio::test]
async fn twenty_users_race_for_a_one_use_code() {
    let f = Fixture::new("code-race", config());
    let code = f
        .ledger()
        .await
        .mint_codes(&spec(5, None, 0, 1), 1, Actor::Api)
        .await
        .unwrap()
        .remove(0);
    let mut tasks = Vec::new();
    for i in 0..20 {
        let l = f.ledger().await;
        let text = code.code.clone();
        tasks.push(tokio::spawn(async move {
            l.redeem(UserKey::telegram(100 + i), &text).await.unwrap()
        }));
    }
    let mut redeemed = 0;
    let mut used_up = 0;
    for t in tasks {
        match t.await.unwrap() {
            Redemption::Redeemed { .. } => redeemed += 1,
            Redemption::UsedUp => used_up += 1,
            other => panic!("{other:?}"),
        }
    }
    assert_eq!((redeemed, used_up), (1, 19));
    f.cleanup().await;
}

#[tokio::test]
async fn one_user_redeeming_twenty_times_at_once_gets_it_once() {
    let f = Fixture::new("code-self-race", config());
    let l = Arc::new(f.ledger().await);
    let code = l
        .mint_codes(&spec(5, Some("pro"), 1, 5), 1, Actor::Api)
        .await
        .unwrap()
        .remove(0);
    let u = UserKey::telegram(30);
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let (l, text) = (Arc::clone(&l), code.code.clone());
            tokio::spawn(async move { l.redeem(u, &text).await.unwrap() })
        })
        .collect();
    let mut redeemed = 0;
    for t in tasks {
        match t.await.unwrap() {
            Redemption::Redeemed { .. } => redeemed += 1,
            Redemption::AlreadyRedeemed => {}
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(redeemed, 1);
    assert_eq!(l.status(u).await.unwrap().credits, 5);
    assert_eq!(l.list_codes().await.unwrap()[0].uses, 1);
    f.cleanup().await;
}
