//! The events of every job submitted through the frontend API, kept until
//! the job ends plus a grace period, so a frontend whose connection dropped
//! reconnects with `Last-Event-ID` and gets each remaining event once.
//!
//! Event ids are the event's position in its job (0, 1, 2, ...): a resume
//! after id `n` starts at `n + 1`.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::response::sse::Event;
use easel_shared::job::JobEvent;
use futures::Stream;
use rand::RngCore;
use tokio::sync::watch;

use crate::service::JobStream;

/// Every live (and recently ended) job, by its handle.
#[derive(Default)]
pub struct Jobs {
    map: Mutex<HashMap<String, Arc<JobLog>>>,
}

/// One job's events so far.
struct JobLog {
    /// The frontend that submitted it: only it may read the events.
    owner: String,
    events: Mutex<Vec<JobEvent>>,
    /// Bumped on every event and when the job's stream closed.
    changed: watch::Sender<State>,
}

/// How far a job got.
#[derive(Debug, Clone, Copy, Default)]
struct State {
    /// Events recorded.
    count: usize,
    /// No more will come (the last was final, or the job's stream closed).
    ended: bool,
}

impl Jobs {
    /// Starts recording `events` for `owner`; returns the job's handle.
    /// The record is dropped `grace` after the job ended.
    pub fn track(self: &Arc<Self>, owner: &str, mut events: JobStream, grace: Duration) -> String {
        let mut raw = [0u8; 16];
        rand::rng().fill_bytes(&mut raw);
        let handle: String = raw.iter().map(|b| format!("{b:02x}")).collect();
        let log = Arc::new(JobLog {
            owner: owner.to_owned(),
            events: Mutex::new(Vec::new()),
            changed: watch::Sender::new(State::default()),
        });
        self.lock().insert(handle.clone(), log.clone());
        let jobs = self.clone();
        let key = handle.clone();
        tokio::spawn(async move {
            while let Some(event) = events.recv().await {
                let last = event.is_final();
                let count = {
                    let mut kept = log.events.lock().unwrap_or_else(PoisonError::into_inner);
                    kept.push(event);
                    kept.len()
                };
                log.changed.send_replace(State { count, ended: last });
                if last {
                    break;
                }
            }
            log.changed.send_modify(|s| s.ended = true);
            tokio::time::sleep(grace).await;
            jobs.lock().remove(&key);
        });
        handle
    }

    /// The SSE events of job `handle` from position `from` on, ending after
    /// the job's last event; `None` if `owner` has no such job (unknown,
    /// another frontend's, or dropped after its grace).
    pub fn follow(
        &self,
        owner: &str,
        handle: &str,
        from: usize,
    ) -> Option<impl Stream<Item = Result<Event, Infallible>> + Send + use<>> {
        let log = self.lock().get(handle).cloned()?;
        if log.owner != owner {
            return None;
        }
        let rx = log.changed.subscribe();
        Some(futures::stream::unfold(
            (log, rx, from, false),
            |(log, mut rx, next, done)| async move {
                if done {
                    return None;
                }
                loop {
                    let state = *rx.borrow_and_update();
                    if next < state.count {
                        let event =
                            log.events.lock().unwrap_or_else(PoisonError::into_inner)[next].clone();
                        let last = event.is_final();
                        let sse = Event::default()
                            .id(next.to_string())
                            .json_data(&event)
                            .unwrap_or_else(|_| Event::default().comment("unserializable"));
                        return Some((Ok(sse), (log, rx, next + 1, last)));
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
