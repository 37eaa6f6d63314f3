//! The user's results on the web: their images (the provider's untouched
//! bytes, through `Gateway::original`) served ONLY to their owner, and the
//! history (the newest stored results of the same account as in chat).
//! Another user's result is "not found", exactly like an unknown one, so
//! ids cannot be probed.

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use easel_gateway::service::Gateway;
use easel_shared::UserKey;
use easel_shared::job::file_extension;
use easel_shared::results::{ResultId, ResultRecord};

use super::page::Shown;
use crate::core::render::{self, Notice, VARY_PROMPT};
use crate::core::{act, render::text};
use crate::i18n::Locale;

/// Results the history shows.
pub const HISTORY_LEN: u32 = 24;

/// Output `index` of result `id` for `user`: the image, or a plain-text
/// answer in the user's words (404 for anyone but the owner).
pub async fn image(
    gateway: &dyn Gateway,
    user: UserKey,
    locale: Locale,
    (id, index): (&str, usize),
    download: bool,
) -> Response {
    let not_found = || {
        let text = render::notice(locale, Notice::ResultUnknown);
        (StatusCode::NOT_FOUND, text).into_response()
    };
    let Ok(id) = id.parse::<ResultId>() else {
        return not_found();
    };
    match gateway.result(&id).await {
        Ok(Some(record)) if record.user == user && index < record.outputs.len() => {}
        Ok(_) => return not_found(),
        Err(e) => return unavailable(locale, &e),
    }
    let image = match gateway.original(&id, index).await {
        Ok(Some(image)) => image,
        Ok(None) => {
            let text = render::notice(locale, Notice::OriginalExpired);
            return (StatusCode::GONE, text).into_response();
        }
        Err(e) => return unavailable(locale, &e),
    };
    let disposition = if download {
        let name = format!("easel-{id}-{}.{}", index + 1, file_extension(&image.mime));
        format!("attachment; filename=\"{name}\"")
    } else {
        "inline".to_owned()
    };
    (
        [
            (header::CONTENT_TYPE, image.mime),
            (header::CONTENT_DISPOSITION, disposition),
            // Only its owner may see it: never in a shared cache.
            (header::CACHE_CONTROL, "private, max-age=86400".to_owned()),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_owned()),
        ],
        image.bytes,
    )
        .into_response()
}

/// The user's newest results; an empty list (logged) when the store cannot
/// answer, so the page still works.
pub async fn history(gateway: &dyn Gateway, user: UserKey) -> Vec<ResultRecord> {
    gateway
        .recent_results(user, HISTORY_LEN)
        .await
        .unwrap_or_else(|e| {
            tracing::warn!(error = %e, "the playground's history could not be read");
            Vec::new()
        })
}

/// The history as cards. A variation's stored prompt is the instruction
/// sent upstream, not the user's words: like the chat's caption, its card
/// shows the prompt of the result it varies.
pub async fn cards(gateway: &dyn Gateway, records: &[ResultRecord]) -> Vec<Shown> {
    let mut shown = Vec::with_capacity(records.len());
    for record in records {
        let mut card = Shown::stored(record);
        if record.prompt == VARY_PROMPT {
            card.prompt = match &record.parent {
                Some(parent) => match records.iter().find(|r| &r.id == parent) {
                    Some(found) => found.prompt.clone(),
                    None => gateway
                        .result(parent)
                        .await
                        .ok()
                        .flatten()
                        .map(|r| r.prompt)
                        .unwrap_or_default(),
                },
                None => String::new(),
            };
        }
        shown.push(card);
    }
    shown
}

fn unavailable(locale: Locale, e: &easel_gateway::service::GatewayError) -> Response {
    let text = act::gateway_error(locale, e, act::system_now())
        .unwrap_or_else(|| text::unavailable(locale));
    (StatusCode::SERVICE_UNAVAILABLE, text).into_response()
}
