//! The safety net under the one JSON error shape: answers that no handler
//! wrote (no route, wrong method, a body over the size limit refused by
//! `RequestBodyLimitLayer` before any extractor ran, any extractor someone
//! used without [`super::extract`]) leave as `{"error": {"code", "message"}}`
//! too.
//!
//! The layer rewrites only error statuses (>= 400) whose body is not JSON
//! already, keeps the status and headers (a 405 keeps its `Allow`), and
//! leaves `/v1` alone: that API answers in OpenAI's error shape, its own.

use axum::extract::Request;
use axum::http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::error::{AppError, ErrorBody, code_for_status};

/// The longest plain-text error body kept as the message (axum's rejection
/// texts are one line); anything longer is not ours and is replaced.
const MAX_TEXT: usize = 1024;

/// Middleware (`axum::middleware::from_fn(error_shape::json_errors)`): see
/// the module docs.
pub async fn json_errors(req: Request, next: Next) -> Response {
    let skip = is_openai_path(req.uri().path());
    let response = next.run(req).await;
    if skip || !response.status().is_client_error() && !response.status().is_server_error() {
        return response;
    }
    if is_json(response.headers()) {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let status = parts.status;
    let message = match fixed_message(status) {
        Some(m) => m.to_owned(),
        // axum's rejection texts describe the client's input: keep them.
        None => axum::body::to_bytes(body, MAX_TEXT)
            .await
            .ok()
            .and_then(|b| String::from_utf8(b.to_vec()).ok())
            .map(|t| t.trim().to_owned())
            .filter(|t| !t.is_empty())
            .unwrap_or_else(|| status.canonical_reason().unwrap_or("refused").to_owned()),
    };
    let rewritten = ErrorBody::response(status, code_for_status(status), message);
    // Keep the original headers (Allow on a 405, Retry-After...) except the
    // ones describing the old body.
    parts.headers.remove(CONTENT_LENGTH);
    parts.headers.remove(CONTENT_TYPE);
    let (new_parts, new_body) = rewritten.into_parts();
    parts.headers.extend(new_parts.headers);
    Response::from_parts(parts, new_body)
}

/// The router's fallback: an unknown path answers 404 in the JSON shape and
/// names what was asked.
pub async fn no_route(method: Method, uri: Uri) -> Response {
    AppError::Rejected {
        status: StatusCode::NOT_FOUND,
        code: "route_not_found",
        message: format!("no route for {method} {}", uri.path()),
    }
    .into_response()
}

fn is_openai_path(path: &str) -> bool {
    path == "/v1" || path.starts_with("/v1/")
}

fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|m| {
            let m = m.trim();
            m.eq_ignore_ascii_case("application/json") || m.ends_with("+json")
        })
        .unwrap_or(false)
}

/// Messages that do not depend on the body: empty (405), terse (413), or
/// possibly internal (5xx, never shown).
fn fixed_message(status: StatusCode) -> Option<&'static str> {
    match status {
        StatusCode::METHOD_NOT_ALLOWED => Some("this route does not take that method"),
        StatusCode::PAYLOAD_TOO_LARGE => Some("the request body is larger than allowed"),
        s if s.is_server_error() => Some("internal error"),
        _ => None,
    }
}
