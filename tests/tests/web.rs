//! The web pages (`easel_bot::web`): sign-in, sessions, CSRF and `/web`
//! links over HTTP without a browser (`http`), and in Debian's chromium
//! driven by Playwright against the running binary (`browser`).
//!
//! The modules live in `web/` (this file is the crate root, hence `#[path]`).

/// Over HTTP (`oneshot`): cookies, CSRF, the limiter, links, replicas.
#[path = "web/http.rs"]
mod http;
