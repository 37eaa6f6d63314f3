//! The job runner against a real embedded ledger and a gated test backend:
//! fairness, queue positions, cancel, refunds, partial delivery, leases, a
//! refused renewal stopping the job, spend of every attempt (docs/ledger.md,
//! "Runner rules"). Every test runs against both real ledgers (embedded
//! file, shared Redis).

#[macro_use]
#[path = "support/jobs.rs"]
mod support;

/// The dashboard's queue: snapshot and admin cancel.
#[path = "runner/admin.rs"]
mod admin;

use std::time::Duration;

use easel_gateway::runner::CancelOutcome;
use easel_shared::admin::UsageOutcome;
use easel_shared::job::{JobEvent, JobFailure};
use easel_shared::{RequestId, UserKey};

use support::{Core, Kind, finish, next_event, next_non_queued, roomy_config, used, within};

both_ledgers!(
    a_newcomer_starts_before_the_heavy_users_third_job,
    queue_positions_count_down_as_the_queue_moves,
    cancel_while_queued_refunds_and_cancel_after_start_is_refused,
    backend_failures_refund_everything_and_say_why,
    partial_delivery_charges_only_what_was_delivered,
    too_many_waiting_jobs_are_refused_and_refunded,
    a_running_jobs_lease_is_renewed_and_not_reaped,
    a_replayed_ticket_is_not_run_twice,
    shutdown_refunds_waiting_jobs_and_lets_running_ones_finish,
    pacing_holds_jobs_in_the_queue_where_they_can_be_cancelled,
    a_refused_renewal_stops_the_job_and_delivers_nothing,
    spend_counts_every_attempts_reported_cost,
    a_failed_call_that_reported_usage_costs_the_operator_not_the_user,
);

use admin::{
    an_admin_cancels_anyones_waiting_job_with_a_full_refund,
    the_snapshot_lists_waiting_jobs_in_order_and_running_ones,
};

both_ledgers!(
    the_snapshot_lists_waiting_jobs_in_order_and_running_ones,
    an_admin_cancels_anyones_waiting_job_with_a_full_refund,
);

fn rid(s: &str) -> RequestId {
    RequestId::new(s).unwrap()
}

/// Regression guard for FIFO: a heavy user's backlog must not starve a newcomer.
async fn a_newcomer_starts_before_the_heavy_users_third_job(kind: Kind) {
    let mut core = Core::start(kind, roomy_config(), true).await;
    let (a, b) = (UserKey::telegram(1), UserKey::telegram(2));
    let mut handles = Vec::new();
    handles.push(core.submit(a, "a1", 1).await);
    assert_eq!(core.next_entered().await, "a1");
    for i in 2..=10 {
        handles.push(core.submit(a, &format!("a{i}"), 1).await);
    }
    handles.push(core.submit(b, "b1", 1).await);

    let mut started = Vec::new();
    for _ in 0..11 {
        // Whichever job's stream says Started is the one the backend holds.
        let prompt = if started.is_empty() {
            "a1".to_owned()
        } else {
            core.next_entered().await
        };
        let index = handles
            .iter()
            .position(|h| h.id.as_str() == prompt)
            .unwrap();
        assert_eq!(
            next_non_queued(&mut handles[index]).await,
            JobEvent::Started
        );
        started.push(prompt);
        core.backend.release();
    }
    let pos = |name: &str| started.iter().position(|p| p == name).unwrap();
    assert!(pos("b1") < pos("a3"), "order: {started:?}");
    assert_eq!(started[1], "b1", "order: {started:?}");
    for handle in &mut handles {
        assert!(matches!(
            finish(handle).await.last(),
            Some(JobEvent::Done { .. })
        ));
    }
}

