//! The Images API's error replies: `{"error":{"message","type","param","code"}}`
//! with the status the real API uses, for refusals and scripted faults alike.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// A request the fake refuses, as the real API would word it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// HTTP status (400 for bad input, 401 for a bad key).
    pub status: u16,
    /// `error.message`.
    pub message: String,
    /// `error.type`.
    pub kind: &'static str,
    /// `error.param`: the field at fault, if one is.
    pub param: Option<String>,
    /// `error.code`.
    pub code: Option<&'static str>,
}

impl Refusal {
    /// A 400 `invalid_request_error` naming `param`.
    pub(super) fn invalid(param: &str, code: &'static str, message: String) -> Self {
        Self {
            status: 400,
            message,
            kind: "invalid_request_error",
            param: Some(param.to_owned()),
            code: Some(code),
        }
    }

    /// `Missing required parameter: '<name>'.`
    pub(super) fn missing(param: &str) -> Self {
        Self::invalid(
            param,
            "missing_required_parameter",
            format!("Missing required parameter: '{param}'."),
        )
    }

    /// `Invalid value: '<v>'. Supported values are: ...` (OpenAI lists them
    /// quoted, the last after "and").
    pub(super) fn not_one_of(param: &str, value: &str, allowed: &[&str]) -> Self {
        let quoted: Vec<String> = allowed.iter().map(|a| format!("'{a}'")).collect();
        let list = match quoted.split_last() {
            Some((last, rest)) if !rest.is_empty() => format!("{}, and {last}", rest.join(", ")),
            _ => quoted.join(""),
        };
        Self::invalid(
            param,
            "invalid_value",
            format!("Invalid value: '{value}'. Supported values are: {list}."),
        )
    }

    /// A 401 with no `param`.
    pub(super) fn unauthorized(code: Option<&'static str>, message: String) -> Self {
        Self {
            status: 401,
            message,
            kind: "invalid_request_error",
            param: None,
            code,
        }
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::BAD_REQUEST);
        let body = json!({ "error": {
            "message": self.message, "type": self.kind, "param": self.param, "code": self.code,
        }});
        (status, axum::Json(body)).into_response()
    }
}

/// A scripted fault's error body (`param` null), typed as OpenAI types it:
/// safety blocks are `image_generation_user_error`, the rest `invalid_request_error`.
pub(super) fn error(status: u16, code: &'static str, message: &str) -> Response {
    let kind = if code == "moderation_blocked" {
        "image_generation_user_error"
    } else {
        "invalid_request_error"
    };
    Refusal {
        status,
        message: message.to_owned(),
        kind,
        param: None,
        code: Some(code),
    }
    .into_response()
}
