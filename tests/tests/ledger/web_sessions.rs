//! Web sessions and one-time sign-in links: a session resolves (from any
//! instance) until it expires on the ledger clock or is ended; a link signs
//! in exactly once, even when instances race for it, and never after its
//! expiry; tokens are stored only as hashes.

use std::time::Duration;

use easel_shared::UserKey;
use easel_tests::ledger::config::{HOUR, one_window};
use easel_tests::ledger::{Suite, user};

const TTL: Duration = Duration::from_secs(600);

pub(crate) async fn a_session_lives_until_it_expires_or_ends(s: Suite) {
    let h = s.open(one_window(5, 3 * HOUR)).await;
    let alice = user(1);
    let minted = h
        .ledger
        .create_web_session(alice, false, TTL)
        .await
        .expect("create");
    let admin = h
        .ledger
        .create_web_session(UserKey::WEB_ADMIN, true, TTL)
        .await
        .expect("create");
    assert_ne!(minted.token.expose(), admin.token.expose());
    assert_ne!(minted.session.csrf, admin.session.csrf);

    // Another instance (another replica) honours the session.
    let other = h.instance().await;
    let found = other
        .web_session(minted.token.expose())
        .await
        .expect("read")
        .expect("live");
    assert_eq!(found, minted.session);
    assert_eq!(found.user, alice);
    assert!(!found.admin);
    let found = h
        .ledger
        .web_session(admin.token.expose())
        .await
        .expect("read");
    assert_eq!(
        found.map(|s| (s.user, s.admin)),
        Some((UserKey::WEB_ADMIN, true))
    );

    // Sign-out ends exactly that session.
    assert!(
        other
            .end_web_session(admin.token.expose())
            .await
            .expect("end")
    );
    assert!(
        !h.ledger
            .end_web_session(admin.token.expose())
            .await
            .expect("end again")
    );
    assert_eq!(
        h.ledger
            .web_session(admin.token.expose())
            .await
            .expect("read"),
        None
    );

    // Expiry on the ledger clock: alive a moment before, gone at the instant.
    h.clock.advance(TTL - Duration::from_millis(1));
    assert!(
        h.ledger
            .web_session(minted.token.expose())
            .await
            .expect("read")
            .is_some()
    );
    h.clock.advance(Duration::from_millis(1));
    assert_eq!(
        h.ledger
            .web_session(minted.token.expose())
            .await
            .expect("read"),
        None
    );
}

pub(crate) async fn unknown_and_malformed_session_tokens_resolve_to_no_one(s: Suite) {
    let h = s.open(one_window(5, 3 * HOUR)).await;
    let minted = h
        .ledger
        .create_web_session(user(1), false, TTL)
        .await
        .expect("create");
    let token = minted.token.expose();
    let mut flipped = token.to_owned();
    let last = if token.ends_with('A') { "B" } else { "A" };
    flipped.replace_range(42..43, last);
    for given in [
        "",
        "x",
        "not a token at all",
        flipped.as_str(),
        &token[..42],
    ] {
        assert_eq!(
            h.ledger.web_session(given).await.expect("read"),
            None,
            "{given}"
        );
        assert!(
            !h.ledger.end_web_session(given).await.expect("end"),
            "{given}"
        );
        assert_eq!(
            h.ledger.take_web_link(given).await.expect("take"),
            None,
            "{given}"
        );
    }
    // A session token is not a link token and the other way round.
    assert_eq!(h.ledger.take_web_link(token).await.expect("take"), None);
    let link = h.ledger.create_web_link(user(1), TTL).await.expect("link");
    assert_eq!(
        h.ledger
            .web_session(link.token.expose())
            .await
            .expect("read"),
        None
    );
    assert!(h.ledger.web_session(token).await.expect("read").is_some());
}

pub(crate) async fn a_link_signs_in_once(s: Suite) {
    let h = s.open(one_window(5, 3 * HOUR)).await;
    let bob = UserKey::telegram(4242);
    let link = h.ledger.create_web_link(bob, TTL).await.expect("link");
    assert_eq!(link.expires_at, h.clock.now().plus(TTL));
    assert_eq!(
        h.ledger
            .take_web_link(link.token.expose())
            .await
            .expect("take"),
        Some(bob)
    );
    assert_eq!(
        h.ledger
            .take_web_link(link.token.expose())
            .await
            .expect("take"),
        None
    );
    let other = h.instance().await;
    assert_eq!(
        other
            .take_web_link(link.token.expose())
            .await
            .expect("take"),
        None
    );
}

pub(crate) async fn an_expired_link_signs_no_one_in(s: Suite) {
    let h = s.open(one_window(5, 3 * HOUR)).await;
    let link = h.ledger.create_web_link(user(3), TTL).await.expect("link");
    let fresh_later = {
        h.clock.advance(TTL);
        h.ledger.create_web_link(user(4), TTL).await.expect("link")
    };
    assert_eq!(
        h.ledger
            .take_web_link(link.token.expose())
            .await
            .expect("take"),
        None
    );
    assert_eq!(
        h.ledger
            .take_web_link(fresh_later.token.expose())
            .await
            .expect("take"),
        Some(user(4))
    );
}

pub(crate) async fn racing_instances_take_a_link_exactly_once(s: Suite) {
    let h = s.open(one_window(5, 3 * HOUR)).await;
    let link = h.ledger.create_web_link(user(5), TTL).await.expect("link");
    let token = link.token.expose().to_owned();
    let mut racers = Vec::new();
    for ledger in h.instances(8).await {
        let token = token.clone();
        racers.push(tokio::spawn(
            async move { ledger.take_web_link(&token).await },
        ));
    }
    let mut winners = 0;
    for racer in racers {
        if racer.await.expect("join").expect("take").is_some() {
            winners += 1;
        }
    }
    assert_eq!(winners, 1);
}
