//! One error type for every handler: a stable JSON body for clients, details
//! in the log only.
//!
//! Every error of the admin and frontend APIs leaves as
//! `{"error": {"code", "message"}}` ([`ErrorBody`]): handler errors through
//! [`AppError`], extractor rejections through the extractors of
//! [`super::extract`], and whatever axum or a layer answers on its own
//! (unknown route, wrong method, body over the limit) through
//! [`super::error_shape`].

use axum::Json;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

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
    /// An extractor refused the request (body not JSON, wrong fields, body
    /// too large, bad query or path): axum's status, a code naming the
    /// kind, and axum's text, which only describes the client's input.
    #[error("{message}")]
    Rejected {
        /// The status axum chose (400, 413, 415, 422).
        status: StatusCode,
        /// A stable code for the kind of rejection.
        code: &'static str,
        /// What was wrong with the input.
        message: String,
    },
    /// The ledger said no or failed.
    #[error(transparent)]
    Ledger(#[from] LedgerError),
}

/// The one JSON error shape, as sent and as documented in the OpenAPI
/// document.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorDetail,
}

/// What went wrong: a stable code for programs, a sentence for people.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// Stable, snake_case: `unauthorized`, `admin_disabled`, `bad_request`,
    /// `invalid_json`, `invalid_body`, `unsupported_media_type`,
    /// `payload_too_large`, `not_found`, `route_not_found`,
    /// `method_not_allowed`, `refused`, `ledger_unavailable`, ...
    pub code: String,
    /// Human-readable; never holds secrets or internal details.
    pub message: String,
}

impl ErrorBody {
    /// The response for `status` with this code and message.
    pub fn response(status: StatusCode, code: &str, message: String) -> Response {
        let body = ErrorBody {
            error: ErrorDetail {
                code: code.to_owned(),
                message,
            },
        };
        (status, Json(body)).into_response()
    }
}

/// The code for an error answered by status alone (rejections, layers).
pub fn code_for_status(status: StatusCode) -> &'static str {
    match status {
        StatusCode::BAD_REQUEST => "bad_request",
        StatusCode::UNAUTHORIZED => "unauthorized",
        StatusCode::NOT_FOUND => "route_not_found",
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        StatusCode::PAYLOAD_TOO_LARGE => "payload_too_large",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
        StatusCode::UNPROCESSABLE_ENTITY => "invalid_body",
        s if s.is_server_error() => "internal_error",
        _ => "request_refused",
    }
}

impl From<JsonRejection> for AppError {
    fn from(r: JsonRejection) -> Self {
        let code = match &r {
            JsonRejection::JsonSyntaxError(_) => "invalid_json",
            JsonRejection::JsonDataError(_) => "invalid_body",
            JsonRejection::MissingJsonContentType(_) => "unsupported_media_type",
            _ => code_for_status(r.status()),
        };
        AppError::Rejected {
            status: r.status(),
            code,
            message: r.body_text(),
        }
    }
}

impl From<QueryRejection> for AppError {
    fn from(r: QueryRejection) -> Self {
        AppError::Rejected {
            status: r.status(),
            code: "invalid_query",
            message: r.body_text(),
        }
    }
}

impl From<PathRejection> for AppError {
    fn from(r: PathRejection) -> Self {
        // A missing path parameter is a routing bug on our side (500); the
        // rest are the client's bad segments (400).
        let code = if r.status().is_server_error() {
            "internal_error"
        } else {
            "invalid_path"
        };
        AppError::Rejected {
            status: r.status(),
            code,
            message: r.body_text(),
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (status, code, message) = match self {
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
            AppError::BadRequest(m) => (StatusCode::BAD_REQUEST, "bad_request", m),
            AppError::Rejected {
                status,
                code,
                message,
            } => (status, code, message),
            AppError::Ledger(LedgerError::NotFound(m)) => (StatusCode::NOT_FOUND, "not_found", m),
            AppError::Ledger(LedgerError::Refused(m)) => (StatusCode::CONFLICT, "refused", m),
            AppError::Ledger(e @ (LedgerError::Unavailable(_) | LedgerError::Corrupt(_))) => {
                tracing::error!(error = %e, "ledger failure in admin API");
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    "ledger_unavailable",
                    "the quota store is temporarily unavailable; nothing was changed".to_owned(),
                )
            }
        };
        ErrorBody::response(status, code, message)
    }
}
