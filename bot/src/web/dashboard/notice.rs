//! The notice a page shows after a change worked: the change answers 303
//! with `?done=<what>`, and the page says so from a closed list of catalog
//! texts (a crafted link can pick one of them, never write its own).

use maud::{Markup, html};
use serde::Deserialize;

use crate::web::PageCtx;

/// The `done` query parameter.
#[derive(Debug, Default, Deserialize)]
pub(super) struct Done {
    /// Which change worked.
    #[serde(default)]
    pub(super) done: Option<String>,
}

/// Each change's word in the URL and its catalog text.
const NOTICES: [(&str, &str); 8] = [
    ("credits", "web-dash-done-credits"),
    ("plan", "web-dash-done-plan"),
    ("ban", "web-dash-done-ban"),
    ("unban", "web-dash-done-unban"),
    ("revoked", "web-dash-done-revoked"),
    ("cancelled", "web-dash-done-cancelled"),
    ("started", "web-dash-done-started"),
    ("gone", "web-dash-done-gone"),
];

/// The catalog key for a `done` word (`None`: not one of ours).
pub(super) fn key(done: &str) -> Option<&'static str> {
    NOTICES
        .iter()
        .find(|(word, _)| *word == done)
        .map(|(_, key)| *key)
}

/// The notice banner, or nothing.
pub(super) fn banner(ctx: &PageCtx, done: &Done) -> Markup {
    match done.done.as_deref().and_then(key) {
        Some(key) => html! { p class="notice" role="status" { (ctx.t(key)) } },
        None => html! {},
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_known_words_become_notices() {
        assert_eq!(key("credits"), Some("web-dash-done-credits"));
        assert_eq!(key("<script>"), None);
        assert_eq!(key(""), None);
    }
}
