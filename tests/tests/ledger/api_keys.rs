//! API keys of the `/v1` API: created with a secret shown once, resolved by
//! their hash to the owner, listed by visible prefix, revoked by it, capped
//! per user, audited.

use easel_gateway::ledger::LedgerError;
use easel_gateway::ledger::api_key::MAX_KEYS_PER_USER;
use easel_shared::admin::Actor;
use easel_tests::ledger::config::{HOUR, one_window};
use easel_tests::ledger::{Suite, T0, user};

pub(crate) async fn keys_resolve_to_their_owner_until_revoked(s: Suite) {
    let h = s.open(one_window(5, 3 * HOUR)).await;
    let (alice, bob) = (user(1), user(2));
    let a1 = h
        .ledger
        .create_api_key(alice, Actor::Admin(alice))
        .await
        .expect("create");
    let a2 = h
        .ledger
        .create_api_key(alice, Actor::Api)
        .await
        .expect("create");
    let b1 = h
        .ledger
        .create_api_key(bob, Actor::Api)
        .await
        .expect("create");
    assert_ne!(a1.key.expose(), a2.key.expose());
    assert!(a1.key.expose().starts_with(&a1.prefix));
    assert!(a1.prefix.starts_with("easel-sk-"));
    assert_eq!(a1.created_at, T0);
    for (minted, owner) in [(&a1, alice), (&a2, alice), (&b1, bob)] {
        let found = h
            .ledger
            .api_key_user(minted.key.expose())
            .await
            .expect("resolve");
        assert_eq!(found, Some(owner));
    }

    let listed = h.ledger.list_api_keys(alice).await.expect("list");
    let mut prefixes: Vec<&str> = listed.iter().map(|k| k.prefix.as_str()).collect();
    prefixes.sort_unstable();
    let mut expected = vec![a1.prefix.as_str(), a2.prefix.as_str()];
    expected.sort_unstable();
    assert_eq!(prefixes, expected);
    assert!(listed.iter().all(|k| k.user == alice && k.created_at == T0));

    // Bob cannot revoke Alice's key by its prefix.
    assert!(
        !h.ledger
            .revoke_api_key(bob, &a1.prefix, Actor::Api)
            .await
            .expect("revoke")
    );
    assert_eq!(
        h.ledger
            .api_key_user(a1.key.expose())
            .await
            .expect("resolve"),
        Some(alice)
    );

    assert!(
        h.ledger
            .revoke_api_key(alice, &a1.prefix, Actor::Admin(alice))
            .await
            .expect("revoke")
    );
    assert_eq!(
        h.ledger
            .api_key_user(a1.key.expose())
            .await
            .expect("resolve"),
        None
    );
    assert_eq!(
        h.ledger
            .api_key_user(a2.key.expose())
            .await
            .expect("resolve"),
        Some(alice)
    );
    assert!(
        !h.ledger
            .revoke_api_key(alice, &a1.prefix, Actor::Api)
            .await
            .expect("revoke")
    );
    let left = h.ledger.list_api_keys(alice).await.expect("list");
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].prefix, a2.prefix);

    let audit = h.ledger.audit(10).await.expect("audit");
    let actions: Vec<&str> = audit.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "apikey-revoke",
            "apikey-create",
            "apikey-create",
            "apikey-create"
        ]
    );
    assert!(audit.iter().all(|e| !e.detail.contains(a1.key.expose())));
}

pub(crate) async fn unknown_and_malformed_keys_resolve_to_no_one(s: Suite) {
    let h = s.open(one_window(5, 3 * HOUR)).await;
    let minted = h
        .ledger
        .create_api_key(user(1), Actor::Api)
        .await
        .expect("create");
    let real = minted.key.expose();
    // Same prefix, different secret: the hash decides, not the prefix.
    let mut forged = real.to_owned();
    let last = forged.pop().expect("non-empty");
    forged.push(if last == 'a' { 'b' } else { 'a' });
    for key in [
        forged.as_str(),
        "",
        "easel-sk-",
        "sk-proj-abc",
        &minted.prefix,
    ] {
        assert_eq!(
            h.ledger.api_key_user(key).await.expect("resolve"),
            None,
            "{key:?}"
        );
    }
    assert!(
        h.ledger
            .list_api_keys(user(3))
            .await
            .expect("list")
            .is_empty()
    );
}

pub(crate) async fn a_user_holds_a_bounded_number_of_keys(s: Suite) {
    let h = s.open(one_window(5, 3 * HOUR)).await;
    let mut minted = Vec::new();
    for _ in 0..MAX_KEYS_PER_USER {
        minted.push(
            h.ledger
                .create_api_key(user(1), Actor::Api)
                .await
                .expect("create"),
        );
    }
    let refused = h.ledger.create_api_key(user(1), Actor::Api).await;
    assert!(
        matches!(refused, Err(LedgerError::Refused(_))),
        "{refused:?}"
    );
    // Another user is not affected; revoking one makes room again.
    h.ledger
        .create_api_key(user(2), Actor::Api)
        .await
        .expect("other user");
    assert!(
        h.ledger
            .revoke_api_key(user(1), &minted[0].prefix, Actor::Api)
            .await
            .expect("revoke")
    );
    h.ledger
        .create_api_key(user(1), Actor::Api)
        .await
        .expect("room again");
}
