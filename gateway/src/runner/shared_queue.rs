//! The runner on the shared queue (`runner.queue = "redis"`): jobs wait in
//! Redis, any replica's dispatcher claims them under the deployment-wide
//! cap and pacing, their events travel through a per-job stream to the
//! replica that accepted them (`follow.rs`), and a dead replica's jobs are
//! taken over (`takeover.rs`); another replica can follow a job it did
//! not accept (`replay.rs`). The unchanged `job::run` runs each one.
//! Design and crash analysis: docs/queue.md.

mod drain;
mod follow;
mod replay;
mod takeover;

use std::sync::Arc;
use std::time::Duration;

use easel_shared::job::{JobEvent, JobFailure, QueueSnapshot};
use easel_shared::{RequestId, UserKey};
use tokio::sync::{OwnedSemaphorePermit, mpsc, oneshot};
use tokio_util::sync::CancellationToken;

pub(super) use drain::drain;
pub(super) use follow::{Follows, read};
pub(super) use replay::replay;
pub(super) use takeover::renew_pass;

use super::redis::{Cancelled, Claim, Claimed, RedisQueue, StreamItem, Submitted};
use super::{CancelOutcome, JobHandle, Running, Shared, SubmitError, Waiting, job};
use crate::admission::Ticket;
use crate::backend::ImageJob;
use crate::ledger::Settlement;

/// The queue of a runner started on it (callers checked).
fn queue(shared: &Shared) -> &RedisQueue {
    shared.queue.as_ref().expect("shared queue")
}

/// Queues an admitted job in Redis and follows its events from here.
pub(super) async fn submit(
    shared: &Arc<Shared>,
    ticket: Ticket,
    job: ImageJob,
) -> Result<JobHandle, SubmitError> {
    let id = ticket.reservation.id.clone();
    let user = ticket.reservation.user;
    let (events, rx) = mpsc::unbounded_channel();
    let (continuation, continuation_rx) = oneshot::channel();
    let handle = JobHandle {
        id: id.clone(),
        events: rx,
        continuation: continuation_rx,
    };
    let (limit, closed) = {
        let state = shared.lock();
        (
            shared.config.load().runner.max_queued_per_user,
            state.closed,
        )
    };
    if closed {
        job::refund(shared, user, &id, JobFailure::ShuttingDown, &events).await;
        return Ok(handle);
    }
    // Followed before it is queued, so the submit's wake-up reads its stream.
    shared.follows.add(id.clone(), events.clone(), continuation);
    let failure = match queue(shared).submit(&ticket, &job, limit).await {
        Ok(Submitted::Queued { position }) => {
            shared
                .lock()
                .confirmed
                .insert(id.clone(), shared.clock.now());
            shared.follows.announce(&id, position);
            shared.wake.notify_one();
            return Ok(handle);
        }
        Ok(Submitted::Duplicate) => {
            shared.follows.remove(&id);
            return Err(SubmitError::Duplicate(id));
        }
        Ok(Submitted::TooMany) => JobFailure::TooManyQueued { limit },
        Err(error) => {
            tracing::error!(%id, %user, %error, "could not queue the job: refunded");
            JobFailure::Busy {
                retry_after_secs: None,
            }
        }
    };
    shared.follows.remove(&id);
    job::refund(shared, user, &id, failure, &events).await;
    Ok(handle)
}

/// Cancels a waiting job (of `user`, or anyone's with `None`): out of the
/// queue, refunded, its stream ends with `Failed { Cancelled }`.
pub(super) async fn cancel(
    shared: &Shared,
    user: Option<UserKey>,
    id: &RequestId,
) -> CancelOutcome {
    match queue(shared).cancel(user, id).await {
        Ok(Cancelled::Yes(owner)) => {
            fail_in_stream(shared, owner, id, JobFailure::Cancelled).await;
            CancelOutcome::Cancelled
        }
        Ok(Cancelled::Started) => CancelOutcome::AlreadyStarted,
        Ok(Cancelled::Unknown) => CancelOutcome::Unknown,
        Err(error) => {
            tracing::warn!(%id, %error, "cancel could not reach the queue");
            CancelOutcome::Unknown
        }
    }
}

/// The deployment's queue (empty when Redis cannot be read).
pub(super) async fn snapshot(shared: &Shared) -> QueueSnapshot {
    match queue(shared).snapshot().await {
        Ok((waiting, running)) => QueueSnapshot { waiting, running },
        Err(error) => {
            tracing::warn!(%error, "job queue snapshot unavailable");
            QueueSnapshot::default()
        }
    }
}

/// Refunds a job that will not run and ends its event stream with `failure`.
pub(super) async fn fail_in_stream(
    shared: &Shared,
    user: UserKey,
    id: &RequestId,
    failure: JobFailure,
) {
    shared.lock().confirmed.remove(id);
    job::settle_or_park(shared, user, id, Settlement::Failed).await;
    let quota = job::status(shared, user).await;
    let event = JobEvent::Failed { failure, quota };
    push(queue(shared), id, StreamItem::Event(event)).await;
}

