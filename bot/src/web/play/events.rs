//! A job's log as Server-Sent Events, one event per logged [`Entry`], its
//! id the entry's index (a reconnect sends `Last-Event-ID` and gets the
//! rest). Every text is rendered here by the core in the user's language;
//! the page's script only places it:
//!
//! | event      | data (JSON)                                   |
//! |------------|-----------------------------------------------|
//! | `progress` | `text`, `cancel` (still queued: may cancel)   |
//! | `partial`  | `image` (0-based), `src` (a `data:` URL)      |
//! | `done`     | `html` (the result card), `quota`             |
//! | `failed`   | `text` (why; nothing was charged), `quota`    |

use std::convert::Infallible;
use std::sync::Arc;

use axum::response::sse::Event;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use easel_shared::QuotaStatus;
use easel_shared::job::{ImageData, JobEvent};
use futures::Stream;
use serde_json::json;

use super::jobs::{Entry, Job, Logged};
use super::page::{self, Shown};
use crate::core::{act, render};
use crate::i18n::{Locale, tr};

/// The event for one logged entry (`index` is its place in the log).
pub fn event(locale: Locale, job: &Job, index: usize, logged: &Logged) -> Event {
    let (name, data) = data(locale, job, logged);
    Event::default()
        .id(index.to_string())
        .event(name)
        .data(data.to_string())
}

/// The event's name and JSON payload.
pub fn data(locale: Locale, job: &Job, logged: &Logged) -> (&'static str, serde_json::Value) {
    let elapsed = logged.at.0.saturating_sub(job.submitted.0).max(0);
    let event = match &logged.entry {
        Entry::Event(event) => event,
        Entry::Lost => {
            let text = render::text::internal_error(locale, job.id.as_str());
            return ("failed", json!({ "text": text, "quota": "" }));
        }
    };
    match event {
        JobEvent::Queued { position } => {
            let text = render::text::progress_queued(locale, *position, elapsed);
            ("progress", json!({ "text": text, "cancel": true }))
        }
        JobEvent::Started => {
            let text = render::text::progress_running(locale, elapsed);
            ("progress", json!({ "text": text, "cancel": false }))
        }
        JobEvent::Retrying { attempt } => {
            let text = tr(
                locale,
                "progress-retrying",
                &[("attempt", (*attempt).into())],
            );
            ("progress", json!({ "text": text, "cancel": false }))
        }
        JobEvent::Partial { image, preview } => (
            "partial",
            json!({ "image": image, "src": data_url(preview) }),
        ),
        JobEvent::Done {
            images,
            quota,
            result,
            ..
        } => {
            let shown = Shown {
                result: result.clone(),
                prompt: job.caption.clone(),
                images: match result {
                    Some(id) => (0..images.len()).map(|i| page::image_url(id, i)).collect(),
                    // Not stored: the only copy is in the event.
                    None => images.iter().map(data_url).collect(),
                },
            };
            let html = page::result_card(locale, &shown).into_string();
            (
                "done",
                json!({ "html": html, "quota": quota_line(locale, quota.as_ref()) }),
            )
        }
        JobEvent::Failed { failure, quota } => {
            let text = render::failure(locale, failure, act::system_now());
            (
                "failed",
                json!({ "text": text, "quota": quota_line(locale, quota.as_ref()) }),
            )
        }
    }
}

/// The job's events from index `from` on, following it until it ends.
pub fn stream(
    locale: Locale,
    job: Arc<Job>,
    from: usize,
) -> impl Stream<Item = Result<Event, Infallible>> + Send {
    futures::stream::unfold((job, from, false), move |(job, next, ended)| async move {
        if ended {
            return None;
        }
        loop {
            if let Some(logged) = job.at(next) {
                let event = event(locale, &job, next, &logged);
                let last = logged.entry.is_final();
                return Some((Ok(event), (job, next + 1, last)));
            }
            job.wait_beyond(next).await;
        }
    })
}

/// The quota summary the core shows under a result ("" when unknown).
pub fn quota_line(locale: Locale, quota: Option<&QuotaStatus>) -> String {
    quota
        .map(|q| render::quota_line(locale, q))
        .unwrap_or_default()
}

/// An image inline, for previews and results that were not stored.
fn data_url(image: &ImageData) -> String {
    format!(
        "data:{};base64,{}",
        image.mime,
        STANDARD.encode(&image.bytes)
    )
}