async fn queue_positions_count_down_as_the_queue_moves(kind: Kind) {
    let mut core = Core::start(kind, roomy_config(), true).await;
    let mut running = core.submit(UserKey::telegram(1), "r", 1).await;
    assert_eq!(core.next_entered().await, "r");
    let mut b = core.submit(UserKey::telegram(2), "b", 1).await;
    let mut c = core.submit(UserKey::telegram(3), "c", 1).await;
    let mut d = core.submit(UserKey::telegram(4), "d", 1).await;
    assert_eq!(next_event(&mut b).await, JobEvent::Queued { position: 0 });
    assert_eq!(next_event(&mut c).await, JobEvent::Queued { position: 1 });
    assert_eq!(next_event(&mut d).await, JobEvent::Queued { position: 2 });

    core.backend.release();
    assert_eq!(core.next_entered().await, "b");
    assert_eq!(next_event(&mut b).await, JobEvent::Started);
    assert_eq!(next_event(&mut c).await, JobEvent::Queued { position: 0 });
    assert_eq!(next_event(&mut d).await, JobEvent::Queued { position: 1 });
    for _ in 0..3 {
        core.backend.release();
    }
    for handle in [&mut running, &mut b, &mut c, &mut d] {
        assert!(matches!(
            finish(handle).await.last(),
            Some(JobEvent::Done { charged: 1, .. })
        ));
    }
}

