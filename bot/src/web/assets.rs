//! The stylesheet and the script, compiled into the binary (no CDN: the
//! pages work offline) and served with a content hash in the URL, so they
//! can be cached for a year and a new release is fetched at once.

use std::sync::LazyLock;

use axum::Router;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::response::IntoResponse;
use axum::routing::get;

use super::WebState;

/// The stylesheet.
pub const CSS: &str = include_str!("assets/easel.css");
/// The script (SSE, drag-and-drop, copy buttons, small progressive helpers).
pub const JS: &str = include_str!("assets/easel.js");

static CSS_HREF: LazyLock<String> =
    LazyLock::new(|| format!("/assets/easel.css?v={:016x}", fnv1a(CSS)));
static JS_HREF: LazyLock<String> =
    LazyLock::new(|| format!("/assets/easel.js?v={:016x}", fnv1a(JS)));

/// The stylesheet's URL with its content hash.
pub fn css_href() -> &'static str {
    &CSS_HREF
}

/// The script's URL with its content hash.
pub fn js_href() -> &'static str {
    &JS_HREF
}

/// `/assets/easel.css` and `/assets/easel.js`.
pub(super) fn routes() -> Router<WebState> {
    Router::new()
        .route(
            "/assets/easel.css",
            get(|| async { serve("text/css; charset=utf-8", CSS) }),
        )
        .route(
            "/assets/easel.js",
            get(|| async { serve("text/javascript; charset=utf-8", JS) }),
        )
}

fn serve(kind: &'static str, body: &'static str) -> impl IntoResponse {
    (
        [
            (CONTENT_TYPE, kind),
            (CACHE_CONTROL, "public, max-age=31536000, immutable"),
        ],
        body,
    )
}

/// FNV-1a, 64 bit: a stable content fingerprint (not a security hash).
fn fnv1a(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn asset_urls_change_with_their_content() {
        assert_ne!(fnv1a("a{}"), fnv1a("b{}"));
        assert!(css_href().starts_with("/assets/easel.css?v="));
        assert!(js_href().starts_with("/assets/easel.js?v="));
    }
}
