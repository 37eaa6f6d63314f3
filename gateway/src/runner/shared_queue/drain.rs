//! Graceful shutdown on the shared queue. A replica's chat frontends stop
//! with it and no other replica can show a job to the user who asked here,
//! so the drain keeps serving the jobs accepted here wherever they run:
//!
//! 1. Stop claiming.
//! 2. Wait up to `grace` (ledger clock) for the jobs running here AND the
//!    jobs accepted here (followed) to end.
//! 3. Then: a job running here for another replica's user goes back to the
//!    queue with its place and its lease (another replica finishes it and
//!    its follower delivers it); one accepted here is stopped and refunded,
//!    as in process. Jobs accepted here still waiting in the queue are
//!    taken out and refunded (`ShuttingDown`); ones running elsewhere
//!    finish there unseen (logged).

use std::sync::Arc;
use std::time::Duration;

use easel_shared::RequestId;
use easel_shared::job::JobFailure;

use super::super::redis::Cancelled;
use super::super::{DrainReport, Shared};
use super::{fail_in_stream, queue};

/// See the module doc.
pub(in crate::runner) async fn drain(shared: &Arc<Shared>, grace: Duration) -> DrainReport {
    let running_at_start = {
        let mut state = shared.lock();
        state.closed = true;
        state.running.len()
    };
    // The dispatcher sees `closed` when woken.
    shared.wake.notify_one();
    let mut report = DrainReport::default();
    let deadline = shared.clock.now().plus(grace);
    let mut stopping = false;
    let mut handed: Vec<(RequestId, String)> = Vec::new();
    loop {
        // Registered before the check, so a job ending in between is seen.
        let finished = shared.finished.notified();
        tokio::pin!(finished);
        finished.as_mut().enable();
        let (running, followed) = {
            let state = shared.lock();
            if stopping {
                for (id, job) in &state.running {
                    match &job.entry {
                        Some(entry) if !shared.follows.contains(id) => {
                            job.quiet.cancel();
                            if !handed.iter().any(|(h, _)| h == id) {
                                handed.push((id.clone(), entry.clone()));
                            }
                        }
                        _ => job.stop.cancel(),
                    }
                }
            }
            (state.running.len(), shared.follows.len())
        };
        if running == 0 && (stopping || followed == 0) {
            break;
        }
        if stopping {
            finished.await;
            continue;
        }
        tokio::select! {
            () = &mut finished => {}
            () = shared.clock.sleep_until(deadline) => {
                tracing::warn!(running, followed, "shutdown grace over: handing back or stopping jobs");
                // Before anything running stops, or a slot freed elsewhere
                // would start one of them unseen.
                report.refunded_waiting = refund_waiting(shared).await;
                report.stopped = running;
                stopping = true;
            }
        }
    }
    let queue = queue(shared);
    for (id, entry) in handed {
        if let Err(error) = queue.handback(&entry, &id).await {
            tracing::warn!(%id, %error, "hand-back failed: another replica takes it over");
        }
    }
    report.finished = running_at_start.saturating_sub(report.stopped);
    report
}

/// Takes the jobs accepted here out of the queue and refunds them; returns
/// how many. Those already running elsewhere finish there, unseen (logged).
async fn refund_waiting(shared: &Shared) -> usize {
    let (mut refunded, mut elsewhere) = (0, 0);
    for id in shared.follows.ids() {
        match queue(shared).cancel(None, &id).await {
            Ok(Cancelled::Yes(owner)) => {
                fail_in_stream(shared, owner, &id, JobFailure::ShuttingDown).await;
                refunded += 1;
            }
            Ok(Cancelled::Started) if !shared.lock().running.contains_key(&id) => elsewhere += 1,
            _ => {}
        }
    }
    if elsewhere > 0 {
        tracing::warn!(
            elsewhere,
            "jobs accepted here still run on other replicas: nobody here will show them"
        );
    }
    refunded
}
