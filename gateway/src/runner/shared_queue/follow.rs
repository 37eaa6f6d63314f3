//! Following jobs accepted here, wherever they run: one task per process
//! blocks on a dedicated connection over the wake stream and the event
//! streams of the jobs this process follows, forwards their items to the
//! submitters' channels, and wakes the dispatcher when the queue changed.

use std::collections::HashMap;
use std::sync::{Mutex, Weak};
use std::time::Duration;

use easel_shared::RequestId;
use easel_shared::job::JobEvent;
use easel_shared::results::Continuation;
use tokio::sync::{mpsc, oneshot};

use super::super::Shared;
use super::super::redis::{Reader, StreamItem};
use super::queue;

/// The jobs this process follows.
#[derive(Default)]
pub(in crate::runner) struct Follows {
    map: Mutex<HashMap<RequestId, Follow>>,
}

struct Follow {
    events: mpsc::UnboundedSender<JobEvent>,
    continuation: Option<oneshot::Sender<Continuation>>,
    /// The last entry read from its stream; "0-0" until the first (the
    /// stream holds no `Queued`, so its first entry is `Started` or the end).
    from: String,
    /// The position last announced.
    announced: Option<u32>,
}

impl Follows {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<RequestId, Follow>> {
        self.map.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Follows `id` from the start of its stream.
    pub(in crate::runner) fn add(
        &self,
        id: RequestId,
        events: mpsc::UnboundedSender<JobEvent>,
        continuation: oneshot::Sender<Continuation>,
    ) {
        let follow = Follow {
            events,
            continuation: Some(continuation),
            from: "0-0".to_owned(),
            announced: None,
        };
        self.lock().insert(id, follow);
    }

    /// Sends `Queued { position }` to the submitter of `id` if it changed.
    pub(in crate::runner) fn announce(&self, id: &RequestId, position: u32) {
        let mut map = self.lock();
        if let Some(follow) = map.get_mut(id)
            && follow.announced != Some(position)
            // Never a `Queued` after `Started`.
            && follow.from == "0-0"
        {
            follow.announced = Some(position);
            let _ = follow.events.send(JobEvent::Queued { position });
        }
    }

    /// Whether `id` is followed here.
    pub(in crate::runner) fn contains(&self, id: &RequestId) -> bool {
        self.lock().contains_key(id)
    }

    /// Jobs followed here.
    pub(in crate::runner) fn len(&self) -> usize {
        self.lock().len()
    }

    /// The ids followed here.
    pub(in crate::runner) fn ids(&self) -> Vec<RequestId> {
        self.lock().keys().cloned().collect()
    }

    /// Whether any followed job has not started yet.
    fn any_waiting(&self) -> bool {
        self.lock().values().any(|f| f.from == "0-0")
    }

    /// Stops following `id`.
    pub(in crate::runner) fn remove(&self, id: &RequestId) {
        self.lock().remove(id);
    }

    fn positions(&self) -> Vec<(RequestId, String)> {
        let map = self.lock();
        map.iter()
            .map(|(id, f)| (id.clone(), f.from.clone()))
            .collect()
    }

    /// Hands one stream item on; a final event ends the follow.
    fn deliver(&self, id: &RequestId, entry: String, item: StreamItem) {
        let mut map = self.lock();
        let Some(follow) = map.get_mut(id) else {
            return;
        };
        follow.from = entry;
        match item {
            StreamItem::Continuation(next) => {
                if let Some(tx) = follow.continuation.take() {
                    let _ = tx.send(next);
                }
            }
            StreamItem::Event(event) => {
                let last = event.is_final();
                let _ = follow.events.send(event);
                if last {
                    map.remove(id);
                }
            }
        }
    }
}

/// The reader task (see the module doc). Reconnects after a failure.
pub(in crate::runner) async fn read(shared: Weak<Shared>) {
    let mut reader: Option<(Reader, String)> = None;
    loop {
        let Some(strong) = shared.upgrade() else {
            return;
        };
        let (mut con, wake_from) = match reader.take() {
            Some(r) => r,
            None => match connect(&strong).await {
                Some(r) => r,
                None => {
                    drop(strong);
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    continue;
                }
            },
        };
        let follows = strong.follows.positions();
        drop(strong);
        let news = con.read(&wake_from, &follows).await;
        let Some(strong) = shared.upgrade() else {
            return;
        };
        match news {
            Ok(news) => {
                let woke = news.woke.is_some();
                let delivered = !news.items.is_empty();
                for (id, entry, item) in news.items {
                    match item {
                        Ok(item) => strong.follows.deliver(&id, entry, item),
                        Err(error) => tracing::error!(%id, %error, "unreadable job event skipped"),
                    }
                }
                if delivered {
                    // A drain waits for followed jobs to end too.
                    strong.finished.notify_waiters();
                }
                if woke {
                    strong.wake.notify_one();
                    if strong.follows.any_waiting() {
                        announce(&strong).await;
                    }
                }
                reader = Some((con, news.woke.unwrap_or(wake_from)));
            }
            Err(error) => {
                tracing::warn!(%error, "reading the job queue's events failed; reconnecting");
                drop(strong);
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }
}

/// New positions for the followed jobs still waiting (the queue changed).
async fn announce(shared: &Shared) {
    match queue(shared).snapshot().await {
        Ok((waiting, _)) => {
            for job in waiting {
                if let Some(position) = job.position {
                    shared.follows.announce(&job.id, position);
                }
            }
        }
        Err(error) => tracing::debug!(%error, "queue positions not refreshed"),
    }
}

async fn connect(shared: &Shared) -> Option<(Reader, String)> {
    let mut reader = match queue(shared).reader().await {
        Ok(r) => r,
        Err(error) => {
            tracing::warn!(%error, "job queue reader cannot connect");
            return None;
        }
    };
    match reader.wake_tip().await {
        // Whatever changed before now is seen by the first claim anyway.
        Ok(tip) => {
            shared.wake.notify_one();
            Some((reader, tip))
        }
        Err(error) => {
            tracing::warn!(%error, "job queue reader cannot read");
            None
        }
    }
}
