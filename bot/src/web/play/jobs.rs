//! The playground's jobs in this process. Each submitted job's events are
//! logged from the moment the gateway takes it, so the page's event stream
//! may connect after the submit answered, and a reloaded page resumes where
//! it was (`Last-Event-ID` is an index into the log). Finished jobs stay
//! until [`FINISHED_KEPT`] newer ones finished, so memory stays bounded
//! without a timer.
//!
//! A job is followed on the replica that submitted it: behind a load
//! balancer the playground needs sticky sessions (the stored results and
//! the history are shared by every replica regardless).

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, PoisonError};

use easel_gateway::ledger::Clock;
use easel_gateway::service::JobStream;
use easel_shared::job::JobEvent;
use easel_shared::{RequestId, UnixMillis, UserKey};
use tokio::sync::watch;

/// Finished jobs kept for a late or resumed event stream.
pub const FINISHED_KEPT: usize = 64;

/// One logged step of a job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    /// An event from the gateway. A finished job's images are dropped from
    /// its `Done` when they were stored (the page loads them by result id).
    Event(JobEvent),
    /// The gateway's stream ended without a final event (an internal fault).
    Lost,
}

impl Entry {
    /// Whether nothing follows this entry.
    pub fn is_final(&self) -> bool {
        match self {
            Entry::Event(event) => event.is_final(),
            Entry::Lost => true,
        }
    }
}

/// A logged entry and when it arrived (on the gateway's clock).
#[derive(Debug, Clone)]
pub struct Logged {
    /// What happened.
    pub entry: Entry,
    /// When it was logged.
    pub at: UnixMillis,
}

/// One job of the playground.
#[derive(Debug)]
pub struct Job {
    /// Its request id (also the page's job id).
    pub id: RequestId,
    /// Who submitted it: only they may follow it.
    pub owner: UserKey,
    /// The words shown under its result.
    pub caption: String,
    /// When it was submitted, for the elapsed time in progress texts.
    pub submitted: UnixMillis,
    log: Mutex<Vec<Logged>>,
    /// The log's length, for followers to wait on.
    len: watch::Sender<usize>,
}

impl Job {
    /// Entry `index` of the log, once it arrived (a copy; the log only grows).
    pub fn at(&self, index: usize) -> Option<Logged> {
        let log = self.log.lock().unwrap_or_else(PoisonError::into_inner);
        log.get(index).cloned()
    }

    /// Whether the job ended.
    pub fn finished(&self) -> bool {
        let log = self.log.lock().unwrap_or_else(PoisonError::into_inner);
        log.last().is_some_and(|l| l.entry.is_final())
    }

    /// Waits until the log is longer than `seen` entries.
    pub async fn wait_beyond(&self, seen: usize) {
        let mut len = self.len.subscribe();
        // The sender lives as long as the job, so this only ends on growth.
        let _ = len.wait_for(|&n| n > seen).await;
    }

    fn push(&self, entry: Entry, at: UnixMillis) {
        let len = {
            let mut log = self.log.lock().unwrap_or_else(PoisonError::into_inner);
            log.push(Logged { entry, at });
            log.len()
        };
        self.len.send_replace(len);
    }
}

/// Every playground job of this process.
#[derive(Debug, Clone, Default)]
pub struct Jobs {
    inner: Arc<Mutex<Registry>>,
}

#[derive(Debug, Default)]
struct Registry {
    jobs: HashMap<RequestId, Arc<Job>>,
    finished: VecDeque<RequestId>,
}

impl Jobs {
    /// Logs `events` of the job `id` in a spawned task until it ends.
    pub fn start(
        &self,
        id: RequestId,
        owner: UserKey,
        caption: String,
        events: JobStream,
        clock: Clock,
    ) -> Arc<Job> {
        let job = Arc::new(Job {
            id: id.clone(),
            owner,
            caption,
            submitted: clock.now(),
            log: Mutex::new(Vec::new()),
            len: watch::Sender::new(0),
        });
        self.lock().jobs.insert(id, job.clone());
        tokio::spawn(follow(self.clone(), job.clone(), events, clock));
        job
    }

    /// The job `id` if `user` submitted it (anyone else's is not found).
    pub fn get(&self, user: UserKey, id: &RequestId) -> Option<Arc<Job>> {
        self.lock()
            .jobs
            .get(id)
            .filter(|job| job.owner == user)
            .cloned()
    }

    /// The user's jobs still running, oldest first (a reloaded page follows them).
    pub fn running(&self, user: UserKey) -> Vec<Arc<Job>> {
        let mut jobs: Vec<_> = self
            .lock()
            .jobs
            .values()
            .filter(|job| job.owner == user && !job.finished())
            .cloned()
            .collect();
        jobs.sort_by_key(|job| job.submitted);
        jobs
    }

    fn finish(&self, id: &RequestId) {
        let mut registry = self.lock();
        registry.finished.push_back(id.clone());
        while registry.finished.len() > FINISHED_KEPT {
            if let Some(old) = registry.finished.pop_front() {
                registry.jobs.remove(&old);
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Registry> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Drains the gateway's stream into the job's log.
async fn follow(jobs: Jobs, job: Arc<Job>, mut events: JobStream, clock: Clock) {
    loop {
        let entry = match events.recv().await {
            Some(event) => Entry::Event(slim(event)),
            None => {
                tracing::error!(request = %job.id, "a playground job's events ended without an outcome");
                Entry::Lost
            }
        };
        let last = entry.is_final();
        job.push(entry, clock.now());
        if last {
            break;
        }
    }
    jobs.finish(&job.id);
}

/// A stored result's images are served from the result store; keeping them
/// in the log too would hold every finished job's files in memory.
fn slim(event: JobEvent) -> JobEvent {
    match event {
        JobEvent::Done {
            images,
            charged,
            cost_micros,
            usage,
            quota,
            result: Some(result),
        } => JobEvent::Done {
            images: images
                .into_iter()
                .map(|image| easel_shared::job::ImageData {
                    mime: image.mime,
                    bytes: bytes::Bytes::new(),
                })
                .collect(),
            charged,
            cost_micros,
            usage,
            quota,
            result: Some(result),
        },
        other => other,
    }
}
