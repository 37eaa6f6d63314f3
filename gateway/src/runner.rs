//! The job runner: admitted jobs wait in a fair queue, start under a global
//! concurrency cap and the provider's pacing, and report their progress as
//! [`JobEvent`]s until they settle with the ledger.
//!
//! - Fairness: a [`FairQueue`] across users weighted by cost (credits) and
//!   plan priority, not FIFO, with a per-user cap on waiting jobs.
//! - Pacing: a governor direct limiter at `runner.images_per_minute` (0: none),
//!   timed by the ledger's clock (`runner/pace.rs`).
//! - Leases: one task renews the leases of every held reservation (waiting or
//!   running) every `ledger.lease / 3` of the ledger's clock in ONE ledger
//!   call ([`Ledger::renew_many`]), so only a dead process's jobs are reaped
//!   (and a test's manual clock drives renewal). A refused renewal, or none
//!   confirmed for a whole lease, means the reservation is (or may be)
//!   refunded: the job's upstream call is stopped and the user told nothing
//!   was charged (`JobFailure::ReservationLost`).
//! - Settle: through the [`SettleOutbox`]; images are delivered only after
//!   the settle landed as charged, so no image is ever delivered unpaid.
//! - Cancel: a waiting job can be cancelled (full refund); once the upstream
//!   call started the user cannot cancel it, because the provider bills it.
//!
//! Invariant: every submitted ticket is settled exactly once by this runner
//! (delivered or refunded, through the outbox when the ledger is away), or
//! left to the reaper if the process dies. See docs/ledger.md.

mod drain;
pub mod fair;
mod job;
mod lease;
mod pace;
pub mod redis;
mod shared_queue;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use easel_shared::job::{JobEvent, JobFailure, QueueSnapshot, QueuedJob};
use easel_shared::results::Continuation;
use easel_shared::{RequestId, UnixMillis, UserKey};
use tokio::sync::{Notify, Semaphore, mpsc, oneshot, watch};
use tokio_util::sync::CancellationToken;

pub use drain::DrainReport;
pub use fair::FairQueue;

use crate::admission::{AbortOnDrop, SafetyCooldown, Ticket};
use crate::backend::{ImageBackend, ImageJob};
use crate::ledger::outbox::SettleOutbox;
use crate::ledger::{Clock, Ledger, SharedConfig};
use crate::metrics::Metrics;
use pace::Pacer;
use redis::RedisQueue;

/// A submitted job as its submitter holds it.
#[derive(Debug)]
pub struct JobHandle {
    /// The request (and reservation) id, for [`JobRunner::cancel`].
    pub id: RequestId,
    /// Events in order; the last one is `Done` or `Failed`.
    pub events: mpsc::UnboundedReceiver<JobEvent>,
    /// The backend's handle on the conversation, sent before `Done` when
    /// the delivered images have one (kept out of [`JobEvent`]: frontends
    /// never see it; the gateway stores it with the result).
    pub continuation: oneshot::Receiver<Continuation>,
}

/// Why a ticket was not taken (nothing was queued; the ticket is untouched).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SubmitError {
    /// The ticket replays an earlier admission (a redelivered event): that
    /// request already ran or is running, and must not run twice.
    #[error("request {0} was already admitted and runs elsewhere")]
    Replayed(RequestId),
    /// A job with this id is already waiting or running here.
    #[error("request {0} is already queued or running")]
    Duplicate(RequestId),
}

/// What a cancel did (one enum from the runner through the `Gateway` port).
pub use easel_shared::job::CancelOutcome;

/// The job runner. Call [`JobRunner::shutdown`] to refund waiting jobs;
/// merely dropping it stops dispatching and lease renewal, and waiting jobs'
/// reservations are then refunded by the reaper once their leases lapse.
/// Jobs already running finish and settle either way.
pub struct JobRunner {
    shared: Arc<Shared>,
    /// The dispatcher and the lease renewer (and, on the shared queue, the
    /// event reader), stopped on drop.
    tasks: Vec<AbortOnDrop>,
}

/// State shared by the runner, its dispatcher, its renewer and running jobs.
struct Shared {
    ledger: Arc<dyn Ledger>,
    /// Every settle goes through it, so none is lost to a ledger outage.
    outbox: Arc<SettleOutbox>,
    backend: Arc<dyn ImageBackend>,
    safety: Option<Arc<SafetyCooldown>>,
    config: SharedConfig,
    state: Mutex<State>,
    /// Wakes the dispatcher when a job arrives.
    wake: Notify,
    /// Lease-renewal passes completed, so a test can wait for one.
    renewals: watch::Sender<u64>,
    /// The ledger's clock: leases are confirmed and lapse on its time.
    clock: Clock,
    /// Queue depth and wait, settles and refunds are counted here.
    metrics: Metrics,
    /// Signalled whenever a running job ends, so a drain can wait for them.
    finished: Notify,
    /// The shared queue on Redis (`runner.queue = "redis"`); `None`: `state.queue`.
    queue: Option<RedisQueue>,
    /// Jobs accepted here whose events are read from the shared queue.
    follows: shared_queue::Follows,
    /// This process's share of `runner.concurrency`.
    slots: Arc<Semaphore>,
}

