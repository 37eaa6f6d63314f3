//! The events of every job followed through the frontend API, kept until
//! the job ends plus a grace period, so a frontend whose connection dropped
//! reconnects with `Last-Event-ID` and gets each remaining event once.
//!
//! Event ids are the same on every replica, so a resume that crosses
//! replicas (the shared job queue) delivers each event once: the `n`-th
//! `Queued` of the job has id `n` (0-based; only the accepting replica
//! announces positions), and the `k`-th other event (`Started`, ...,
//! `Done`: exactly the job's event stream in Redis) has id
//! [`STREAM_IDS`]` + k`. A resume after id `i` starts at the first event
//! with a larger id.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::response::sse::Event;
use easel_shared::job::JobEvent;
use futures::Stream;
use tokio::sync::watch;

use crate::service::JobStream;

/// The id of a job's first event after its queue positions.
pub const STREAM_IDS: u64 = 1_000_000;

/// Every live (and recently ended) job, by its handle.
#[derive(Default)]
pub struct Jobs {
    map: Mutex<HashMap<String, Arc<JobLog>>>,
}

/// One job's events so far, with their ids.
struct JobLog {
    /// The frontend that follows it: only it may read the events.
    owner: String,
    events: Mutex<Vec<(u64, JobEvent)>>,
    /// Bumped on every event and when the job's stream closed.
    changed: watch::Sender<State>,
}

/// How far a job got.
#[derive(Debug, Clone, Copy, Default)]
struct State {
    /// No more will come (the last was final, or the job's stream closed).
    ended: bool,
}

impl Jobs {
    /// Starts recording `events` of job `handle` for `owner` (unless it is
    /// recorded already). The record is dropped `grace` after the job ended.
    pub fn track(self: &Arc<Self>, owner: &str, handle: &str, events: JobStream, grace: Duration) {
        let log = {
            let mut map = self.lock();
            if map.contains_key(handle) {
                return;
            }
            let log = Arc::new(JobLog {
                owner: owner.to_owned(),
                events: Mutex::new(Vec::new()),
                changed: watch::Sender::new(State::default()),
            });
            map.insert(handle.to_owned(), log.clone());
            log
        };
        let jobs = self.clone();
        let key = handle.to_owned();
        tokio::spawn(async move {
            record(&log, events).await;
            log.changed.send_modify(|s| s.ended = true);
            tokio::time::sleep(grace).await;
            jobs.lock().remove(&key);
        });
    }

    /// Whether job `handle` is recorded here.
    pub fn contains(&self, handle: &str) -> bool {
        self.lock().contains_key(handle)
    }

    /// The SSE events of job `handle` with ids above `after` (all with
    /// `None`), ending after the job's last event; `None` if `owner` has no
    /// such job (unknown, another frontend's, or dropped after its grace).
    pub fn follow(
        &self,
        owner: &str,
        handle: &str,
        after: Option<u64>,
    ) -> Option<impl Stream<Item = Result<Event, Infallible>> + Send + use<>> {
        let log = self.lock().get(handle).cloned()?;
        if log.owner != owner {
            return None;
        }
        let rx = log.changed.subscribe();
        Some(futures::stream::unfold(
            (log, rx, after, false),
            |(log, mut rx, after, done)| async move {
                if done {
                    return None;
                }
                loop {
                    let state = *rx.borrow_and_update();
                    let next = log
                        .events
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .iter()
                        .find(|(id, _)| after.is_none_or(|a| *id > a))
                        .cloned();
                    if let Some((id, event)) = next {
                        let last = event.is_final();
                        let sse = Event::default()
                            .id(id.to_string())
                            .json_data(&event)
                            .unwrap_or_else(|_| Event::default().comment("unserializable"));
                        return Some((Ok(sse), (log, rx, Some(id), last)));
                    }
                    if state.ended {
                        return None;
                    }
                    if rx.changed().await.is_err() {
                        return None;
                    }
                }
            },
        ))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<JobLog>>> {
        self.map.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Records `events` into `log` with their ids, up to the final one.
async fn record(log: &JobLog, mut events: JobStream) {
    let (mut queued, mut streamed) = (0u64, 0u64);
    while let Some(event) = events.recv().await {
        let id = if matches!(event, JobEvent::Queued { .. }) {
            if queued + 1 >= STREAM_IDS {
                continue; // informative only; a million moves is no job's
            }
            queued += 1;
            queued - 1
        } else {
            streamed += 1;
            STREAM_IDS + streamed - 1
        };
        let last = event.is_final();
        log.events
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push((id, event));
        log.changed.send_replace(State { ended: last });
        if last {
            break;
        }
    }
}
