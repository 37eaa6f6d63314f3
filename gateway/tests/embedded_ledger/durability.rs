//! The file: state survives a reopen, one process at a time. The SIGKILL
//! test (a child process killed under load) is
//! `tests/tests/ledger/embedded_store.rs`, whose child is a `[[bin]]` target.

use super::*;

#[tokio::test]
async fn state_survives_drop_and_reopen() {
    let env = Env::new(config());
    env.ledger
        .adjust_credits(U, 9, "gift", Actor::Api)
        .await
        .unwrap();
    admitted(env.reserve(U, "a", 4, 1).await);
    admitted(env.reserve(U, "b", 2, 1).await);
    env.settle(U, "b", delivered(1)).await;
    let before = env.ledger.status(U).await.unwrap();
    let Env {
        dir,
        config,
        clock,
        ledger,
    } = env;
    drop(ledger);
    let ledger = open(&dir, &config, &clock);
    assert_eq!(ledger.status(U).await.unwrap(), before);
    assert_eq!(
        ledger.settle(U, &rid("b"), delivered(1)).await.unwrap(),
        SettleOutcome::AlreadySettled
    );
    assert_eq!(
        ledger.settle(U, &rid("a"), delivered(4)).await.unwrap(),
        SettleOutcome::Settled {
            charged: 4,
            refunded: 0
        }
    );
    assert_eq!(ledger.usage(U, 10).await.unwrap().len(), 2);
    assert_eq!(ledger.audit(10).await.unwrap().len(), 1);
}

#[tokio::test]
async fn a_second_open_of_the_same_file_is_unavailable_not_a_panic() {
    let env = Env::new(config());
    let again = EmbeddedLedger::open(
        &env.dir.path().join("ledger.redb"),
        env.config.clone(),
        env.clock.clone(),
    );
    assert!(matches!(again, Err(LedgerError::Unavailable(_))));
}
