//! Graceful shutdown of the runner ([`JobRunner::drain`]): take no more
//! jobs, refund the waiting ones at once, let running ones finish within a
//! grace period, then stop the rest (refunded: the user pays nothing for a
//! call cut short). Lease renewal keeps running throughout, so a long grace
//! never lets a running job's reservation lapse to the reaper.

use std::time::Duration;

use easel_shared::job::JobFailure;
use easel_shared::{RequestId, UserKey};

use super::{JobRunner, Waiting, job};

/// What a drain did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DrainReport {
    /// Waiting jobs refunded at once.
    pub refunded_waiting: usize,
    /// Running jobs that finished within the grace period.
    pub finished: usize,
    /// Running jobs still going at the end of the grace period: stopped and refunded.
    pub stopped: usize,
}

impl JobRunner {
    /// Stops taking jobs (later submits are refunded with `ShuttingDown`),
    /// refunds every waiting job, waits up to `grace` (on the ledger's
    /// clock) for running jobs, then stops and refunds those still running
    /// and waits for their settles. Finish with [`JobRunner::shutdown`].
    ///
    /// On the shared queue the rules differ (`shared_queue/drain.rs`).
    pub async fn drain(&self, grace: Duration) -> DrainReport {
        if self.shared.queue.is_some() {
            return super::shared_queue::drain(&self.shared, grace).await;
        }
        let (waiting, running_at_start) = {
            let mut state = self.shared.lock();
            state.closed = true;
            self.shared.metrics.queue_depth(0);
            let waiting: Vec<(RequestId, UserKey, Waiting)> =
                std::iter::from_fn(|| state.queue.pop()).collect();
            (waiting, state.running.len())
        };
        let mut report = DrainReport {
            refunded_waiting: waiting.len(),
            ..DrainReport::default()
        };
        for (id, user, waiting) in waiting {
            let failure = JobFailure::ShuttingDown;
            job::refund(&self.shared, user, &id, failure, &waiting.events).await;
        }
        let deadline = self.shared.clock.now().plus(grace);
        let mut stopping = false;
        loop {
            // Registered before the check, so a job ending in between is seen.
            let finished = self.shared.finished.notified();
            tokio::pin!(finished);
            finished.as_mut().enable();
            let running = {
                let state = self.shared.lock();
                if stopping {
                    for job in state.running.values() {
                        job.stop.cancel();
                    }
                }
                state.running.len()
            };
            if running == 0 {
                break;
            }
            if stopping {
                finished.await;
                continue;
            }
            tokio::select! {
                () = &mut finished => {}
                () = self.shared.clock.sleep_until(deadline) => {
                    tracing::warn!(running, "shutdown grace over: stopping running jobs (refunded)");
                    report.stopped = running;
                    stopping = true;
                }
            }
        }
        report.finished = running_at_start - report.stopped;
        report
    }
}
