//! The settle outbox over the Redis ledger on a private server that is
//! paused (SIGSTOP) between a job's end and its settle: the charge lands
//! exactly once when Redis answers again and is never refunded; a settle
//! left by a process that died lands as "nothing delivered" with its cost;
//! a lease that lapses while Redis is away stops the running job.

use std::sync::Arc;
use std::time::Duration;

use easel_gateway::ledger::outbox::SettleOutbox;
use easel_gateway::ledger::{SettleOutcome, Settlement};
use easel_gateway::service::Gateway;
use easel_shared::RequestId;
use easel_shared::admin::UsageOutcome;
use easel_shared::job::{JobEvent, JobFailure};
use easel_shared::render::RenderOptions;
use easel_shared::request::Request;
use easel_tests::fake_openai::Reply;
use easel_tests::ledger::config::{HOUR, one_window};
use easel_tests::ledger::{Harness, req, rid, unique_prefix, user};
use easel_tests::redis_server::PrivateRedis;
use easel_tests::stack::Stack;

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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lease_that_lapses_while_redis_is_away_stops_the_job() {
    let server = PrivateRedis::start();
    let (url, prefix) = (server.url(), unique_prefix("lapse"));
    let stack = Stack::start(|c| {
        c.ledger.redis_url = url.clone();
        c.ledger.key_prefix = prefix.clone();
        // The renewer runs every lease / 3 of the stack's manual clock.
    })
    .await;
    // The provider takes "forever": only the lost lease can end this job.
    stack.openai.script([Reply::Slow(Duration::from_secs(600))]);
    let u = user(1);
    let request = Request {
        id: RequestId::new("slow").expect("id"),
        user: u,
        prompt: "a lighthouse".into(),
        options: RenderOptions::default(),
        inputs: Vec::new(),
        parent: None,
        mask: None,
    };
    let mut events = stack.gateway.submit(request).await.expect("admitted");
    tokio::time::timeout(Duration::from_secs(60), async {
        while stack.openai.requests().is_empty() {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("the upstream call started");

    // Redis goes away: no renewal is confirmed for a whole lease (the
    // manual clock moves it; the renewal pass then finds Redis silent).
    server.pause();
    let lease = stack.config.load().ledger.lease;
    stack.clock.advance(lease);
    let seen = tokio::time::timeout(Duration::from_secs(60), async {
        let mut seen = Vec::new();
        while let Some(event) = events.recv().await {
            let last = event.is_final();
            seen.push(event);
            if last {
                break;
            }
        }
        seen
    })
    .await
    .expect("the job ended");
    assert!(
        seen.iter().all(|e| !matches!(e, JobEvent::Done { .. })),
        "{seen:?}"
    );
    assert!(
        matches!(
            seen.last(),
            Some(JobEvent::Failed {
                failure: JobFailure::ReservationLost,
                ..
            })
        ),
        "{seen:?}"
    );

    // Back again: the parked refund lands; nothing was charged, nothing is held.
    server.resume();
    let ledger = stack.gateway.ledger();
    let usage = tokio::time::timeout(Duration::from_secs(60), async {
        loop {
            if let Ok(usage) = ledger.usage(u, 5).await
                && !usage.is_empty()
            {
                return usage;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await
    .expect("the refund landed");
    assert_eq!(usage.len(), 1);
    assert_eq!(
        (usage[0].credits, usage[0].outcome),
        (0, UsageOutcome::Failed)
    );
    let status = ledger.status(u).await.expect("status");
    assert_eq!(status.in_flight, 0);
    assert_eq!(status.windows[0].used, 0);
}
