//! One error type for every handler: a stable JSON body for clients, details
//! in the log only.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::ledger::LedgerError;

/// An error a handler returns. Clients see `{"error": {"code", "message"}}`.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Missing or wrong bearer token.
    #[error("unauthorized")]
    Unauthorized,
    /// The admin API has no token configured.
    #[error("admin API disabled")]
    Disabled,
    /// The request is malformed (bad user key, bad numbers).
    #[error("{0}")]
    BadRequest(String),
    /// The ledger said no or failed.
    #[error(transparent)]
    Ledger(#[from] LedgerError),
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (status, code, message) = match &self {
            AppError::Unauthorized => (
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "a valid bearer token is required".to_owned(),
            ),
            AppError::Disabled => (
                StatusCode::SERVICE_UNAVAILABLE,
                "admin_disabled",
                "the admin API is disabled: set http.admin_token (EASEL_ADMIN_TOKEN)".to_owned(),
            ),
            AppError::BadRequest(m) => (StatusCode::BAD_REQUEST, "bad_request", m.clone()),
            AppError::Ledger(LedgerError::NotFound(m)) => {
                (StatusCode::NOT_FOUND, "not_found", m.clone())
            }
            AppError::Ledger(LedgerError::Refused(m)) => {
                (StatusCode::CONFLICT, "refused", m.clone())
            }
            AppError::Ledger(e @ (LedgerError::Unavailable(_) | LedgerError::Corrupt(_))) => {
                tracing::error!(error = %e, "ledger failure in admin API");
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    "ledger_unavailable",
                    "the quota store is temporarily unavailable; nothing was changed".to_owned(),
                )
            }
        };
        (
            status,
            Json(json!({ "error": { "code": code, "message": message } })),
        )
            .into_response()
    }
}
