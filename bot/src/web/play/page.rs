//! The playground's markup (inside the shared page shell): the form
//! (prompt, photos by drag and drop or the file picker, the result being
//! refined), the progress area, the quota line and the history of the
//! user's results, each with Refine / Again / Vary / Original. Every text is
//! from the catalogs; the script (`/assets/easel.js`, its playground
//! section) finds elements by their `data-play-*` attributes.

use std::sync::Arc;

use easel_shared::results::{ResultId, ResultRecord};
use maud::{Markup, html};

use super::jobs::Job;
use crate::core::render::{self, ButtonKind};
use crate::i18n::{Locale, t, tr};

/// A result as a card shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shown {
    /// The stored result (`None`: not stored, so no buttons).
    pub result: Option<ResultId>,
    /// The words under it.
    pub prompt: String,
    /// Where each image loads from.
    pub images: Vec<String>,
}

impl Shown {
    /// A stored result from the history.
    pub fn stored(record: &ResultRecord) -> Self {
        Self {
            result: Some(record.id.clone()),
            prompt: record.prompt.clone(),
            images: (0..record.outputs.len())
                .map(|i| image_url(&record.id, i))
                .collect(),
        }
    }
}

/// Where output `index` of `id` is served (to its owner only).
pub fn image_url(id: &ResultId, index: usize) -> String {
    format!("/play/results/{id}/{index}")
}

/// What the page shows besides the form.
#[derive(Debug)]
pub struct PlayView<'a> {
    /// The user's language.
    pub locale: Locale,
    /// The session's CSRF token, sent back with every submit.
    pub csrf: &'a str,
    /// The quota summary (empty when unknown).
    pub quota: String,
    /// The user's newest results, as cards.
    pub history: &'a [Shown],
    /// Jobs still running (the script follows them after a reload).
    pub running: &'a [Arc<Job>],
    /// A message to show at once (a refusal when the script is off).
    pub notice: Option<String>,
    /// Who is signed in, as the page names them (`tg:123`, `web:0`).
    pub who: String,
}

/// The playground's main content.
pub fn body(view: &PlayView<'_>) -> Markup {
    let locale = view.locale;
    html! {
        h1 { (t(locale, "web-play-title")) }
        p class="muted" id="signed-in-as" {
            (tr(locale, "web-signed-in-as", &[("user", view.who.as_str().into())]))
        }
        p data-play-quota aria-live="polite" { (view.quota) }
        form data-play-form method="post" action="/play/jobs" enctype="multipart/form-data"
            data-play-failed=(t(locale, "web-play-failed-request"))
            data-play-cancel=(render::text::button(locale, ButtonKind::Cancel)) {
            input type="hidden" name="_csrf" value=(view.csrf);
            input type="hidden" name="refine" value="" data-play-refine;
            p data-play-refining hidden {
                span data-play-refining-text { (t(locale, "web-play-refining")) }
                " "
                button type="button" data-play-unrefine { (t(locale, "web-play-unrefine")) }
            }
            label for="play-prompt" { (t(locale, "web-play-prompt")) }
            textarea id="play-prompt" name="prompt" rows="3" required
                placeholder=(t(locale, "web-play-placeholder")) {}
            div data-play-drop class="drop" {
                label for="play-photos" { (t(locale, "web-play-photos")) }
                input id="play-photos" type="file" name="photos" accept="image/*" multiple;
                p data-play-chosen {}
            }
            button type="submit" { (t(locale, "web-play-draw")) }
        }
        div data-play-status aria-live="polite" role="status" {
            @if let Some(notice) = &view.notice { p class="notice" { (notice) } }
        }
        ul data-play-running hidden {
            @for job in view.running {
                li data-play-job=(job.id.as_str()) {}
            }
        }
        div data-play-preview {}
        h2 { (t(locale, "web-play-history")) }
        div data-play-results class="results" {
            @if view.history.is_empty() {
                p data-play-empty { (t(locale, "web-play-empty")) }
            }
            @for card in view.history {
                (result_card(locale, card))
            }
        }
    }
}

/// One result: its images, its prompt and its buttons.
pub fn result_card(locale: Locale, shown: &Shown) -> Markup {
    let several = shown.images.len() > 1;
    let original = render::text::button(locale, ButtonKind::Original);
    html! {
        article class="result" data-play-result=[shown.result.as_ref().map(ResultId::as_str)] {
            div class="images" {
                @for src in &shown.images {
                    img src=(src) alt=(shown.prompt) loading="lazy";
                }
            }
            p class="prompt" { (shown.prompt) }
            @if let Some(id) = &shown.result {
                div class="buttons" {
                    button type="button" data-play-do="refine" data-id=(id.as_str()) {
                        (t(locale, "web-play-refine"))
                    }
                    button type="button" data-play-do="again" data-id=(id.as_str()) {
                        (render::text::button(locale, ButtonKind::Again))
                    }
                    button type="button" data-play-do="vary" data-id=(id.as_str()) {
                        (render::text::button(locale, ButtonKind::Vary))
                    }
                    @for (i, src) in shown.images.iter().enumerate() {
                        a href={ (src) "?download=1" } download data-play-original {
                            (original) @if several { " " (i + 1) }
                        }
                    }
                }
            }
        }
    }
}
