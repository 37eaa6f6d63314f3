//! The frontend API's errors: the one JSON error shape, plus the gateway's
//! own error in `error.gateway` so a `RemoteGateway` rebuilds it exactly.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::service::GatewayError;
use crate::service::remote::wire::{ErrorBody, ErrorDetail, WireError};

/// What a frontend API handler can fail with.
#[derive(Debug, thiserror::Error)]
pub enum FrontendError {
    /// Missing or wrong frontend token.
    #[error("unauthorized")]
    Unauthorized,
    /// The request is malformed.
    #[error("{0}")]
    BadRequest(String),
    /// No such job (or another frontend's, or past its grace).
    #[error("no such job")]
    NoSuchJob,
    /// This process serves no gateway (admin-only).
    #[error("no gateway in this process")]
    NoGateway,
    /// The gateway answered with an error.
    #[error(transparent)]
    Gateway(#[from] GatewayError),
}

impl IntoResponse for FrontendError {
    fn into_response(self) -> Response {
        let (status, code, message, gateway) = match self {
            FrontendError::Unauthorized => (
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "a valid frontend bearer token is required".to_owned(),
                None,
            ),
            FrontendError::BadRequest(m) => (StatusCode::BAD_REQUEST, "bad_request", m, None),
            FrontendError::NoSuchJob => (
                StatusCode::NOT_FOUND,
                "not_found",
                "no such job".to_owned(),
                None,
            ),
            FrontendError::NoGateway => (
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "this process serves no gateway".to_owned(),
                None,
            ),
            FrontendError::Gateway(e) => {
                let message = match &e {
                    GatewayError::Unavailable(_) => "temporarily unavailable".to_owned(),
                    other => other.to_string(),
                };
                let wire = WireError::of(e);
                let (status, code) = wire.status();
                (status, code, message, Some(wire))
            }
        };
        let body = ErrorBody {
            error: ErrorDetail {
                code: code.to_owned(),
                message,
                gateway,
            },
        };
        (status, Json(body)).into_response()
    }
}
