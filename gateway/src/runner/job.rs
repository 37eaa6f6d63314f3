//! One job's run: call the backend, forward its progress, settle with the
//! ledger (through the outbox), and end the event stream with `Done` or
//! `Failed`. Images are delivered only once their settle landed as charged.

use std::sync::Arc;

use easel_shared::job::{JobEvent, JobFailure};
use easel_shared::{QuotaStatus, RequestId, UserKey};
use tokio::sync::{OwnedSemaphorePermit, mpsc};
use tokio_util::sync::CancellationToken;

use super::{Shared, Waiting};
use crate::backend::{BackendError, BackendEvent, Billed};
use crate::ledger::{SettleOutcome, Settlement};
use crate::metrics::ReservationOutcome;

/// Runs a dispatched job to the end; `slot` is its share of the concurrency
/// cap; `stop` fires when its reservation is lost (the call is then dropped,
/// which aborts the upstream request); `quiet` stops it without a settle or
/// a final event, because the job goes on elsewhere (shared queue only).
pub(super) async fn run(
    shared: Arc<Shared>,
    waiting: Waiting,
    slot: OwnedSemaphorePermit,
    stop: CancellationToken,
    quiet: CancellationToken,
) {
    let Waiting {
        ticket,
        job,
        events,
        continuation,
        ..
    } = waiting;
    let user = ticket.reservation.user;
    let id = ticket.reservation.id;
    let reserved = ticket.reservation.images as usize;
    let _ = events.send(JobEvent::Started);

    let (progress_tx, mut progress_rx) = mpsc::channel(16);
    let call = async {
        let progress = progress_tx;
        tokio::select! {
            billed = shared.backend.generate_billed(&job, &progress) => Some(Some(billed)),
            () = stop.cancelled() => Some(None),
            () = quiet.cancelled() => None,
        }
    };
    let forward = async {
        while let Some(event) = progress_rx.recv().await {
            let _ = events.send(progress_event(event));
        }
    };
    let (billed, ()) = tokio::join!(call, forward);
    // The upstream is done: the slot can serve the next job while we settle.
    drop(slot);
    let Some(billed) = billed else {
        tracing::info!(%id, %user, "job stopped here: it goes on elsewhere");
        ended(&shared, &id);
        return;
    };

    let event = match billed {
        None => {
            tracing::warn!(%id, %user, "reservation lost: upstream call stopped");
            settle_or_park(&shared, user, &id, Settlement::Failed).await;
            JobEvent::Failed {
                failure: JobFailure::ReservationLost,
                quota: status(&shared, user).await,
            }
        }
        Some(Billed {
            result: Ok(output),
            cost_micros,
        }) if !output.images.is_empty() => {
            let mut images = output.images;
            images.truncate(reserved);
            let delivered = images.len() as u32;
            let how = Settlement::Delivered {
                images: delivered,
                cost_micros,
            };
            if let Some(queue) = &shared.queue {
                // Kept before the settle, so a replica taking this job over
                // after a crash past the settle delivers these images
                // instead of telling a charged user nothing was charged.
                let output = super::redis::Output {
                    images: images.clone(),
                    cost_micros,
                };
                if let Err(error) = queue.keep_output(&id, &output).await {
                    tracing::warn!(%id, %error, "output not kept in the queue before settling");
                }
            }
            // Deliver only what the ledger charged: wait for the settle to
            // land, through the outbox if the ledger is away.
            // The quota after the settle comes in the same round trip.
            let (settled, quota) = match shared.outbox.settle_then_status(user, &id, how).await {
                Ok((outcome, quota)) => (Ok(outcome), quota),
                // The outbox itself failed; the quota may still be readable.
                Err(error) => (Err(error), status(&shared, user).await),
            };
            let charged = match settled {
                Ok(SettleOutcome::Settled { charged, .. }) => {
                    shared.metrics.reservation(ReservationOutcome::Settled, 1);
                    Some(charged)
                }
                // An earlier send landed but its answer was lost.
                Ok(SettleOutcome::AlreadySettled) => {
                    Some(ticket.credits / ticket.reservation.images.max(1) * delivered)
                }
                Ok(outcome) => {
                    tracing::warn!(%id, %user, ?outcome, "settle found the reservation refunded: nothing delivered");
                    None
                }
                Err(error) => {
                    tracing::error!(%id, %user, %error, "settle could not be recorded: nothing delivered");
                    None
                }
            };
            if charged.is_some()
                && let Some(next) = output.continuation
            {
                // Sent before `Done`, so whoever reads `Done` finds it waiting.
                let _ = continuation.send(next);
            }
            match charged {
                Some(charged) => JobEvent::Done {
                    images,
                    charged,
                    cost_micros,
                    // The delivered attempt's tokens (the cost sums every attempt).
                    usage: output.usage,
                    quota,
                    // The gateway service stores the result and fills this in.
                    result: None,
                },
                None => JobEvent::Failed {
                    failure: JobFailure::ReservationLost,
                    quota,
                },
            }
        }
        Some(Billed {
            result: Ok(_),
            cost_micros,
        }) => {
            // The provider billed a call that produced nothing: record the
            // cost, charge the user nothing.
            let nothing = Settlement::Delivered {
                images: 0,
                cost_micros,
            };
            settle_or_park(&shared, user, &id, nothing).await;
            JobEvent::Failed {
                failure: JobFailure::Failed,
                quota: status(&shared, user).await,
            }
        }
        Some(Billed {
            result: Err(error),
            cost_micros,
        }) => {
            tracing::info!(%id, %user, %error, cost_micros, "job failed upstream");
            if let (BackendError::Blocked { .. }, Some(safety)) = (&error, &shared.safety) {
                // Best effort: the job's outcome does not wait on it.
                if let Err(e) = safety.record_block(user).await {
                    tracing::warn!(%id, %user, error = %e, "could not record a safety block");
                }
            }
            // Failed attempts that reported usage still count toward the spend.
            let how = if cost_micros > 0 {
                Settlement::Delivered {
                    images: 0,
                    cost_micros,
                }
            } else {
                Settlement::Failed
            };
            settle_or_park(&shared, user, &id, how).await;
            JobEvent::Failed {
                failure: failure_of(&error),
                quota: status(&shared, user).await,
            }
        }
    };
    ended(&shared, &id);
    let _ = events.send(event);
}

