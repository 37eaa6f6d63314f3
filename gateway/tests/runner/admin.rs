//! What the dashboard's queue page stands on: the runner's snapshot
//! (waiting in leaving order, running with its start) and an admin's cancel
//! of any user's waiting job.

use easel_gateway::runner::CancelOutcome;
use easel_shared::job::{JobEvent, JobFailure, QueuedJob};
use easel_shared::{RequestId, UnixMillis, UserKey};

use super::support::{Core, Kind, finish, roomy_config, used};

fn rid(s: &str) -> RequestId {
    RequestId::new(s).unwrap()
}

pub(crate) async fn the_snapshot_lists_waiting_jobs_in_order_and_running_ones(kind: Kind) {
    let mut core = Core::start(kind, roomy_config(), true).await;
    let (a, b) = (UserKey::telegram(1), UserKey::telegram(2));
    let t0 = core.clock.now();
    let mut run = core.submit(a, "run", 1).await;
    assert_eq!(core.next_entered().await, "run");
    core.clock.advance(std::time::Duration::from_secs(5));
    let mut a2 = core.submit(a, "a2", 2).await;
    let mut b1 = core.submit(b, "b1", 1).await;

    let snap = core.runner.snapshot().await;
    let job = |id: &str, user, images, since, position| QueuedJob {
        id: rid(id),
        user,
        images,
        credits: images,
        since,
        position,
    };
    let later = UnixMillis(t0.0 + 5_000);
    // The fair queue puts the newcomer b1 before a's second job.
    assert_eq!(
        snap.waiting,
        [
            job("b1", b, 1, later, Some(0)),
            job("a2", a, 2, later, Some(1))
        ]
    );
    assert_eq!(snap.running, [job("run", a, 1, t0, None)]);

    for _ in 0..3 {
        core.backend.release();
    }
    for handle in [&mut run, &mut a2, &mut b1] {
        assert!(matches!(
            finish(handle).await.last(),
            Some(JobEvent::Done { .. })
        ));
    }
    let snap = core.runner.snapshot().await;
    assert!(
        snap.waiting.is_empty() && snap.running.is_empty(),
        "{snap:?}"
    );
}

pub(crate) async fn an_admin_cancels_anyones_waiting_job_with_a_full_refund(kind: Kind) {
    let mut core = Core::start(kind, roomy_config(), true).await;
    let user = UserKey::telegram(1);
    let mut first = core.submit(user, "first", 1).await;
    assert_eq!(core.next_entered().await, "first");
    let mut second = core.submit(user, "second", 2).await;
    assert_eq!(used(&core.status(user).await), 3);

    assert_eq!(
        core.runner.cancel_any(&rid("second")).await,
        CancelOutcome::Cancelled
    );
    let events = finish(&mut second).await;
    let Some(JobEvent::Failed {
        failure: JobFailure::Cancelled,
        quota: Some(quota),
    }) = events.last()
    else {
        panic!("expected a cancelled failure, got {events:?}");
    };
    assert_eq!(used(quota), 1, "the cancelled job's 2 credits came back");
    assert_eq!(
        core.runner.cancel_any(&rid("second")).await,
        CancelOutcome::Unknown,
        "a cancel takes effect once"
    );
    // A running job is never stopped by an admin either: the provider bills it.
    assert_eq!(
        core.runner.cancel_any(&rid("first")).await,
        CancelOutcome::AlreadyStarted
    );
    assert!(core.runner.snapshot().await.waiting.is_empty());
    core.backend.release();
    assert!(matches!(
        finish(&mut first).await.last(),
        Some(JobEvent::Done { charged: 1, .. })
    ));
}