/// Claims and starts jobs while this process has a free slot.
pub(super) async fn dispatch(shared: Arc<Shared>) {
    loop {
        let Ok(slot) = Arc::clone(&shared.slots).acquire_owned().await else {
            return;
        };
        // Registered before the claim, so a wake-up in between is kept.
        let woken = shared.wake.notified();
        tokio::pin!(woken);
        woken.as_mut().enable();
        if shared.lock().closed {
            return;
        }
        let config = shared.config.load();
        let (cap, pace) = (config.runner.concurrency, config.runner.images_per_minute);
        let lease = config.ledger.lease;
        drop(config);
        match queue(&shared).claim(cap, pace, lease).await {
            Ok(Claim::Job(claimed)) => start(&shared, *claimed, slot),
            Ok(Claim::Wait(until)) => {
                drop(slot);
                tokio::select! {
                    () = &mut woken => {}
                    () = shared.clock.sleep_until(until) => {}
                }
            }
            Ok(Claim::Full | Claim::Empty) => {
                drop(slot);
                woken.await;
            }
            Err(error) => {
                tracing::warn!(%error, "claiming from the job queue failed");
                drop(slot);
                tokio::select! {
                    () = &mut woken => {}
                    () = tokio::time::sleep(Duration::from_secs(1)) => {}
                }
            }
        }
    }
}

/// Runs a claimed job here: `job::run` with its events relayed to the
/// job's stream, then the entry acked.
pub(super) fn start(shared: &Arc<Shared>, claimed: Claimed, slot: OwnedSemaphorePermit) {
    let Claimed {
        id,
        entry,
        ticket,
        job,
        since,
    } = claimed;
    let (events, rx) = mpsc::unbounded_channel();
    let (continuation, continuation_rx) = oneshot::channel();
    let stop = CancellationToken::new();
    let quiet = CancellationToken::new();
    {
        let mut state = shared.lock();
        let running = Running {
            user: ticket.reservation.user,
            images: ticket.reservation.images,
            credits: ticket.credits,
            started: shared.clock.now(),
            stop: stop.clone(),
            quiet: quiet.clone(),
            entry: Some(entry.clone()),
        };
        state.running.insert(id.clone(), running);
        state.confirmed.insert(id.clone(), shared.clock.now());
    }
    shared.metrics.queue_wait(since, shared.clock.now());
    let waiting = Waiting {
        ticket,
        job,
        events,
        continuation,
        announced: None,
        queued_at: since,
    };
    tokio::spawn(job::run(Arc::clone(shared), waiting, slot, stop, quiet));
    tokio::spawn(relay(Arc::clone(shared), id, entry, rx, continuation_rx));
}

/// Writes a running job's events to its stream; after the final one, acks.
/// A stream that closes without a final event was stopped quietly: the job
/// goes on elsewhere, so nothing is written or acked.
async fn relay(
    shared: Arc<Shared>,
    id: RequestId,
    entry: String,
    mut events: mpsc::UnboundedReceiver<JobEvent>,
    mut continuation: oneshot::Receiver<easel_shared::results::Continuation>,
) {
    let queue = queue(&shared);
    while let Some(event) = events.recv().await {
        let last = event.is_final();
        if matches!(event, JobEvent::Done { .. })
            && let Ok(next) = continuation.try_recv()
        {
            push(queue, &id, StreamItem::Continuation(next)).await;
        }
        push(queue, &id, StreamItem::Event(event)).await;
        if last {
            ack(queue, &entry, &id).await;
            return;
        }
    }
}

/// How many times a write to the queue is tried before it is given up
/// (logged): about two minutes of Redis being away.
const TRIES: u32 = 60;

/// Appends to a job's stream, retrying while Redis is away.
pub(super) async fn push(queue: &RedisQueue, id: &RequestId, item: StreamItem) {
    for attempt in 1..=TRIES {
        match queue.push(id, &item).await {
            Ok(()) => return,
            Err(error) if attempt == TRIES => {
                tracing::error!(%id, %error, "job event lost: the queue stayed unreachable");
            }
            Err(_) => tokio::time::sleep(Duration::from_secs(2)).await,
        }
    }
}

/// Acks a finished job, retrying while Redis is away (an unacked entry of a
/// live consumer stays with it; after this process dies it is taken over,
/// found settled and acked then).
pub(super) async fn ack(queue: &RedisQueue, entry: &str, id: &RequestId) {
    for attempt in 1..=TRIES {
        match queue.ack(entry, id).await {
            Ok(()) => return,
            Err(error) if attempt == TRIES => {
                tracing::error!(%id, %error, "job not acked: the queue stayed unreachable");
            }
            Err(_) => tokio::time::sleep(Duration::from_secs(2)).await,
        }
    }
}