async fn cancel_while_queued_refunds_and_cancel_after_start_is_refused(kind: Kind) {
    let mut core = Core::start(kind, roomy_config(), true).await;
    let user = UserKey::telegram(1);
    let mut first = core.submit(user, "first", 1).await;
    assert_eq!(core.next_entered().await, "first");
    let mut second = core.submit(user, "second", 2).await;
    assert_eq!(used(&core.status(user).await), 3);

    // Only the owner may cancel.
    let stranger = UserKey::telegram(9);
    assert_eq!(
        core.runner.cancel(stranger, &rid("second")).await,
        CancelOutcome::Unknown
    );
    assert_eq!(
        core.runner.cancel(user, &rid("second")).await,
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
    assert!(!events.contains(&JobEvent::Started));
    let usage = core.ledger.usage(user, 10).await.unwrap();
    assert_eq!(usage[0].outcome, UsageOutcome::Failed);
    assert_eq!(usage[0].credits, 0);

    // The running job is past the point of no return.
    assert_eq!(
        core.runner.cancel(user, &rid("first")).await,
        CancelOutcome::AlreadyStarted
    );
    core.backend.release();
    assert!(matches!(
        finish(&mut first).await.last(),
        Some(JobEvent::Done { charged: 1, .. })
    ));
    assert_eq!(
        core.runner.cancel(user, &rid("first")).await,
        CancelOutcome::Unknown
    );
    assert_eq!(used(&core.status(user).await), 1);
}

async fn backend_failures_refund_everything_and_say_why(kind: Kind) {
    let core = Core::start(kind, roomy_config(), false).await;
    let user = UserKey::telegram(1);
    let cases = [
        (
            "busy error=busy",
            JobFailure::Busy {
                retry_after_secs: Some(30),
            },
        ),
        ("down error=unavailable", JobFailure::ServiceUnavailable),
        ("slow error=timeout", JobFailure::TimedOut),
        ("junk error=bad", JobFailure::Failed),
        (
            "rude error=blocked",
            JobFailure::Blocked {
                reason: "moderation_blocked".into(),
            },
        ),
        ("empty images=0", JobFailure::Failed),
    ];
    for (prompt, expected) in cases {
        let mut handle = core.submit(user, prompt, 2).await;
        match finish(&mut handle).await.last() {
            Some(JobEvent::Failed { failure, quota }) => {
                assert_eq!(failure, &expected, "{prompt}");
                assert_eq!(quota.as_ref().map(used), Some(0), "{prompt}");
            }
            other => panic!("{prompt}: {other:?}"),
        }
    }
    let usage = core.ledger.usage(user, 10).await.unwrap();
    assert_eq!(usage.len(), 6);
    assert!(usage.iter().all(|u| u.credits == 0));
    assert_eq!(used(&core.status(user).await), 0);
}

async fn partial_delivery_charges_only_what_was_delivered(kind: Kind) {
    let core = Core::start(kind, roomy_config(), false).await;
    let user = UserKey::telegram(1);
    let mut handle = core.submit(user, "four images=3 retry partial", 4).await;
    let events = finish(&mut handle).await;
    let started = events.iter().position(|e| *e == JobEvent::Started).unwrap();
    let retrying = events
        .iter()
        .position(|e| *e == JobEvent::Retrying { attempt: 2 })
        .unwrap();
    let partial = events
        .iter()
        .position(|e| matches!(e, JobEvent::Partial { image: 0, .. }))
        .unwrap();
    assert!(started < retrying && retrying < partial);
    let Some(JobEvent::Done {
        images,
        charged,
        cost_micros,
        quota,
        ..
    }) = events.last()
    else {
        panic!("{events:?}");
    };
    assert_eq!(images.len(), 3);
    assert!(images.iter().all(|i| i.bytes.as_ref() == support::PNG));
    assert_eq!((*charged, *cost_micros), (3, 33_000));
    assert_eq!(quota.as_ref().map(used), Some(3));
    let usage = core.ledger.usage(user, 1).await.unwrap();
    assert_eq!(usage[0].outcome, UsageOutcome::Partial);
    assert_eq!((usage[0].images, usage[0].cost_micros), (3, 33_000));
}

async fn too_many_waiting_jobs_are_refused_and_refunded(kind: Kind) {
    let mut config = roomy_config();
    config.runner.max_queued_per_user = 1;
    let mut core = Core::start(kind, config, true).await;
    let user = UserKey::telegram(1);
    let mut running = core.submit(user, "run", 1).await;
    assert_eq!(core.next_entered().await, "run");
    let mut waiting = core.submit(user, "wait", 1).await;
    let mut refused = core.submit(user, "nope", 1).await;
    match finish(&mut refused).await.last() {
        Some(JobEvent::Failed { failure, quota }) => {
            assert_eq!(failure, &JobFailure::TooManyQueued { limit: 1 });
            assert_eq!(quota.as_ref().map(used), Some(2));
        }
        other => panic!("{other:?}"),
    }
    core.backend.release();
    core.backend.release();
    for handle in [&mut running, &mut waiting] {
        assert!(matches!(
            finish(handle).await.last(),
            Some(JobEvent::Done { .. })
        ));
    }
}

/// A job running past its lease keeps it: the reaper must not refund it,
/// while a reservation nobody renews (its worker is gone) is refunded by the
/// same reap. The renewer waits on the manual clock, so nothing here waits
/// for real time: the test moves the clock and waits for the renewal pass.
async fn a_running_jobs_lease_is_renewed_and_not_reaped(kind: Kind) {
    let mut core = Core::start(kind, roomy_config(), true).await;
    let user = UserKey::telegram(1);
    let mut passes = core.runner.renewal_passes();
    let mut handle = core.submit(user, "long", 1).await;
    assert_eq!(core.next_entered().await, "long");
    // Admitted but never handed to this runner: a dead worker's reservation.
    let orphan = UserKey::telegram(2);
    core.admit(orphan, "orphan", 1).await.unwrap();

    // Far past the original lease: without a renewal both count as dead.
    core.clock.advance(core.config.load().ledger.lease * 5);
    within(passes.wait_for(|n| *n >= 1)).await.unwrap();
    let report = core.ledger.reap().await.unwrap();
    assert_eq!(report.refunded, 1, "only the orphan: {report:?}");
    assert_eq!(core.status(orphan).await.in_flight, 0);
    assert_eq!(core.status(user).await.in_flight, 1);

    core.backend.release();
    assert!(matches!(
        finish(&mut handle).await.last(),
        Some(JobEvent::Done { charged: 1, .. })
    ));
    let usage = core.ledger.usage(user, 1).await.unwrap();
    assert_eq!(usage[0].outcome, UsageOutcome::Delivered);
    assert_eq!(usage[0].credits, 1);
}

async fn a_replayed_ticket_is_not_run_twice(kind: Kind) {
    let core = Core::start(kind, roomy_config(), false).await;
    let user = UserKey::telegram(1);
    let mut handle = core.submit(user, "once", 1).await;
    finish(&mut handle).await;
    let replay = core.admit(user, "once", 1).await.unwrap();
    assert!(replay.reservation.replayed);
    assert!(
        core.runner
            .submit(replay, support::job("once", 1))
            .await
            .is_err()
    );
    assert_eq!(used(&core.status(user).await), 1);
}

async fn shutdown_refunds_waiting_jobs_and_lets_running_ones_finish(kind: Kind) {
    let mut core = Core::start(kind, roomy_config(), true).await;
    let user = UserKey::telegram(1);
    let mut running = core.submit(user, "running", 1).await;
    assert_eq!(core.next_entered().await, "running");
    let mut waiting = core.submit(user, "waiting", 1).await;
    core.runner.shutdown().await;
    let late_ticket = core.admit(user, "late", 1).await.unwrap();
    let mut late = core
        .runner
        .submit(late_ticket, support::job("late", 1))
        .await
        .unwrap();
    for handle in [&mut waiting, &mut late] {
        assert!(matches!(
            finish(handle).await.last(),
            Some(JobEvent::Failed {
                failure: JobFailure::ShuttingDown,
                ..
            })
        ));
    }
    core.backend.release();
    assert!(matches!(
        finish(&mut running).await.last(),
        Some(JobEvent::Done { charged: 1, .. })
    ));
    assert_eq!(used(&core.status(user).await), 1);
}

/// One image per minute: the second job waits for the pacer in the queue,
/// still cancellable, until the (manual) clock has moved a minute. The pacer
/// reads the ledger's clock, so "a minute" is the test's to give.
async fn pacing_holds_jobs_in_the_queue_where_they_can_be_cancelled(kind: Kind) {
    let mut config = roomy_config();
    config.runner.images_per_minute = 1;
    config.runner.concurrency = 4;
    let core = Core::start(kind, config, false).await;
    let user = UserKey::telegram(1);
    let mut first = core.submit(user, "first", 1).await;
    assert!(matches!(
        finish(&mut first).await.last(),
        Some(JobEvent::Done { .. })
    ));
    let mut second = core.submit(UserKey::telegram(2), "second", 1).await;
    assert_eq!(
        next_event(&mut second).await,
        JobEvent::Queued { position: 0 }
    );
    assert_eq!(core.runner.load(), (1, 0));
    assert_eq!(
        core.runner
            .cancel(UserKey::telegram(2), &rid("second"))
            .await,
        CancelOutcome::Cancelled
    );
    assert!(matches!(
        next_event(&mut second).await,
        JobEvent::Failed {
            failure: JobFailure::Cancelled,
            ..
        }
    ));
    assert_eq!(core.backend.calls.lock().unwrap().len(), 1);

    // A third waits likewise until a minute has passed, then runs.
    let mut third = core.submit(UserKey::telegram(3), "third", 1).await;
    assert_eq!(
        next_event(&mut third).await,
        JobEvent::Queued { position: 0 }
    );
    core.clock.advance(Duration::from_secs(59));
    assert_eq!(core.runner.load(), (1, 0), "a second early");
    core.clock.advance(Duration::from_secs(1));
    assert!(matches!(
        finish(&mut third).await.last(),
        Some(JobEvent::Done { charged: 1, .. })
    ));
    assert_eq!(core.backend.calls.lock().unwrap().len(), 2);
}

/// A reservation refunded under a running job (another replica's reaper saw
/// its lease lapse): the next renewal is refused, the upstream call is
/// stopped, nothing is delivered, and the refund happened exactly once.
async fn a_refused_renewal_stops_the_job_and_delivers_nothing(kind: Kind) {
    let mut config = roomy_config();
    // The renewer runs every lease / 3 of real time: keep it quick.
    config.ledger.lease = Duration::from_millis(300);
    let mut core = Core::start(kind, config, true).await;
    let user = UserKey::telegram(1);
    let mut handle = core.submit(user, "doomed", 1).await;
    assert_eq!(core.next_entered().await, "doomed");

    // The reaper wins against the renewer (which may renew in between: then
    // the clock moves on again; this loops on outcomes, not on time).
    within(async {
        loop {
            core.clock.advance(Duration::from_secs(600));
            if core.ledger.reap().await.unwrap().refunded == 1 {
                break;
            }
        }
    })
    .await;
    // The renewer may read the clock just after the move that let the
    // reaper win, and then sleep a renewal interval past it: keep moving the
    // clock until the job ends (its next renewal is refused). This polls for
    // an outcome; it times nothing.
    let events = within(async {
        let mut events = Vec::new();
        loop {
            let next = tokio::time::timeout(Duration::from_millis(20), handle.events.recv());
            match next.await {
                Ok(Some(event)) => {
                    let last = event.is_final();
                    events.push(event);
                    if last {
                        return events;
                    }
                }
                Ok(None) => return events,
                Err(_) => core.clock.advance(Duration::from_secs(600)),
            }
        }
    })
    .await;
    assert!(
        events.iter().all(|e| !matches!(e, JobEvent::Done { .. })),
        "{events:?}"
    );
    match events.last() {
        Some(JobEvent::Failed { failure, quota }) => {
            assert_eq!(failure, &JobFailure::ReservationLost);
            assert_eq!(quota.as_ref().map(used), Some(0));
        }
        other => panic!("{other:?}"),
    }
    // The gate is still shut: the call was dropped, not finished.
    assert_eq!(core.backend.calls.lock().unwrap().len(), 1);
    let usage = core.ledger.usage(user, 5).await.unwrap();
    assert_eq!(usage.len(), 1, "refunded once: {usage:?}");
    assert_eq!(usage[0].outcome, UsageOutcome::Expired);
    assert_eq!(core.status(user).await.in_flight, 0);
    assert_eq!(core.ledger.reap().await.unwrap().refunded, 0);
}

/// A retried job's spend is what every attempt reported, not only the last.
async fn spend_counts_every_attempts_reported_cost(kind: Kind) {
    let core = Core::start_with(kind, roomy_config(), false, true).await;
    let user = UserKey::telegram(1);
    let mut handle = core.submit(user, "wobbly flaky billed=5000", 1).await;
    match finish(&mut handle).await.last() {
        Some(JobEvent::Done {
            charged,
            cost_micros,
            ..
        }) => {
            assert_eq!(*charged, 1);
            // 5,000 for the failed attempt + 11,000 for the one that worked.
            assert_eq!(*cost_micros, 16_000);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(core.backend.calls.lock().unwrap().len(), 2);
    assert_eq!(
        core.ledger.spend_today().await.unwrap().spent_micros,
        16_000
    );
    assert_eq!(
        core.ledger.usage(user, 1).await.unwrap()[0].cost_micros,
        16_000
    );
}

/// A failed call that reported usage is billed to the operator's spend and
/// costs the user nothing.
async fn a_failed_call_that_reported_usage_costs_the_operator_not_the_user(kind: Kind) {
    let core = Core::start(kind, roomy_config(), false).await;
    let user = UserKey::telegram(1);
    let mut handle = core.submit(user, "costly error=bad billed=3000", 1).await;
    match finish(&mut handle).await.last() {
        Some(JobEvent::Failed { failure, quota }) => {
            assert_eq!(failure, &JobFailure::Failed);
            assert_eq!(quota.as_ref().map(used), Some(0));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(core.ledger.spend_today().await.unwrap().spent_micros, 3_000);
    let usage = core.ledger.usage(user, 1).await.unwrap();
    assert_eq!((usage[0].credits, usage[0].cost_micros), (0, 3_000));
}
