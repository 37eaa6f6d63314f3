//! One job's run: call the backend, forward its progress, settle with the
//! ledger, and end the event stream with `Done` or `Failed`.

use std::sync::Arc;
use std::time::Duration;

use easel_shared::job::{ImageData, JobEvent, JobFailure};
use easel_shared::{QuotaStatus, RequestId, UserKey};
use tokio::sync::{OwnedSemaphorePermit, mpsc};

use super::{Shared, Waiting};
use crate::backend::{BackendError, BackendEvent, GeneratedImage};
use crate::ledger::{LedgerError, SettleOutcome, Settlement};

/// Settle attempts before leaving the reservation to the reaper.
const SETTLE_ATTEMPTS: u32 = 3;

/// Runs a dispatched job to the end; `slot` is its share of the concurrency cap.
pub(super) async fn run(shared: Arc<Shared>, waiting: Waiting, slot: OwnedSemaphorePermit) {
    let Waiting {
        ticket,
        job,
        events,
        ..
    } = waiting;
    let user = ticket.reservation.user;
    let id = ticket.reservation.id;
    let reserved = ticket.reservation.images as usize;
    let _ = events.send(JobEvent::Started);

    let (progress_tx, mut progress_rx) = mpsc::channel(16);
    let call = async {
        let progress = progress_tx;
        shared.backend.generate(&job, &progress).await
    };
    let forward = async {
        while let Some(event) = progress_rx.recv().await {
            let _ = events.send(progress_event(event));
        }
    };
    let (result, ()) = tokio::join!(call, forward);
    // The upstream is done: the slot can serve the next job while we settle.
    drop(slot);

    let event = match result {
        Ok(output) if !output.images.is_empty() => {
            let mut images = output.images;
            images.truncate(reserved);
            let delivered = Settlement::Delivered {
                images: images.len() as u32,
                cost_micros: output.cost_micros,
            };
            let charged = match settle(&shared, user, &id, delivered).await {
                Some(SettleOutcome::Settled { charged, .. }) => charged,
                // Already finished elsewhere (reaped): the user got this one free.
                _ => 0,
            };
            JobEvent::Done {
                images: images.into_iter().map(image_data).collect(),
                charged,
                cost_micros: output.cost_micros,
                quota: status(&shared, user).await,
                // The gateway service stores the result and fills this in.
                result: None,
            }
        }
        Ok(output) => {
            // The provider billed a call that produced nothing: record the
            // cost, charge the user nothing.
            let nothing = Settlement::Delivered {
                images: 0,
                cost_micros: output.cost_micros,
            };
            settle(&shared, user, &id, nothing).await;
            JobEvent::Failed {
                failure: JobFailure::Failed,
                quota: status(&shared, user).await,
            }
        }
        Err(error) => {
            tracing::info!(%id, %user, %error, "job failed upstream");
            if let (BackendError::Blocked { .. }, Some(safety)) = (&error, &shared.safety) {
                safety.record_block(user);
            }
            settle(&shared, user, &id, Settlement::Failed).await;
            JobEvent::Failed {
                failure: failure_of(&error),
                quota: status(&shared, user).await,
            }
        }
    };
    shared.lock().running.remove(&id);
    let _ = events.send(event);
}

/// Refunds a job that never ran and ends its stream with `failure`.
pub(super) async fn refund(
    shared: &Shared,
    user: UserKey,
    id: &RequestId,
    failure: JobFailure,
    events: &mpsc::UnboundedSender<JobEvent>,
) {
    settle(shared, user, id, Settlement::Failed).await;
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
        BackendEvent::Partial { image, preview } => JobEvent::Partial {
            image,
            preview: image_data(preview),
        },
        BackendEvent::Retrying { attempt, .. } => JobEvent::Retrying { attempt },
    }
}

fn image_data(image: GeneratedImage) -> ImageData {
    ImageData {
        mime: image.mime,
        bytes: image.bytes,
    }
}

/// Settles, retrying a briefly unreachable ledger. If it stays unreachable
/// the reservation is left pending: its lease lapses and the reaper refunds
/// it, so the user is never charged for what could not be recorded.
async fn settle(
    shared: &Shared,
    user: UserKey,
    id: &RequestId,
    how: Settlement,
) -> Option<SettleOutcome> {
    let mut last: Option<LedgerError> = None;
    for attempt in 0..SETTLE_ATTEMPTS {
        if attempt > 0 {
            tokio::time::sleep(Duration::from_millis(100 << attempt)).await;
        }
        match shared.ledger.settle(user, id, how).await {
            Ok(outcome) => {
                if !matches!(outcome, SettleOutcome::Settled { .. }) {
                    tracing::warn!(%id, %user, ?outcome, "settle found the reservation finished");
                }
                return Some(outcome);
            }
            Err(error) => last = Some(error),
        }
    }
    if let Some(error) = last {
        tracing::error!(%id, %user, %error, "settle failed: the reaper will refund the reservation");
    }
    None
}

async fn status(shared: &Shared, user: UserKey) -> Option<QuotaStatus> {
    match shared.ledger.status(user).await {
        Ok(status) => Some(status),
        Err(error) => {
            tracing::warn!(%user, %error, "quota status unavailable after a job");
            None
        }
    }
}
