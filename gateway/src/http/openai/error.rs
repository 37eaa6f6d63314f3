//! Errors of the `/v1` API in OpenAI's shape and with OpenAI's statuses:
//! `{"error": {"message", "type", "param", "code"}}`, so the official SDKs
//! raise the exception a caller already handles (`AuthenticationError`,
//! `BadRequestError`, `RateLimitError` ...). Quota denials are 429 with a
//! `Retry-After` in seconds computed from the denial on the ledger's clock.

use axum::Json;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use easel_shared::job::JobFailure;
use easel_shared::{Denial, UnixMillis};
use serde_json::json;
use utoipa::ToSchema;

use crate::service::GatewayError;

/// One `/v1` error: status, OpenAI's `type`, `code` and `param`, a message,
/// and when retrying makes sense.
#[derive(Debug, Clone)]
pub struct ApiError {
    status: StatusCode,
    kind: &'static str,
    code: Option<&'static str>,
    param: Option<String>,
    message: String,
    /// Seconds until a retry can work (sent as `Retry-After`).
    retry_after: Option<u64>,
    /// Whether the SDK's automatic retry should stay away (`x-should-retry`).
    no_retry: bool,
}

/// The body every `/v1` error has (for the OpenAPI document).
#[derive(serde::Serialize, ToSchema)]
#[allow(dead_code)]
pub struct ErrorBody {
    /// The error.
    error: ErrorDetail,
}

/// The fields of an error, as OpenAI names them.
#[derive(serde::Serialize, ToSchema)]
#[allow(dead_code)]
pub struct ErrorDetail {
    /// What went wrong, for people.
    message: String,
    /// The class: `invalid_request_error`, `requests`, `insufficient_quota`, `server_error` ...
    #[serde(rename = "type")]
    kind: String,
    /// The request field at fault, if one is.
    param: Option<String>,
    /// A stable code, e.g. `invalid_api_key`, `invalid_value`, `rate_limit_exceeded`.
    code: Option<String>,
}

/// The message of [`ApiError::incorrect_api_key`].
const INCORRECT_KEY: &str = "Incorrect API key provided. Create a key with /apikey in chat.";

impl ApiError {
    fn new(status: StatusCode, kind: &'static str, code: Option<&'static str>) -> Self {
        Self {
            status,
            kind,
            code,
            param: None,
            message: String::new(),
            retry_after: None,
            no_retry: false,
        }
    }

    fn message(mut self, message: impl Into<String>) -> Self {
        self.message = message.into();
        self
    }

    fn param(mut self, param: impl Into<String>) -> Self {
        self.param = Some(param.into());
        self
    }