#[derive(Default)]
struct State {
    queue: FairQueue<Waiting>,
    /// Jobs whose upstream call started, by id.
    running: HashMap<RequestId, Running>,
    /// When each held reservation's lease was last confirmed (or the job
    /// was submitted): a lease not confirmed for `ledger.lease` may be reaped.
    confirmed: HashMap<RequestId, UnixMillis>,
    /// Set by shutdown: new jobs are refunded at once.
    closed: bool,
}

/// A job whose upstream call started.
struct Running {
    /// Who owns it (cancel checks it).
    user: UserKey,
    /// Images and credits held, and when it started: the admin's queue view.
    images: u32,
    credits: u32,
    started: UnixMillis,
    /// Stops the upstream call when the reservation is lost.
    stop: CancellationToken,
    /// Stops the upstream call without settling or a final event: the job
    /// goes on elsewhere (handed back, or taken over by another replica).
    quiet: CancellationToken,
    /// Its entry in the shared queue's running stream, if it came from there.
    entry: Option<String>,
}

/// A job in the queue.
struct Waiting {
    ticket: Ticket,
    job: ImageJob,
    events: mpsc::UnboundedSender<JobEvent>,
    /// Where a delivered job's continuation goes (see [`JobHandle`]).
    continuation: oneshot::Sender<Continuation>,
    /// The position last announced, so only changes are sent.
    announced: Option<u32>,
    /// When it was queued (ledger clock), for the queue-wait histogram.
    queued_at: UnixMillis,
}

impl JobRunner {
    /// Starts a runner (inside a Tokio runtime) sending jobs to `backend`
    /// and settling through `outbox` (over the same ledger).
    /// `runner.*` is read now: concurrency and pacing need a restart to
    /// change. Safety blocks are reported to `safety` (the gatekeeper's).
    /// Lease renewal and pacing wait on `clock` (the ledger's).
    pub fn start(
        ledger: Arc<dyn Ledger>,
        outbox: Arc<SettleOutbox>,
        backend: Arc<dyn ImageBackend>,
        config: SharedConfig,
        safety: Option<Arc<SafetyCooldown>>,
        clock: Clock,
    ) -> Self {
        let metrics = Metrics::new();
        Self::start_observed(ledger, outbox, backend, config, safety, clock, metrics)
    }

    /// [`JobRunner::start`], counting on `metrics`.
    pub fn start_observed(
        ledger: Arc<dyn Ledger>,
        outbox: Arc<SettleOutbox>,
        backend: Arc<dyn ImageBackend>,
        config: SharedConfig,
        safety: Option<Arc<SafetyCooldown>>,
        clock: Clock,
        metrics: Metrics,
    ) -> Self {
        Self::start_with(
            ledger, outbox, backend, config, safety, clock, metrics, None,
        )
    }

    /// [`JobRunner::start_observed`] on the shared queue `queue` (or the
    /// in-process one with `None`); see docs/queue.md.
    #[allow(clippy::too_many_arguments)]
    pub fn start_with(
        ledger: Arc<dyn Ledger>,
        outbox: Arc<SettleOutbox>,
        backend: Arc<dyn ImageBackend>,
        config: SharedConfig,
        safety: Option<Arc<SafetyCooldown>>,
        clock: Clock,
        metrics: Metrics,
        queue: Option<RedisQueue>,
    ) -> Self {
        let runner = config.load().runner.clone();
        let local = match (&queue, runner.workers) {
            (Some(_), workers) if workers > 0 => workers,
            _ => runner.concurrency,
        };
        let slots = Arc::new(Semaphore::new(local.max(1) as usize));
        let shared = Arc::new(Shared {
            ledger,
            outbox,
            backend,
            safety,
            config,
            state: Mutex::new(State::default()),
            wake: Notify::new(),
            renewals: watch::Sender::new(0),
            clock: clock.clone(),
            metrics,
            finished: Notify::new(),
            queue,
            follows: shared_queue::Follows::default(),
            slots: Arc::clone(&slots),
        });
        let mut tasks = Vec::with_capacity(3);
        if shared.queue.is_some() {
            tasks.push(AbortOnDrop(tokio::spawn(shared_queue::dispatch(
                Arc::clone(&shared),
            ))));
            tasks.push(AbortOnDrop(tokio::spawn(shared_queue::read(
                Arc::downgrade(&shared),
            ))));
        } else {
            let pacer = Pacer::new(runner.images_per_minute, clock.clone());
            let dispatcher = tokio::spawn(dispatch(Arc::clone(&shared), slots, pacer));
            tasks.push(AbortOnDrop(dispatcher));
        }
        // The first deadline is fixed here, not when the task first runs, so
        // a manual clock advanced right after start still reaches it.
        let lease = shared.config.load().ledger.lease;
        let first = clock.now().plus(lease::renew_every(lease));
        let renewer = tokio::spawn(lease::renew(Arc::downgrade(&shared), clock, first));
        tasks.push(AbortOnDrop(renewer));
        Self { shared, tasks }
    }

