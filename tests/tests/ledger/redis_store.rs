//! The Redis ledger only: Redis dying and coming back (with and without
//! persistence), SCRIPT FLUSH, and errors that never show the password.

use easel_gateway::ledger::{Admission, Clock, Ledger, LedgerError};
use easel_shared::UnixMillis;
use easel_tests::ledger::config::{HOUR, one_window};
use easel_tests::ledger::{Harness, T0, connect_redis, redis_url, req, shared, user};
use easel_tests::redis_server::{Persistence, PrivateRedis};

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

/// The README's production setting (`appendonly yes`): a Redis killed with
/// SIGKILL and started again on the same directory comes back with every
/// balance, window charge, pending reservation and idempotency record.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_appendonly_a_restarted_redis_keeps_balances_and_windows() {
    let mut server = PrivateRedis::start_with(Persistence::AppendOnly);
    let h = Harness::open_redis(&server.url(), "aof", one_window(3, 3 * HOUR)).await;
    let u = user(1);
    h.ledger
        .adjust_credits(u, 5, "gift", easel_shared::admin::Actor::Api)
        .await
        .expect("grant");
    for id in ["a", "b", "c", "d"] {
        h.admit(&req(u, id, 1)).await;
    }
    h.deliver(u, "a", 1, 0).await;
    h.deliver(u, "d", 1, 0).await;
    h.advance_ms(60_000);
    let before = h.ledger.status(u).await.expect("status");
    assert_eq!(before.windows[0].used, 3, "{before:?}");
    assert_eq!((before.credits, before.in_flight), (4, 2), "{before:?}");

    server.kill();
    // While it is down the ledger fails closed (and drops its connection).
    assert!(matches!(
        h.ledger.status(u).await,
        Err(LedgerError::Unavailable(_))
    ));
    server.restart();
    let after = h.ledger.status(u).await.expect("status after the restart");
    assert_eq!(after, before);
    // The records came back too: a replay is recognised, a settle still applies.
    match h.ledger.reserve(&req(u, "a", 1)).await {
        Ok(Admission::Admitted(r)) => assert!(r.replayed, "{r:?}"),
        other => panic!("expected the replay of a, got {other:?}"),
    }
    h.deliver(u, "b", 1, 0).await;
    assert_eq!(h.ledger.status(u).await.expect("status").in_flight, 1);
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

/// Keys written before the running window sums (no `win` hash), a lost `win`
/// hash, and a `win` hash that outlived its log (the log expired first) are
/// all read exactly: the sums are rebuilt from the log, and an empty log
/// counts nothing whatever `win` says.
#[tokio::test]
async fn window_sums_are_rebuilt_from_the_log_when_missing_or_stale() {
    let h = Harness::open_redis(&redis_url(), "win-rebuild", one_window(10, 3 * HOUR)).await;
    let u = user(1);
    let prefix = h.prefix().expect("a Redis harness").to_owned();
    let (log, win) = (
        format!("{prefix}{{u:{u}}}:log"),
        format!("{prefix}{{u:{u}}}:win"),
    );
    let mut con = redis::Client::open(redis_url())
        .expect("client")
        .get_multiplexed_async_connection()
        .await
        .expect("connect");
    h.admit(&req(u, "a", 3)).await;
    h.advance_ms(3_600_000);
    h.admit(&req(u, "b", 2)).await;
    let exists: bool = redis::cmd("EXISTS")
        .arg(&win)
        .query_async(&mut con)
        .await
        .expect("exists");
    assert!(exists, "reserve keeps the sums in {win}");

    // As written by a build before the sums: only the log.
    let _: () = redis::cmd("DEL")
        .arg(&win)
        .query_async(&mut con)
        .await
        .expect("del");
    assert_eq!(h.used(u).await, vec![5]);
    h.advance_to(UnixMillis(T0.0 + 3 * 3_600_000));
    assert_eq!(h.used(u).await, vec![2], "a aged out of the rebuilt sum");
    let _: () = redis::cmd("DEL")
        .arg(&win)
        .query_async(&mut con)
        .await
        .expect("del");
    h.admit(&req(u, "c", 8)).await;
    assert_eq!(h.used(u).await, vec![10]);

    // The log gone (expired) while `win` still says 10: nothing is counted.
    let _: () = redis::cmd("DEL")
        .arg(&log)
        .query_async(&mut con)
        .await
        .expect("del");
    assert_eq!(h.used(u).await, vec![0]);
    h.admit(&req(u, "d", 10)).await;
    assert_eq!(h.used(u).await, vec![10]);
}