    fn retry_after(mut self, secs: Option<u64>) -> Self {
        self.retry_after = secs;
        self.no_retry = secs.is_none();
        self
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// What a key that is unknown or revoked is told (one answer for both:
    /// whether a key ever existed is not revealed).
    pub fn incorrect_api_key() -> Self {
        Self::invalid_api_key(INCORRECT_KEY)
    }

    /// A missing, unknown or revoked API key (401 `invalid_api_key`).
    pub fn invalid_api_key(message: &str) -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "invalid_request_error",
            Some("invalid_api_key"),
        )
        .message(message)
    }

    /// A field with a bad value (400 `invalid_value`).
    pub fn invalid_value(param: &str, message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            Some("invalid_value"),
        )
        .param(param)
        .message(message)
    }

    /// A field this API does not know (400 `unknown_parameter`).
    pub fn unknown_parameter(param: &str) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            Some("unknown_parameter"),
        )
        .param(param)
        .message(format!("Unknown parameter: '{param}'."))
    }

    /// A required field is absent (400 `missing_required_parameter`).
    pub fn missing(param: &str) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            Some("missing_required_parameter"),
        )
        .param(param)
        .message(format!("Missing required parameter: '{param}'."))
    }

    /// The body is not what the route takes (400, no code).
    pub fn bad_body(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_request_error", None).message(message)
    }

    /// The body is larger than the route accepts (413).
    pub fn too_large(limit: usize) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "invalid_request_error",
            Some("request_too_large"),
        )
        .message(format!("The request body is larger than {limit} bytes."))
    }

    /// A model this deployment does not serve (404 `model_not_found`).
    pub fn model_not_found(model: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "invalid_request_error",
            Some("model_not_found"),
        )
        .param("model")
        .message(format!(
            "The model `{model}` does not exist or you do not have access to it."
        ))
    }

    /// This process does not run the image pipeline (admin-only gateway).
    pub fn not_served() -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "server_error",
            Some("service_unavailable"),
        )
        .message("This server does not serve the images API.")
        .retry_after(None)
    }

    /// The quota or key store cannot be reached: fail closed, nothing charged.
    pub fn unavailable() -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "server_error",
            Some("service_unavailable"),
        )
        .message("The service is temporarily unavailable; nothing was charged. Please retry.")
        .retry_after(Some(1))
    }

    /// A refusal of the gateway; `now` is the ledger's clock for `Retry-After`.
    pub fn from_gateway(err: &GatewayError, now: UnixMillis) -> Self {
        match err {
            GatewayError::Denied(refusal) => Self::from_denial(&refusal.denial, now),
            GatewayError::BadInput { index, error } => Self::new(
                StatusCode::BAD_REQUEST,
                "invalid_request_error",
                Some("invalid_image"),
            )
            .param("image")
            .message(format!("Input image {index} is not usable: {error}.")),
            GatewayError::BadMask { error } => Self::new(
                StatusCode::BAD_REQUEST,
                "invalid_request_error",
                Some("invalid_image"),
            )
            .param("mask")
            .message(format!("The mask is not usable: {error}.")),
            GatewayError::InputExpired(_) | GatewayError::Refused(_) => {
                Self::new(StatusCode::BAD_REQUEST, "invalid_request_error", None)
                    .message(err.to_string())
            }
            GatewayError::Duplicate(_) => {
                Self::new(StatusCode::CONFLICT, "invalid_request_error", None)
                    .message("This request was already taken.")
            }
            GatewayError::Forbidden => {
                Self::new(StatusCode::FORBIDDEN, "permission_error", None).message("Forbidden.")
            }
            GatewayError::Busy => Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "server_error",
                Some("server_busy"),
            )
            .message("Too many uploads are being processed; nothing was charged. Retry shortly.")
            .retry_after(Some(1)),
            GatewayError::Unavailable(why) => {
                tracing::warn!(reason = %why, "gateway unavailable for /v1");
                Self::unavailable()
            }
        }
    }

    /// A quota or policy refusal: 429 with `Retry-After` where the denial
    /// says when it can work, 400 where only a different request can.
    pub fn from_denial(denial: &Denial, now: UnixMillis) -> Self {
        let wait = |at: UnixMillis| Some(secs_until(at, now));
        let limited = |code| Self::new(StatusCode::TOO_MANY_REQUESTS, "requests", Some(code));
        let out_of_quota = || {
            Self::new(
                StatusCode::TOO_MANY_REQUESTS,
                "insufficient_quota",
                Some("insufficient_quota"),
            )
        };
        match denial {
            Denial::Quota { fits, retry_at } => {
                let base = match retry_at {
                    Some(_) => limited("rate_limit_exceeded"),
                    None => out_of_quota(),
                };
                base.message(format!(
                    "Your quota is used up for now ({fits} images of this kind fit now); nothing was charged."
                ))
                .retry_after(retry_at.and_then(wait))
            }
            Denial::Burst { retry_at } => limited("rate_limit_exceeded")
                .message("Too many requests in a short time; slow down.")
                .retry_after(wait(*retry_at)),
            Denial::Cooldown { until } => limited("rate_limit_exceeded")
                .message("Cooling down after repeated safety blocks.")
                .retry_after(wait(*until)),
            Denial::RedeemRate { retry_at } => limited("rate_limit_exceeded")
                .message("Too many attempts.")
                .retry_after(wait(*retry_at)),
            Denial::InFlight { limit } => limited("rate_limit_exceeded")
                .message(format!("{limit} of your requests are already running; wait for one to finish."))
                .retry_after(None),
            Denial::Budget { resets_at } => out_of_quota()
                .message("The service's daily budget is reached; it resets at midnight UTC.")
                .retry_after(wait(*resets_at)),
            Denial::NeedsCode => out_of_quota()
                .message("Your account has no plan: redeem an access code first.")
                .retry_after(None),
            Denial::Banned | Denial::NotAllowed => {
                Self::new(StatusCode::FORBIDDEN, "permission_error", Some("access_denied"))
                    .message("This account may not use the service.")
            }
            Denial::PlanForbids { what, max } => {
                let param = match what.as_str() {
                    "edit" | "inputs" => "image",
                    other => other,
                };
                let most = max.map(|m| format!(" (at most {m})")).unwrap_or_default();
                Self::new(StatusCode::BAD_REQUEST, "invalid_request_error", Some("plan_forbids"))
                    .param(param.to_owned())
                    .message(format!("Your plan does not allow this {what}{most}."))
            }
            Denial::TooCostly => {
                Self::new(StatusCode::BAD_REQUEST, "invalid_request_error", Some("request_too_costly"))
                    .message("The request costs more than one request may: ask for fewer images, a lower quality or a smaller size.")
            }
            Denial::Restarting => Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "server_error",
                Some("restarting"),
            )
            .message("The service is restarting; nothing was charged. Please retry shortly.")
            .retry_after(Some(5)),
            Denial::Size(refusal) => Self::invalid_value(
                "size",
                format!("{}x{} is not a size this model accepts.", refusal.width, refusal.height),
            ),
            Denial::KeyRevoked => Self::invalid_api_key(INCORRECT_KEY),
        }
    }

    /// A job that ended without an image (nothing was charged).
    pub fn from_failure(failure: &JobFailure) -> Self {
        let server = |status, code| Self::new(status, "server_error", Some(code));
        match failure {
            JobFailure::Busy { retry_after_secs } => {
                server(StatusCode::SERVICE_UNAVAILABLE, "server_busy")
                    .message("The image service is busy; nothing was charged.")
                    .retry_after(Some(retry_after_secs.unwrap_or(1)))
            }
            JobFailure::ServiceUnavailable | JobFailure::ShuttingDown => {
                server(StatusCode::SERVICE_UNAVAILABLE, "service_unavailable")
                    .message("The image service is unavailable; nothing was charged.")
                    .retry_after(Some(1))
            }
            JobFailure::ModelUnavailable => {
                server(StatusCode::SERVICE_UNAVAILABLE, "model_unavailable")
                    .message("The image model is not available; nothing was charged.")
            }
            JobFailure::Blocked { reason } => Self::new(
                StatusCode::BAD_REQUEST,
                "image_generation_user_error",
                Some("moderation_blocked"),
            )
            .message(format!(
                "Your request was rejected by the safety system: {reason}"
            )),
            JobFailure::Rejected { reason } => {
                Self::new(StatusCode::BAD_REQUEST, "invalid_request_error", None)
                    .message(reason.clone())
            }
            JobFailure::TooManyQueued { limit } => Self::new(
                StatusCode::TOO_MANY_REQUESTS,
                "requests",
                Some("rate_limit_exceeded"),
            )
            .message(format!(
                "At most {limit} of your jobs may wait; nothing was charged."
            ))
            .retry_after(None),
            JobFailure::TimedOut => server(StatusCode::GATEWAY_TIMEOUT, "timeout")
                .message("The image took too long; nothing was charged."),
            JobFailure::Failed | JobFailure::Cancelled | JobFailure::ReservationLost => {
                server(StatusCode::INTERNAL_SERVER_ERROR, "server_error")
                    .message("The image could not be made; nothing was charged.")
            }
        }
    }

    /// The `error` object (also the payload of a streamed `error` event).
    pub fn body(&self) -> serde_json::Value {
        json!({
            "error": {
                "message": self.message,
                "type": self.kind,
                "param": self.param,
                "code": self.code,
            }
        })
    }
}

/// Whole seconds from `now` until `at`, at least 1 (a `Retry-After: 0`
/// would invite a retry that is refused again).
pub fn secs_until(at: UnixMillis, now: UnixMillis) -> u64 {
    let ms = u64::try_from(at.0.saturating_sub(now.0)).unwrap_or(0);
    ms.div_ceil(1000).max(1)
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status, Json(self.body())).into_response();
        let headers = response.headers_mut();
        if let Some(secs) = self.retry_after {
            headers.insert("retry-after", HeaderValue::from(secs));
        }
        if self.no_retry {
            // The official SDKs honour this before their own retry rules.
            headers.insert("x-should-retry", HeaderValue::from_static("false"));
        }
        response
    }
}