/// The job no longer runs here.
fn ended(shared: &Shared, id: &RequestId) {
    {
        let mut state = shared.lock();
        state.running.remove(id);
        state.confirmed.remove(id);
    }
    shared.finished.notify_waiters();
}

/// Refunds a job that never ran and ends its stream with `failure`.
pub(super) async fn refund(
    shared: &Shared,
    user: UserKey,
    id: &RequestId,
    failure: JobFailure,
    events: &mpsc::UnboundedSender<JobEvent>,
) {
    shared.lock().confirmed.remove(id);
    settle_or_park(shared, user, id, Settlement::Failed).await;
    let quota = status(shared, user).await;
    let _ = events.send(JobEvent::Failed { failure, quota });
}

/// The user-facing meaning of a backend failure (nothing is charged for any).
pub(super) fn failure_of(error: &BackendError) -> JobFailure {
    match error {
        BackendError::Busy { retry_after, .. } => JobFailure::Busy {
            retry_after_secs: retry_after.map(|d| d.as_secs().max(1)),
        },
        BackendError::CircuitOpen => JobFailure::Busy {
            retry_after_secs: None,
        },
        BackendError::Unavailable(reason) => {
            // Bad key or the operator's provider quota: only admins can fix it.
            tracing::error!(%reason, "image service unavailable: admins must act");
            JobFailure::ServiceUnavailable
        }
        BackendError::Blocked { reason } => JobFailure::Blocked {
            reason: reason.clone(),
        },
        BackendError::Rejected(reason) => JobFailure::Rejected {
            reason: reason.clone(),
        },
        BackendError::BadResponse(_) => JobFailure::Failed,
        BackendError::Timeout(_) => JobFailure::TimedOut,
        // The chain already told the admins (once) and tried every fallback.
        BackendError::ModelGone(_) => JobFailure::ModelUnavailable,
    }
}

fn progress_event(event: BackendEvent) -> JobEvent {
    match event {
        BackendEvent::Partial { image, preview } => JobEvent::Partial { image, preview },
        BackendEvent::Retrying { attempt, .. } => JobEvent::Retrying { attempt },
    }
}

/// Settles without delivering anything: at once if the ledger answers, else
/// parked in the outbox to land later (the user is told now either way).
pub(super) async fn settle_or_park(
    shared: &Shared,
    user: UserKey,
    id: &RequestId,
    how: Settlement,
) {
    match shared.outbox.settle_or_park(user, id, how).await {
        Ok(Some(SettleOutcome::Settled { .. })) | Ok(None) => {
            shared.metrics.reservation(ReservationOutcome::Refunded, 1);
        }
        Ok(Some(outcome)) => {
            tracing::warn!(%id, %user, ?outcome, "settle found the reservation finished")
        }
        Err(error) => {
            tracing::error!(%id, %user, %error, "settle lost: the reaper will refund the reservation")
        }
    }
}

pub(super) async fn status(shared: &Shared, user: UserKey) -> Option<QuotaStatus> {
    match shared.ledger.status(user).await {
        Ok(status) => Some(status),
        Err(error) => {
            tracing::warn!(%user, %error, "quota status unavailable after a job");
            None
        }
    }
}
