//! The Bot API's wire details: request bodies (JSON or multipart) into
//! parameters and uploads, and error replies in Telegram's shape.

use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde_json::{Value, json};

use super::Upload;
use crate::fake_openai::parse_multipart;

/// Reads the body as JSON or multipart into (params, uploads), or the
/// description Telegram gives a body it cannot read.
pub(super) fn parse_body(
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<(Value, Vec<Upload>), String> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if let Some(boundary) = content_type.split("boundary=").nth(1) {
        let mut params = serde_json::Map::new();
        let mut uploads = Vec::new();
        for part in parse_multipart(body, boundary.trim_matches('"')) {
            if part.filename.is_some() {
                uploads.push(Upload {
                    field: part.name,
                    file_name: part.filename,
                    bytes: part.bytes,
                });
            } else {
                let text = String::from_utf8_lossy(&part.bytes).into_owned();
                let value = if text.starts_with('{') || text.starts_with('[') {
                    serde_json::from_str(&text).unwrap_or(Value::String(text))
                } else {
                    Value::String(text)
                };
                params.insert(part.name, value);
            }
        }
        return Ok((Value::Object(params), uploads));
    }
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok((json!({}), Vec::new()));
    }
    // telegram-bot-api (tdnet's HttpReader::parse_json_parameters) wants one
    // JSON object; anything else is refused before the method runs.
    match serde_json::from_slice::<Value>(body) {
        Ok(params @ Value::Object(_)) => Ok((params, Vec::new())),
        Ok(_) => Err("Bad Request: JSON object expected".to_owned()),
        Err(_) if body.trim_ascii_start().first() != Some(&b'{') => {
            Err("Bad Request: JSON object expected".to_owned())
        }
        Err(_) => Err("Bad Request: expected next field or object end".to_owned()),
    }
}

pub(super) fn telegram_error(
    status: StatusCode,
    description: &str,
    retry_after: Option<u32>,
) -> Response {
    let mut body = json!({
        "ok": false,
        "error_code": status.as_u16(),
        "description": description,
    });
    if let Some(secs) = retry_after {
        body["parameters"] = json!({ "retry_after": secs });
    }
    (status, axum::Json(body)).into_response()
}
