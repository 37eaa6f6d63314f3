//! The remote port's copy of the gateway's admin rules (`is_admin` is
//! synchronous, so it answers from a copy fetched at connect): a change on
//! the gateway reaches it once the copy is older than `RULES_TTL`, on the
//! clock the port was given (a manual one here: no real waiting).

use std::time::Duration;

use easel_gateway::ledger::Clock;
use easel_gateway::service::remote::RULES_TTL;
use easel_gateway::service::{Gateway, RemoteGateway};
use easel_shared::UnixMillis;
use easel_shared::admin::AdminActor;
use easel_shared::config::{Config, GatewayConfig};
use easel_shared::secret::Secret;
use easel_tests::remote::FRONTEND_TOKEN;

use super::{ALICE, serve, stack};

#[tokio::test]
async fn a_change_of_the_admin_rules_reaches_the_remote_after_the_refresh_interval() {
    let stack = stack().await;
    let api = serve(&stack).await;
    let clock = Clock::manual(UnixMillis(1_800_000_000_000));
    let config = GatewayConfig {
        url: api.url(),
        token: Secret::new(FRONTEND_TOKEN),
        ..GatewayConfig::default()
    };
    let remote = RemoteGateway::connect_with_clock(&config, clock.clone()).await;
    let mut fetched = remote.rules_fetched();
    assert_eq!(*fetched.borrow_and_update(), 1, "fetched once at connect");
    let alice = AdminActor::User(ALICE);
    assert!(!remote.is_admin(&alice));

    // The gateway's operator makes Alice an admin.
    stack.config.rcu(|c| {
        let mut c = Config::clone(c);
        c.access.admins.push(ALICE);
        c
    });
    clock.advance(RULES_TTL - Duration::from_secs(1));
    assert!(!remote.is_admin(&alice), "a fresh copy answers as it is");
    assert!(
        !fetched.has_changed().expect("the port is alive"),
        "nothing fetched within the interval"
    );

    clock.advance(Duration::from_secs(2));
    // The stale copy still answers this call, and is refreshed behind it.
    assert!(!remote.is_admin(&alice));
    fetched.changed().await.expect("a refresh landed");
    assert!(remote.is_admin(&alice), "the gateway's new rule arrived");
}
