//! The playground's HTTP endpoints:
//!
//! | route                              | what                                   |
//! |------------------------------------|----------------------------------------|
//! | `GET /play`                        | the page (form, quota, history)        |
//! | `POST /play/jobs`                  | multipart form -> `{"job": id}`, or the one JSON error shape with the core's text |
//! | `GET /play/jobs/{job}/events`      | the job's SSE (`Last-Event-ID` resumes) |
//! | `POST /play/jobs/{job}/cancel`     | cancel while queued (refunded)         |
//! | `GET /play/results/{id}/{index}`   | an image, to its owner only (`?download=1`: the Original file) |
//!
//! Every change carries the session's CSRF token in `X-CSRF-Token`
//! ([`CsrfChecked`]); a signed-out visitor is sent to sign in.

use axum::Json;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Multipart, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use bytes::{Bytes, BytesMut};
use easel_gateway::http::error::ErrorBody;
use easel_shared::RequestId;
use maud::Markup;
use serde::Deserialize;
use serde_json::json;

use super::events;
use super::form::{PlayForm, Redo};
use super::page::{self, PlayView};
use super::results;
use super::submit::Submitter;
use crate::core::{ResultId as CoreId, act, render};
use crate::i18n::{Locale, t};
use crate::web::{CsrfChecked, UserSession, WebState, layout};

/// The most photos one submit may carry (OpenAI's edit limit; the gateway's
/// pre-check applies the plan's own, usually lower, limit).
const MAX_PHOTOS: usize = 16;

/// The most bytes a text field of the form may have.
const MAX_TEXT: usize = 64 * 1024;

/// `/play` and its endpoints.
pub(in crate::web) fn routes() -> Router<WebState> {
    Router::new()
        .route("/play", get(show))
        // Photos are capped one by one while reading (the chat's cap),
        // so the body limit is only the bound of them all.
        .route(
            "/play/jobs",
            post(submit).layer(DefaultBodyLimit::disable()),
        )
        .route("/play/jobs/{job}/events", get(follow))
        .route("/play/jobs/{job}/cancel", post(cancel))
        .route("/play/results/{id}/{index}", get(image))
}

async fn show(State(s): State<WebState>, who: UserSession) -> Markup {
    let ctx = who.ctx();
    let locale = who.lang;
    let quota = match s.gateway.quota(who.user).await {
        Ok(status) => render::quota_line(locale, &status),
        Err(e) => act::gateway_error(locale, &e, act::system_now()).unwrap_or_default(),
    };
    let records = results::history(&*s.gateway, who.user).await;
    let history = results::cards(&*s.gateway, &records).await;
    let running = s.play.running(who.user);
    let view = PlayView {
        locale,
        csrf: who.csrf.as_str(),
        quota,
        history: &history,
        running: &running,
        notice: None,
        who: who.user.to_string(),
    };
    layout::page(&ctx, &t(locale, "web-play-title"), page::body(&view))
}

async fn submit(
    State(s): State<WebState>,
    who: UserSession,
    _: CsrfChecked,
    multipart: Multipart,
) -> Response {
    let locale = who.lang;
    let cap = s.config.load().telegram.max_download_bytes;
    let form = match read_form(multipart, cap, locale).await {
        Ok(form) => form,
        Err(text) => return declined(StatusCode::BAD_REQUEST, text),
    };
    let submitter = Submitter {
        gateway: &*s.gateway,
        jobs: &s.play,
        clock: &s.clock,
        cap,
    };
    match submitter.submit(who.user, locale, form).await {
        Ok(job) => Json(json!({
            "job": job.id.as_str(),
            "events": format!("/play/jobs/{}/events", job.id.as_str()),
        }))
        .into_response(),
        Err(text) => declined(StatusCode::UNPROCESSABLE_ENTITY, text),
    }
}

/// Reads the multipart form; a photo over `cap` is kept cut at `cap + 1`
/// bytes, so the core refuses it by its size and names it by its number.
async fn read_form(mut multipart: Multipart, cap: u64, locale: Locale) -> Result<PlayForm, String> {
    let mut form = PlayForm::default();
    let bad = |_| t(locale, "web-err-bad-form");
    while let Some(mut field) = multipart.next_field().await.map_err(bad)? {
        let name = field.name().unwrap_or("").to_owned();
        if name == "photos" {
            if form.photos.len() >= MAX_PHOTOS {
                continue;
            }
            let keep = usize::try_from(cap).unwrap_or(usize::MAX).saturating_add(1);
            let mut bytes = BytesMut::new();
            while let Some(chunk) = field.chunk().await.map_err(bad)? {
                let room = keep - bytes.len();
                bytes.extend_from_slice(&chunk[..chunk.len().min(room)]);
                if bytes.len() == keep {
                    break;
                }
            }
            // The browser sends an empty part when no file was chosen.
            if !bytes.is_empty() {
                form.photos.push(bytes.freeze());
            }
            continue;
        }
        let mut text = BytesMut::new();
        while let Some(chunk) = field.chunk().await.map_err(bad)? {
            if text.len() + chunk.len() > MAX_TEXT {
                return Err(t(locale, "web-err-bad-form"));
            }
            text.extend_from_slice(&chunk);
        }
        let text = String::from_utf8_lossy(&Bytes::from(text))
            .trim()
            .to_owned();
        let id = || (!text.is_empty()).then(|| CoreId(text.clone()));
        match name.as_str() {
            "prompt" => form.prompt = text.clone(),
            "refine" => form.refine = id(),
            "again" => form.redo = id().map(Redo::Again),
            "vary" => form.redo = id().map(Redo::Vary),
            _ => {}
        }
    }
    Ok(form)
}

/// The one JSON error shape with the core's text.
fn declined(status: StatusCode, text: String) -> Response {
    ErrorBody::response(status, "declined", text)
}

async fn follow(
    State(s): State<WebState>,
    who: UserSession,
    Path(job): Path<String>,
    headers: HeaderMap,
) -> Response {
    let Some(job) = RequestId::new(job)
        .ok()
        .and_then(|id| s.play.get(who.user, &id))
    else {
        return not_found(who.lang);
    };
    // The browser resends the last id it saw after a dropped connection.
    let from = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<usize>().ok())
        .map_or(0, |seen| seen + 1);
    Sse::new(events::stream(who.lang, job, from))
        .keep_alive(KeepAlive::default())
        .into_response()
}

async fn cancel(
    State(s): State<WebState>,
    who: UserSession,
    _: CsrfChecked,
    Path(job): Path<String>,
) -> Response {
    let locale = who.lang;
    let Some(job) = RequestId::new(job)
        .ok()
        .and_then(|id| s.play.get(who.user, &id))
    else {
        return not_found(locale);
    };
    match s.gateway.cancel(who.user, &job.id).await {
        // The job's stream says the rest (Cancelled, nothing charged).
        Ok(_) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => {
            let text = act::gateway_error(locale, &e, act::system_now()).unwrap_or_default();
            declined(StatusCode::CONFLICT, text)
        }
    }
}

#[derive(Deserialize)]
struct ImageQuery {
    #[serde(default)]
    download: Option<String>,
}

async fn image(
    State(s): State<WebState>,
    who: UserSession,
    Path((id, index)): Path<(String, usize)>,
    Query(query): Query<ImageQuery>,
) -> Response {
    let download = query.download.is_some_and(|d| d == "1");
    results::image(&*s.gateway, who.user, who.lang, (&id, index), download).await
}

fn not_found(locale: Locale) -> Response {
    let text = render::notice(locale, render::Notice::ResultUnknown);
    ErrorBody::response(StatusCode::NOT_FOUND, "not_found", text)
}