    /// Queues an admitted job. Its events start with `Queued`. If the user
    /// already has `runner.max_queued_per_user` jobs waiting, the reservation
    /// is refunded and the stream holds only `Failed { TooManyQueued }`
    /// (after [`JobRunner::shutdown`]: `Failed { ShuttingDown }`).
    pub async fn submit(&self, ticket: Ticket, job: ImageJob) -> Result<JobHandle, SubmitError> {
        let id = ticket.reservation.id.clone();
        if ticket.reservation.replayed {
            return Err(SubmitError::Replayed(id));
        }
        if self.shared.queue.is_some() {
            return shared_queue::submit(&self.shared, ticket, job).await;
        }
        let user = ticket.reservation.user;
        let (events, rx) = mpsc::unbounded_channel();
        let (continuation, continuation_rx) = oneshot::channel();
        let handle = JobHandle {
            id: id.clone(),
            events: rx,
            continuation: continuation_rx,
        };
        let limit = self.shared.config.load().runner.max_queued_per_user;
        let refused = {
            let mut state = self.shared.lock();
            if state.running.contains_key(&id) {
                return Err(SubmitError::Duplicate(id));
            }
            if state.closed {
                JobFailure::ShuttingDown
            } else if limit > 0 && state.queue.queued_by(user) >= limit {
                JobFailure::TooManyQueued { limit }
            } else {
                let credits = ticket.credits;
                let weight = 1 + u32::from(ticket.priority);
                let waiting = Waiting {
                    ticket,
                    job,
                    events,
                    continuation,
                    announced: None,
                    queued_at: self.shared.clock.now(),
                };
                if state
                    .queue
                    .push(id.clone(), user, credits, weight, waiting)
                    .is_err()
                {
                    return Err(SubmitError::Duplicate(id));
                }
                let now = self.shared.clock.now();
                state.confirmed.insert(id, now);
                announce(&mut state.queue);
                self.shared.metrics.queue_depth(state.queue.len());
                drop(state);
                self.shared.wake.notify_one();
                return Ok(handle);
            }
        };
        job::refund(&self.shared, user, &id, refused, &events).await;
        Ok(handle)
    }

    /// The events of job `id` accepted by another replica, read from the
    /// shared queue from the start through its final event; `None` without
    /// a shared queue or when the queue does not know the job.
    pub async fn follow_elsewhere(
        &self,
        id: &RequestId,
    ) -> Option<mpsc::UnboundedReceiver<JobEvent>> {
        shared_queue::replay(self.shared.queue.as_ref()?, id).await
    }

    /// Cancels a waiting job of `user`: it leaves the queue, is fully
    /// refunded and its stream ends with `Failed { Cancelled }`.
    pub async fn cancel(&self, user: UserKey, id: &RequestId) -> CancelOutcome {
        if self.shared.queue.is_some() {
            return shared_queue::cancel(&self.shared, Some(user), id).await;
        }
        self.cancel_where(id, |owner| owner == user).await
    }

    /// Cancels `id` if it waits here and `may(owner)` allows it.
    async fn cancel_where(&self, id: &RequestId, may: impl Fn(UserKey) -> bool) -> CancelOutcome {
        let taken = {
            let mut state = self.shared.lock();
            if state.queue.owner(id).is_some_and(&may) {
                let taken = state.queue.remove(id);
                announce(&mut state.queue);
                self.shared.metrics.queue_depth(state.queue.len());
                taken
            } else if state.running.get(id).is_some_and(|r| may(r.user)) {
                return CancelOutcome::AlreadyStarted;
            } else {
                return CancelOutcome::Unknown;
            }
        };
        let Some((user, waiting)) = taken else {
            return CancelOutcome::Unknown;
        };
        job::refund(
            &self.shared,
            user,
            id,
            JobFailure::Cancelled,
            &waiting.events,
        )
        .await;
        CancelOutcome::Cancelled
    }

