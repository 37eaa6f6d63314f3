//! The web pages: admin sign-in, the dashboard and the playground, served
//! as server-rendered HTML (maud) next to the admin API on `http.listen`.
//!
//! Why this stack: a lean Rust service needs no JavaScript build. HTML is
//! built in Rust (maud escapes by default, so user text cannot inject
//! markup), one small hand-written script adds what HTML cannot (SSE,
//! drag-and-drop, copy buttons), and both assets are compiled into the
//! binary: no CDN, works offline. Sessions and one-time links live in the
//! ledger, so every replica honours them.
//!
//! One concept per file: [`session`] (the cookie and the extractors),
//! [`csrf`] (the token check of every change), [`layout`] (the page shell and
//! [`PageCtx`]), [`lang`] (the page language), [`assets`], [`auth`] (sign-in,
//! sign-out, `/web` links), [`limiter`] (sign-in attempts), [`reject`] (the
//! refusals, as a page or as JSON), [`dashboard`] and [`play`].

pub mod assets;
pub mod auth;
pub mod csrf;
pub mod dashboard;
pub mod form;
pub mod lang;
pub mod layout;
pub mod limiter;
pub mod play;
pub mod reject;
pub mod session;

use std::sync::Arc;

use axum::Router;
use easel_gateway::ledger::{Clock, Ledger, SharedConfig};
use easel_gateway::metrics::Metrics;
use easel_gateway::service::Gateway;

pub use self::csrf::{CsrfChecked, CsrfForm, CsrfToken};
pub use self::lang::Lang;
pub use self::layout::{PageCtx, page};
pub use self::limiter::SignInLimiter;
pub use self::session::{AdminSession, UserSession};

/// What every web handler can reach. Cheap to clone.
#[derive(Clone)]
pub struct WebState {
    /// The port every frontend uses: the playground submits through it.
    pub gateway: Arc<dyn Gateway>,
    /// Quota state, sessions and sign-in links (the dashboard reads it too).
    pub ledger: Arc<dyn Ledger>,
    /// The live configuration (swapped on reload).
    pub config: SharedConfig,
    /// The Prometheus registry, for the dashboard's numbers (`None` where
    /// the process keeps none).
    pub metrics: Option<Metrics>,
    /// Sign-in attempts per client and in all.
    pub limiter: SignInLimiter,
    /// The gateway's clock (a manual one in tests).
    pub clock: Clock,
    /// The playground's jobs in this process (their events, for the page).
    pub play: play::Jobs,
}

impl WebState {
    /// The state over a gateway's pieces; the limiter follows `web.signin_*`.
    pub fn new(
        gateway: Arc<dyn Gateway>,
        ledger: Arc<dyn Ledger>,
        config: SharedConfig,
        metrics: Option<Metrics>,
        clock: Clock,
    ) -> Self {
        Self {
            gateway,
            ledger,
            config,
            metrics,
            limiter: SignInLimiter::default(),
            clock,
            play: play::Jobs::default(),
        }
    }
}

/// Every web route. Mounted next to the admin API (`easel` in-process,
/// `easel-gateway`); no fallback of its own, so it merges with the API's.
pub fn router(state: WebState) -> Router {
    Router::new()
        .merge(auth::routes())
        .merge(dashboard::routes())
        .merge(play::routes())
        .merge(assets::routes())
        .merge(lang::routes())
        .with_state(state)
}

/// The web routes for the standalone gateway (`easel-gateway`): empty
/// (with a warning) when the pages are off or the process runs no
/// backends, since the pages need the gateway port.
pub fn for_server(parts: easel_gateway::server::ServedParts) -> Router {
    let config = parts.state.config.clone();
    if !enabled(&config.load()) {
        return Router::new();
    }
    let Some(gateway) = parts.state.gateway else {
        tracing::warn!("web pages need [[backends.chain]]: not served");
        return Router::new();
    };
    router(WebState::new(
        gateway,
        parts.state.ledger,
        config,
        Some(parts.metrics),
        parts.clock,
    ))
}

/// Whether the pages are served under `config` (`web.enabled` and an HTTP
/// server to serve them on).
pub fn enabled(config: &easel_shared::config::Config) -> bool {
    config.web.enabled && !config.http.listen.is_empty()
}
