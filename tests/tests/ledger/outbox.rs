//! The settle outbox over the Redis ledger on a private server that is
//! paused (SIGSTOP) between a job's end and its settle: the charge lands
//! exactly once when Redis answers again and is never refunded; a settle
//! left by a process that died lands as "nothing delivered" with its cost.

use std::sync::Arc;
use std::time::Duration;

use easel_gateway::ledger::outbox::SettleOutbox;
use easel_gateway::ledger::{SettleOutcome, Settlement};
use easel_shared::admin::UsageOutcome;
use easel_tests::ledger::config::{HOUR, one_window};
use easel_tests::ledger::{Harness, req, rid, user};
use easel_tests::redis_server::PrivateRedis;

/// Waits (on outcomes, not on time) until the outbox holds `n` parked
/// settles (0: its drainer landed them all).
async fn parked(outbox: &SettleOutbox, n: usize) {
    tokio::time::timeout(Duration::from_secs(60), async {
        while outbox.pending().expect("outbox readable") != n {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("the settle was never parked");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_settle_during_an_outage_lands_once_and_is_never_refunded() {
    let server = PrivateRedis::start();
    let h = Harness::open_redis(&server.url(), "outbox", one_window(5, 3 * HOUR)).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let outbox = Arc::new(
        SettleOutbox::open(&dir.path().join("settles.redb"), h.ledger.clone()).expect("outbox"),
    );
    let u = user(1);
    let r = h.admit(&req(u, "a", 2)).await;

    // The job ended; Redis stalls before its settle.
    server.pause();
    let how = Settlement::Delivered {
        images: 2,
        cost_micros: 7_000,
    };
    let settling = {
        let outbox = outbox.clone();
        tokio::spawn(async move { outbox.settle(u, &rid("a"), how).await })
    };
    parked(&outbox, 1).await;
    server.resume();

    let outcome = settling.await.expect("task").expect("outbox");
    assert_eq!(
        outcome,
        SettleOutcome::Settled {
            charged: 2,
            refunded: 0
        }
    );
    assert_eq!(outbox.pending().expect("outbox"), 0);
    // Exactly once: a resend is a no-op, and the reaper finds nothing to refund.
    assert_eq!(h.settle(u, "a", how).await, SettleOutcome::AlreadySettled);
    h.advance_to(r.lease_until);
    assert_eq!(h.ledger.reap().await.expect("reap").refunded, 0);
    let usage = h.ledger.usage(u, 5).await.expect("usage");
    assert_eq!(usage.len(), 1);
    assert_eq!(
        (usage[0].outcome, usage[0].credits, usage[0].cost_micros),
        (UsageOutcome::Delivered, 2, 7_000)
    );
    assert_eq!(h.used(u).await, vec![2]);
    assert_eq!(
        h.ledger.spend_today().await.expect("spend").spent_micros,
        7_000
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_settle_left_by_a_dead_process_lands_as_nothing_delivered() {
    let server = PrivateRedis::start();
    let h = Harness::open_redis(&server.url(), "outbox-dead", one_window(5, 3 * HOUR)).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("settles.redb");
    let u = user(1);
    h.admit(&req(u, "a", 1)).await;

    server.pause();
    {
        let outbox = SettleOutbox::open(&path, h.ledger.clone()).expect("outbox");
        let how = Settlement::Delivered {
            images: 1,
            cost_micros: 9_000,
        };
        // Parked, not landed; then the process "dies" (the outbox is dropped
        // with its drainer) before Redis answers again.
        assert_eq!(
            outbox
                .settle_or_park(u, &rid("a"), how)
                .await
                .expect("park"),
            None
        );
        assert_eq!(outbox.pending().expect("outbox"), 1);
    }
    server.resume();

    // The next process opens the same file: the images were never shown,
    // so the user pays nothing while the provider's bill still counts.
    // (The aborted drainer releases the file lock when its task is dropped.)
    let outbox = tokio::time::timeout(Duration::from_secs(60), async {
        loop {
            match SettleOutbox::open(&path, h.ledger.clone()) {
                Ok(outbox) => return outbox,
                Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
            }
        }
    })
    .await
    .expect("reopen");
    parked(&outbox, 0).await;
    let usage = h.ledger.usage(u, 5).await.expect("usage");
    assert_eq!(usage.len(), 1);
    assert_eq!(
        (usage[0].outcome, usage[0].credits, usage[0].cost_micros),
        (UsageOutcome::Failed, 0, 9_000)
    );
    assert_eq!(h.used(u).await, vec![0]);
    assert_eq!(
        h.ledger.spend_today().await.expect("spend").spent_micros,
        9_000
    );
}