    /// What waits here (in leaving order) and what runs here right now.
    fn local_snapshot(&self) -> QueueSnapshot {
        let mut state = self.shared.lock();
        let mut waiting = Vec::with_capacity(state.queue.len());
        state.queue.for_each_ranked(|position, user, job| {
            waiting.push(QueuedJob {
                id: job.ticket.reservation.id.clone(),
                user: *user,
                images: job.ticket.reservation.images,
                credits: job.ticket.credits,
                since: job.queued_at,
                position: Some(position),
            });
        });
        let mut running: Vec<QueuedJob> = state
            .running
            .iter()
            .map(|(id, job)| QueuedJob {
                id: id.clone(),
                user: job.user,
                images: job.images,
                credits: job.credits,
                since: job.started,
                position: None,
            })
            .collect();
        running.sort_by(|a, b| (a.since, &a.id).cmp(&(b.since, &b.id)));
        QueueSnapshot { waiting, running }
    }

    /// Stops starting jobs and refunds every waiting one (their streams end
    /// with `Failed { ShuttingDown }`), as well as any job submitted later.
    /// Running jobs finish and settle.
    pub async fn shutdown(&self) {
        for task in &self.tasks {
            task.0.abort();
        }
        let waiting: Vec<(RequestId, UserKey, Waiting)> = {
            let mut state = self.shared.lock();
            state.closed = true;
            self.shared.metrics.queue_depth(0);
            std::iter::from_fn(|| state.queue.pop()).collect()
        };
        for (id, user, waiting) in waiting {
            let failure = JobFailure::ShuttingDown;
            job::refund(&self.shared, user, &id, failure, &waiting.events).await;
        }
    }

    /// Waiting jobs (in leaving order) and running ones: on the shared
    /// queue, the whole deployment's.
    pub async fn snapshot(&self) -> QueueSnapshot {
        if self.shared.queue.is_some() {
            return shared_queue::snapshot(&self.shared).await;
        }
        self.local_snapshot()
    }

    /// Cancels a waiting job whoever owns it (an admin's cancel).
    pub async fn cancel_any(&self, id: &RequestId) -> CancelOutcome {
        if self.shared.queue.is_some() {
            return shared_queue::cancel(&self.shared, None, id).await;
        }
        let owner = {
            let state = self.shared.lock();
            state
                .queue
                .owner(id)
                .or_else(|| state.running.get(id).map(|r| r.user))
        };
        match owner {
            Some(user) => self.cancel(user, id).await,
            None => CancelOutcome::Unknown,
        }
    }

    /// Counts completed lease-renewal passes (tests wait on it instead of sleeping).
    pub fn renewal_passes(&self) -> watch::Receiver<u64> {
        self.shared.renewals.subscribe()
    }

    /// Jobs waiting and jobs running right now.
    pub fn load(&self) -> (usize, usize) {
        let state = self.shared.lock();
        (state.queue.len(), state.running.len())
    }
}

impl Shared {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // Every critical section leaves the state consistent before it can panic.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Sends `Queued` to every waiting job whose position changed.
fn announce(queue: &mut FairQueue<Waiting>) {
    queue.for_each_ranked(|position, _, waiting| {
        if waiting.announced != Some(position) {
            waiting.announced = Some(position);
            // A submitter that stopped listening is not an error.
            let _ = waiting.events.send(JobEvent::Queued { position });
        }
    });
}

/// Starts jobs: a free slot, then a waiting job, then pacing, then go.
async fn dispatch(shared: Arc<Shared>, slots: Arc<Semaphore>, pacer: Option<Pacer>) {
    loop {
        let Ok(slot) = Arc::clone(&slots).acquire_owned().await else {
            return;
        };
        let images = loop {
            let woken = shared.wake.notified();
            if let Some(next) = shared.lock().queue.peek() {
                break next.ticket.reservation.images;
            }
            woken.await;
        };
        if let Some(pacer) = &pacer {
            pacer.until_ready(images).await;
        }
        let next = {
            let mut state = shared.lock();
            let next = state.queue.pop();
            let stop = CancellationToken::new();
            if let Some((id, user, waiting)) = &next {
                let running = Running {
                    user: *user,
                    images: waiting.ticket.reservation.images,
                    credits: waiting.ticket.credits,
                    started: shared.clock.now(),
                    stop: stop.clone(),
                    quiet: CancellationToken::new(),
                    entry: None,
                };
                state.running.insert(id.clone(), running);
            }
            announce(&mut state.queue);
            shared.metrics.queue_depth(state.queue.len());
            next.map(|next| (next, stop))
        };
        // The job may have been cancelled while we paced: then look again.
        if let Some(((_, _, waiting), stop)) = next {
            shared
                .metrics
                .queue_wait(waiting.queued_at, shared.clock.now());
            // Never fired in process: a job here has nowhere else to go.
            let quiet = CancellationToken::new();
            tokio::spawn(job::run(Arc::clone(&shared), waiting, slot, stop, quiet));
        }
    }
}
