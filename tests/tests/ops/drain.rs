//! Graceful shutdown through `InProcessGateway::drain`: new requests are
//! refused as `Restarting` (nothing charged), waiting jobs are refunded at
//! once, running ones finish within the grace, and those still running
//! when it ends are stopped and refunded. The grace runs on the manual clock.

use std::time::Duration;

use easel_gateway::runner::DrainReport;
use easel_gateway::service::{Gateway, GatewayError, JobStream};
use easel_shared::job::{JobEvent, JobFailure};
use easel_shared::{Denial, Refusal, UserKey};
use easel_tests::fake_telegram::poll_until;
use easel_tests::stack::Stack;

use super::request;

const GRACE: Duration = Duration::from_secs(60);

async fn next_final(events: &mut JobStream) -> JobEvent {
    while let Some(event) = events.recv().await {
        if matches!(event, JobEvent::Done { .. } | JobEvent::Failed { .. }) {
            return event;
        }
    }
    panic!("the stream ended without Done or Failed");
}

async fn used(stack: &Stack, user: UserKey) -> (u32, u32) {
    let status = stack.gateway.quota(user).await.unwrap();
    (
        status.windows.iter().map(|w| w.used).max().unwrap_or(0),
        status.in_flight,
    )
}

async fn one_running_one_waiting(
    stack: &Stack,
    alice: UserKey,
    bob: UserKey,
) -> (JobStream, JobStream) {
    stack.openai.hold();
    let running = stack
        .gateway
        .submit(request("tg:51:1", alice))
        .await
        .unwrap();
    poll_until("the first job reaches the provider", || {
        (!stack.openai.requests().is_empty()).then_some(())
    })
    .await;
    let waiting = stack.gateway.submit(request("tg:52:1", bob)).await.unwrap();
    (running, waiting)
}

#[tokio::test]
async fn drain_refunds_the_queue_refuses_new_work_and_lets_running_jobs_finish() {
    let stack = Stack::start(|c| c.runner.concurrency = 1).await;
    let (alice, bob, carol) = (
        UserKey::telegram(51),
        UserKey::telegram(52),
        UserKey::telegram(53),
    );
    let (mut running, mut waiting) = one_running_one_waiting(&stack, alice, bob).await;

    let gateway = stack.gateway.clone();
    let drain = tokio::spawn(async move { gateway.drain(GRACE).await });
    match next_final(&mut waiting).await {
        JobEvent::Failed {
            failure: JobFailure::ShuttingDown,
            ..
        } => {}
        other => panic!("the waiting job is refunded at once: {other:?}"),
    }
    assert_eq!(
        used(&stack, bob).await,
        (0, 0),
        "nothing charged for the queued job"
    );
    // New work is refused with the restart denial, before anything is reserved.
    match stack.gateway.submit(request("tg:53:1", carol)).await {
        Err(GatewayError::Denied(Refusal {
            denial: Denial::Restarting,
            ..
        })) => {}
        other => panic!("a new request during the drain: {other:?}"),
    }
    assert_eq!(used(&stack, carol).await, (0, 0));
    assert!(!drain.is_finished(), "the running job holds the drain");

    stack.openai.release();
    assert!(matches!(
        next_final(&mut running).await,
        JobEvent::Done { .. }
    ));
    let report = drain.await.unwrap();
    assert_eq!(
        report,
        DrainReport {
            refunded_waiting: 1,
            finished: 1,
            stopped: 0
        }
    );
    assert_eq!(
        used(&stack, alice).await,
        (1, 0),
        "the finished job is charged once"
    );
}

#[tokio::test]
async fn a_job_still_running_when_the_grace_ends_is_stopped_and_refunded() {
    let stack = Stack::start(|c| c.runner.concurrency = 1).await;
    let alice = UserKey::telegram(54);
    stack.openai.hold();
    let mut running = stack
        .gateway
        .submit(request("tg:54:1", alice))
        .await
        .unwrap();
    poll_until("the job reaches the provider", || {
        (!stack.openai.requests().is_empty()).then_some(())
    })
    .await;

    let gateway = stack.gateway.clone();
    let drain = tokio::spawn(async move { gateway.drain(GRACE).await });
    // On this single-threaded runtime the drain fixes its deadline before
    // it first yields, which is before this task sees it draining.
    poll_until("the drain began", || {
        stack.gateway.is_draining().then_some(())
    })
    .await;
    stack.clock.advance(GRACE - Duration::from_secs(1));
    tokio::task::yield_now().await;
    assert!(
        !drain.is_finished(),
        "within the grace the job may still finish"
    );
    stack.clock.advance(Duration::from_secs(1));

    match next_final(&mut running).await {
        JobEvent::Failed {
            failure: JobFailure::ReservationLost,
            ..
        } => {}
        other => panic!("the cut job fails without a charge: {other:?}"),
    }
    let report = drain.await.unwrap();
    assert_eq!(
        report,
        DrainReport {
            refunded_waiting: 0,
            finished: 0,
            stopped: 1
        }
    );
    assert_eq!(
        used(&stack, alice).await,
        (0, 0),
        "nothing charged for a stopped job"
    );
    stack.openai.release();
}
