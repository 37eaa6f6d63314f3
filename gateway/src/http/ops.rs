//! Operations endpoints: `/metrics` (Prometheus text format, behind
//! `http.metrics_token` when one is set) and `/readyz` (200 only when every
//! readiness check passes, JSON listing each). Mounted by both binaries
//! next to [`super::app`] with `.merge(ops::routes(..))`.

use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use subtle::ConstantTimeEq;

use crate::ledger::{Ledger, SharedConfig};
use crate::metrics::Metrics;
use crate::readiness::Readiness;

/// The Prometheus text exposition content type.
pub const METRICS_CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// What the operations endpoints read.
#[derive(Clone)]
pub struct OpsState {
    /// The series to export.
    pub metrics: Metrics,
    /// The checks behind `/readyz`.
    pub readiness: Readiness,
    /// Read at scrape time for the spend gauges.
    pub ledger: Arc<dyn Ledger>,
    /// For `http.metrics_token` (live, so a reload applies).
    pub config: SharedConfig,
}

/// `/metrics` and `/readyz`, with their state applied.
pub fn routes(state: OpsState) -> Router {
    Router::new()
        .route("/metrics", get(metrics))
        .route("/readyz", get(readyz))
        .with_state(state)
}

async fn metrics(State(s): State<OpsState>, headers: HeaderMap) -> Response {
    let expected = s.config.load().http.metrics_token.clone();
    let expected = expected.expose().as_bytes();
    if !expected.is_empty() {
        let given = headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or_default()
            .as_bytes();
        // Constant time, so the token cannot be guessed byte by byte from timings.
        if !(given.len() == expected.len() && bool::from(given.ct_eq(expected))) {
            let body = serde_json::json!({
                "error": { "code": "unauthorized", "message": "a valid metrics bearer token is required" }
            });
            return (StatusCode::UNAUTHORIZED, Json(body)).into_response();
        }
    }
    // Spend is the deployment's shared figure: read it now rather than keep
    // a per-process copy that replicas would disagree on.
    match s.ledger.spend_today().await {
        Ok(spend) => s.metrics.spend(&spend),
        Err(e) => {
            tracing::warn!(error = %e, "metrics: spend unavailable; gauges keep their last value")
        }
    }
    ([(CONTENT_TYPE, METRICS_CONTENT_TYPE)], s.metrics.encode()).into_response()
}

async fn readyz(State(s): State<OpsState>) -> Response {
    let report = s.readiness.report().await;
    let status = if report.ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(report)).into_response()
}
