//! Following a job this process did not accept: its events are read from
//! its stream (`{q}:ev:<id>`) from the start, so a frontend that lost the
//! accepting replica (or reconnected through a load balancer) still sees
//! the job through to its final event.

use std::time::Duration;

use easel_shared::RequestId;
use easel_shared::job::JobEvent;
use tokio::sync::mpsc;

use super::super::redis::{RedisQueue, StreamItem};

/// The events of job `id` from its stream's start, ending at its final
/// event; `None` if the queue knows no such job (neither waiting, running
/// nor recently ended) or cannot be read. The continuation entry is
/// skipped: only the accepting replica stores results.
pub(in crate::runner) async fn replay(
    queue: &RedisQueue,
    id: &RequestId,
) -> Option<mpsc::UnboundedReceiver<JobEvent>> {
    match queue.known(id).await {
        Ok(true) => {}
        Ok(false) => return None,
        Err(error) => {
            tracing::warn!(%id, %error, "cannot tell whether the queue knows a job");
            return None;
        }
    }
    let mut reader = match queue.reader().await {
        Ok(reader) => reader,
        Err(error) => {
            tracing::warn!(%id, %error, "cannot read a job's events");
            return None;
        }
    };
    let (tx, rx) = mpsc::unbounded_channel();
    let id = id.clone();
    tokio::spawn(async move {
        let mut from = "0-0".to_owned();
        let mut failures = 0u32;
        // Ends when the follower is gone, at the final event, or after
        // Redis stayed away for a while (the stream then closes early).
        while !tx.is_closed() {
            let follows = [(id.clone(), from.clone())];
            let news = match reader.read("$", &follows).await {
                Ok(news) => news,
                Err(error) => {
                    failures += 1;
                    tracing::warn!(%id, %error, "reading a job's events failed");
                    if failures > 30 {
                        return;
                    }
                    // Redis away: about half a minute before giving up.
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    continue;
                }
            };
            failures = 0;
            for (_, entry, item) in news.items {
                from = entry;
                match item {
                    Ok(StreamItem::Event(event)) => {
                        let last = event.is_final();
                        if tx.send(event).is_err() || last {
                            return;
                        }
                    }
                    Ok(StreamItem::Continuation(_)) => {}
                    Err(error) => tracing::error!(%id, %error, "unreadable job event skipped"),
                }
            }
        }
    });
    Some(rx)
}
