//! The Redis ledger only: Redis dying and coming back, SCRIPT FLUSH, and
//! errors that never show the password.

use easel_gateway::ledger::{Admission, Clock, Ledger, LedgerError};
use easel_tests::ledger::config::{HOUR, one_window};
use easel_tests::ledger::{Harness, T0, connect_redis, req, shared, user};
use easel_tests::redis_server::PrivateRedis;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_redis_is_unavailable_then_works_after_restart() {
    let mut server = PrivateRedis::start();
    let h = Harness::open_redis(&server.url(), "restart", one_window(5, 3 * HOUR)).await;
    let u = user(1);
    h.admit(&req(u, "before", 1)).await;

    server.kill();
    match h.ledger.reserve(&req(u, "during", 1)).await {
        Err(LedgerError::Unavailable(msg)) => assert!(!msg.is_empty()),
        other => panic!("expected Unavailable while Redis is down, got {other:?}"),
    }
    assert!(matches!(
        h.ledger.status(u).await,
        Err(LedgerError::Unavailable(_))
    ));

    server.restart();
    // The private server keeps nothing (no persistence): a fresh start.
    match h.ledger.reserve(&req(u, "after", 1)).await {
        Ok(Admission::Admitted(r)) => assert!(!r.replayed),
        other => panic!("the next call after a restart must work, got {other:?}"),
    }
    assert_eq!(h.used(u).await, vec![1]);
}

#[tokio::test]
async fn script_flush_does_not_break_the_next_call() {
    let server = PrivateRedis::start();
    let h = Harness::open_redis(&server.url(), "flush", one_window(5, 3 * HOUR)).await;
    let u = user(1);
    h.admit(&req(u, "a", 1)).await;
    h.deliver(u, "a", 1, 0).await;
    let client = redis::Client::open(server.url()).expect("client");
    let mut conn = client
        .get_multiplexed_async_connection()
        .await
        .expect("connect");
    let _: () = redis::cmd("SCRIPT")
        .arg("FLUSH")
        .query_async(&mut conn)
        .await
        .expect("SCRIPT FLUSH");
    h.admit(&req(u, "b", 1)).await;
    h.deliver(u, "b", 1, 0).await;
    assert_eq!(h.used(u).await, vec![2]);
    let _: () = redis::cmd("SCRIPT")
        .arg("FLUSH")
        .query_async(&mut conn)
        .await
        .expect("SCRIPT FLUSH");
    assert_eq!(h.ledger.reap().await.expect("reap").refunded, 0);
}

#[tokio::test]
async fn connection_errors_never_show_the_password() {
    // Port 1 refuses connections at once.
    let url = "redis://easel:hunter2secret@127.0.0.1:1/";
    let config = shared(one_window(5, 3 * HOUR));
    match connect_redis(url, "easel-test:pw:", config, Clock::manual(T0)).await {
        Err(LedgerError::Unavailable(msg)) => {
            assert!(!msg.contains("hunter2secret"), "{msg}");
        }
        Ok(ledger) => match ledger.status(user(1)).await {
            Err(LedgerError::Unavailable(msg)) => assert!(!msg.contains("hunter2secret"), "{msg}"),
            other => panic!("expected Unavailable, got {other:?}"),
        },
        Err(other) => panic!("expected Unavailable, got {other}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_killed_under_load_fails_every_caller_cleanly() {
    let mut server = PrivateRedis::start();
    let h = Harness::open_redis(&server.url(), "kill-load", one_window(100_000, 3 * HOUR)).await;
    let (done, mut acked) = tokio::sync::mpsc::unbounded_channel::<()>();
    let tasks: Vec<_> = (0..16u64)
        .map(|t| {
            let ledger = h.ledger.clone();
            let done = done.clone();
            tokio::spawn(async move {
                // Reserve+settle until the first error, which must be Unavailable.
                for i in 0u64.. {
                    let u = user(t);
                    let r = req(u, &format!("t{t}-{i}"), 1);
                    let step = async {
                        ledger.reserve(&r).await?;
                        let how = easel_gateway::ledger::Settlement::Delivered {
                            images: 1,
                            cost_micros: 1,
                        };
                        ledger.settle(u, &r.id, how).await
                    };
                    if let Err(e) = step.await {
                        return e;
                    }
                    let _ = done.send(());
                }
                unreachable!("the loop only ends with an error")
            })
        })
        .collect();
    drop(done);
    for _ in 0..50 {
        acked.recv().await.expect("a task acknowledged");
    }
    server.kill();
    for t in tasks {
        match t.await.expect("no task panicked") {
            LedgerError::Unavailable(_) => {}
            other => panic!("expected Unavailable, got {other}"),
        }
    }
    server.restart();
    h.admit(&req(user(99), "after", 1)).await;
}
