//! The gateway's HTTP surface: health and the admin API (`/admin/v1`).
//!
//! `app(state)` builds the whole router so tests drive it with `oneshot`,
//! without a socket. Handlers are thin: they parse, call a port, and map the
//! answer; errors become one stable JSON shape in [`error::AppError`].

pub mod admin;
pub mod auth;
pub mod error;
pub mod error_shape;
pub mod extract;
pub mod frontend;
pub mod openai;
pub mod openapi;
pub mod ops;

use std::path::PathBuf;
use std::sync::Arc;

use axum::Router;
use axum::routing::get;

use crate::ledger::{Ledger, SharedConfig};
use crate::service::Gateway;

/// What every handler can reach. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    /// Quota state.
    pub ledger: Arc<dyn Ledger>,
    /// The live configuration (swapped on reload).
    pub config: SharedConfig,
    /// The file to re-read on `POST /admin/v1/reload` (`None`: defaults only).
    pub config_path: Option<PathBuf>,
    /// The gateway port behind the frontend API and the OpenAI-compatible
    /// `/v1` API (`None`: a process that serves only the admin API).
    pub gateway: Option<Arc<dyn Gateway>>,
}

/// The whole HTTP application.
pub fn app(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .nest("/admin/v1", admin::routes())
        .merge(openapi::routes())
        .fallback(error_shape::no_route)
        .layer(tower_http::limit::RequestBodyLimitLayer::new(64 * 1024))
        .merge(openai::routes())
        // After the 64 KiB cap: a submit carries images (its own limit).
        .merge(frontend::routes())
        // Outermost, so it also sees the body limit's and the router's own answers.
        .layer(axum::middleware::from_fn(error_shape::json_errors))
        .with_state(state)
}

/// Liveness: the process answers. Readiness (ledger, result store, chat
/// platforms) is `/readyz` in [`ops`].
async fn healthz() -> &'static str {
    "ok"
}
