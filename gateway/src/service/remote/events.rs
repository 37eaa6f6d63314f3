//! Reading the gateway's SSE streams: a job's events, resumed with
//! `Last-Event-ID` after a dropped connection (each event delivered once),
//! and the admin notices, re-subscribed whenever the connection drops.

use std::time::Duration;

use easel_shared::job::JobEvent;
use easel_shared::notice::AdminNotice;
use eventsource_stream::Eventsource;
use futures::StreamExt;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::Link;
use crate::notices::AdminNotices;

/// Reconnection attempts without progress before a job's stream is given
/// up (about two minutes of backoff: the gateway keeps a finished job's
/// events for `gateway.events_grace`).
const MAX_FAILURES: u32 = 30;

/// The wait before reconnection attempt `failures` (1-based): 50 ms
/// doubling, at most 5 s.
fn backoff(failures: u32) -> Duration {
    Duration::from_millis(50u64 << failures.min(7)).min(Duration::from_secs(5))
}

/// Forwards job `job`'s events to `tx` until its final event, reconnecting
/// with `Last-Event-ID` when the connection drops. Stops early if the
/// receiver is gone, the gateway no longer knows the job, or it stays
/// unreachable for [`MAX_FAILURES`] attempts (the stream then closes
/// without a final event; the job itself still settles at the gateway).
pub(super) async fn follow_job(link: Link, job: String, tx: mpsc::UnboundedSender<JobEvent>) {
    let url = link.url(&format!("/jobs/{job}/events"));
    let mut next: u64 = 0;
    let mut failures = 0u32;
    loop {
        let mut req = link.get(&url);
        if next > 0 {
            req = req.header("last-event-id", (next - 1).to_string());
        }
        match req.send().await {
            Ok(resp) if resp.status() == reqwest::StatusCode::NOT_FOUND => {
                tracing::warn!(%job, "the gateway no longer knows this job");
                return;
            }
            Ok(resp) if resp.status().is_success() => {
                let mut events = resp.bytes_stream().eventsource();
                while let Some(item) = events.next().await {
                    let Ok(sse) = item else { break };
                    let Ok(id) = sse.id.parse::<u64>() else {
                        continue;
                    };
                    if id < next {
                        continue; // already delivered before the reconnect
                    }
                    let event: JobEvent = match serde_json::from_str(&sse.data) {
                        Ok(event) => event,
                        Err(e) => {
                            tracing::error!(%job, error = %e, "unreadable job event");
                            return;
                        }
                    };
                    let last = event.is_final();
                    if tx.send(event).is_err() {
                        return;
                    }
                    next = id + 1;
                    failures = 0;
                    if last {
                        return;
                    }
                }
            }
            Ok(resp) => {
                tracing::warn!(%job, status = %resp.status(), "job events refused");
            }
            Err(e) => tracing::warn!(%job, error = %e, "job events connection failed"),
        }
        failures += 1;
        if failures > MAX_FAILURES {
            tracing::error!(%job, "gave up following the job's events");
            return;
        }
        tokio::time::sleep(backoff(failures)).await;
    }
}

/// Passes the gateway's admin notices to `local` until `stop`.
pub(super) async fn relay_notices(link: Link, local: AdminNotices, stop: CancellationToken) {
    let url = link.url("/notices");
    let mut failures = 0u32;
    loop {
        let listen = async {
            match link.get(&url).send().await {
                Ok(resp) if resp.status().is_success() => {
                    let mut events = resp.bytes_stream().eventsource();
                    while let Some(Ok(sse)) = events.next().await {
                        if sse.data.is_empty() {
                            continue;
                        }
                        match serde_json::from_str::<AdminNotice>(&sse.data) {
                            Ok(notice) => {
                                failures = 0;
                                local.send(notice);
                            }
                            Err(e) => tracing::error!(error = %e, "unreadable admin notice"),
                        }
                    }
                }
                Ok(resp) => tracing::warn!(status = %resp.status(), "admin notices refused"),
                Err(e) => tracing::debug!(error = %e, "admin notices connection failed"),
            }
        };
        tokio::select! {
            () = stop.cancelled() => return,
            () = listen => {}
        }
        failures = (failures + 1).min(10);
        tokio::select! {
            () = stop.cancelled() => return,
            () = tokio::time::sleep(backoff(failures)) => {}
        }
    }
}
