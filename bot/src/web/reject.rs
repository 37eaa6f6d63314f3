//! Why a web request was refused, answered the way the caller can use: a
//! page (or a redirect to sign-in) for a browser navigating, the one JSON
//! error shape (`{"error": {"code", "message"}}`) for `fetch` and JSON
//! callers. Messages come from the catalogs in the visitor's language.

use std::time::Duration;

use axum::http::header::{ACCEPT, RETRY_AFTER};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use easel_gateway::http::error::ErrorBody;
use maud::html;

use super::lang::{self, Lang};
use super::layout::{PageCtx, page};
use crate::i18n::Arg;

/// What went wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Why {
    /// No live session: sign in, then come back to `next`.
    SignIn {
        /// The local path to return to.
        next: String,
    },
    /// Signed in, but the page is for admins.
    NotAdmin,
    /// The change did not carry the session's CSRF token.
    CsrfMissing,
    /// The change came from another site (`Sec-Fetch-Site`, `Origin`).
    CrossSite,
    /// The form body was not a form, or lacked a field.
    BadForm,
    /// Too many sign-in attempts: retry after this long.
    TooMany(Duration),
    /// The session store could not be reached.
    Unavailable,
}

/// A refusal ready to answer, with what the request said about its caller.
#[derive(Debug)]
pub struct Rejection {
    why: Why,
    lang: Lang,
    json: bool,
}

impl Rejection {
    /// A refusal for the request with these headers.
    pub fn new(why: Why, headers: &HeaderMap) -> Self {
        Self {
            why,
            lang: lang::from_headers(headers),
            json: wants_json(headers),
        }
    }

    /// What went wrong.
    pub fn why(&self) -> &Why {
        &self.why
    }
}

/// Whether the caller is a script (`fetch`, an API client) rather than a
/// browser navigating: `Sec-Fetch-Mode` other than `navigate`, or an
/// `Accept` asking for JSON or an event stream and not HTML.
pub fn wants_json(headers: &HeaderMap) -> bool {
    let header = |name| {
        headers
            .get(name)
            .and_then(|v: &HeaderValue| v.to_str().ok())
    };
    if let Some(mode) = header("sec-fetch-mode") {
        return mode != "navigate";
    }
    let accept = header(ACCEPT.as_str()).unwrap_or("");
    !accept.contains("text/html")
        && (accept.contains("application/json") || accept.contains("text/event-stream"))
}

/// `next` if it is a path on this site, else `/`: a sign-in never sends
/// the browser to another site (`//host` and `/\host` are other sites).
pub fn local_path(next: &str) -> &str {
    let local = next.starts_with('/') && !next.starts_with("//") && !next.starts_with("/\\");
    if local { next } else { "/" }
}

impl Why {
    fn status(&self) -> StatusCode {
        match self {
            Why::SignIn { .. } => StatusCode::UNAUTHORIZED,
            Why::NotAdmin | Why::CsrfMissing | Why::CrossSite => StatusCode::FORBIDDEN,
            Why::BadForm => StatusCode::BAD_REQUEST,
            Why::TooMany(_) => StatusCode::TOO_MANY_REQUESTS,
            Why::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            Why::SignIn { .. } => "unauthorized",
            Why::NotAdmin => "admin_only",
            Why::CsrfMissing => "csrf_failed",
            Why::CrossSite => "cross_site",
            Why::BadForm => "bad_form",
            Why::TooMany(_) => "rate_limited",
            Why::Unavailable => "unavailable",
        }
    }

    fn message(&self, ctx: &PageCtx) -> String {
        match self {
            Why::SignIn { .. } => ctx.t("web-err-signin"),
            Why::NotAdmin => ctx.t("web-err-admin-only"),
            Why::CsrfMissing => ctx.t("web-err-csrf"),
            Why::CrossSite => ctx.t("web-err-cross-site"),
            Why::BadForm => ctx.t("web-err-bad-form"),
            Why::TooMany(wait) => {
                ctx.t_args("web-err-too-many", &[("seconds", Arg::from(secs(*wait)))])
            }
            Why::Unavailable => ctx.t("web-err-unavailable"),
        }
    }
}

/// Whole seconds to wait, rounded up, at least 1.
pub fn secs(wait: Duration) -> u64 {
    wait.as_secs() + u64::from(wait.subsec_nanos() > 0).max(u64::from(wait.is_zero()))
}

impl IntoResponse for Rejection {
    fn into_response(self) -> Response {
        let ctx = PageCtx::anonymous(self.lang);
        let status = self.why.status();
        let mut response = match (&self.why, self.json) {
            (Why::SignIn { next }, false) => {
                let to = format!(
                    "/signin?next={}",
                    form_urlencoded_component(local_path(next))
                );
                return Redirect::to(&to).into_response();
            }
            (why, true) => ErrorBody::response(status, why.code(), why.message(&ctx)),
            (why, false) => {
                let title = ctx.t("web-err-title");
                let body = html! {
                    h1 { (title) }
                    p role="alert" { (why.message(&ctx)) }
                    p { a href="/" { (ctx.t("web-err-home")) } }
                };
                (status, page(&ctx, &title, body)).into_response()
            }
        };
        if let Why::TooMany(wait) = &self.why {
            response
                .headers_mut()
                .insert(RETRY_AFTER, HeaderValue::from(secs(*wait)));
        }
        response
    }
}

/// Percent-encodes a query component (`next=` values).
pub fn form_urlencoded_component(value: &str) -> String {
    serde_urlencoded::to_string([("", value)])
        .map(|s| s.trim_start_matches('=').to_owned())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_are_followed_after_sign_in() {
        for (next, to) in [
            ("/play", "/play"),
            ("/admin/users?x=1", "/admin/users?x=1"),
            ("//evil.example", "/"),
            ("/\\evil.example", "/"),
            ("https://evil.example", "/"),
            ("", "/"),
        ] {
            assert_eq!(local_path(next), to, "{next}");
        }
    }

    #[test]
    fn a_wait_is_whole_seconds_rounded_up() {
        assert_eq!(secs(Duration::from_millis(1)), 1);
        assert_eq!(secs(Duration::from_secs(12)), 12);
        assert_eq!(secs(Duration::from_millis(12_001)), 13);
        assert_eq!(secs(Duration::ZERO), 1);
    }

    #[test]
    fn fetch_callers_get_json_and_navigation_gets_pages() {
        let mut headers = HeaderMap::new();
        headers.insert("sec-fetch-mode", "cors".parse().unwrap());
        assert!(wants_json(&headers));
        headers.insert("sec-fetch-mode", "navigate".parse().unwrap());
        assert!(!wants_json(&headers));
        let mut headers = HeaderMap::new();
        headers.insert(ACCEPT, "application/json".parse().unwrap());
        assert!(wants_json(&headers));
        assert!(!wants_json(&HeaderMap::new()));
    }
}
