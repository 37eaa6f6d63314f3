//! Server-sent events as the Images API streams them: `*.partial_image`
//! events (exactly as many as `partial_images` asked), then `*.completed`,
//! split into chunks that straddle events as a real network does.

use axum::body::Body;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use serde_json::{Value, json};

use super::{FakeOpenAi, Style};

/// `count` partial image events for `prefix` (`image_generation` or `image_edit`).
pub(super) fn partial_events(prefix: &str, count: usize) -> Vec<String> {
    (0..count)
        .map(|i| {
            json!({
                "type": format!("{prefix}.partial_image"),
                "b64_json": STANDARD.encode(FakeOpenAi::partial_image(i)),
                "partial_image_index": i,
            })
            .to_string()
        })
        .collect()
}

/// The final event, with `usage` when the style has one.
pub(super) fn completed_event(prefix: &str, style: &Style) -> String {
    let mut ev = json!({
        "type": format!("{prefix}.completed"),
        "b64_json": STANDARD.encode(FakeOpenAi::final_image(0)),
    });
    if let Some(usage) = &style.usage {
        ev["usage"] = usage.clone();
    }
    ev.to_string()
}

/// A `text/event-stream` response carrying `events` in order.
pub(super) fn sse(events: &[String]) -> Response {
    let mut body = String::new();
    for data in events {
        let kind = serde_json::from_str::<Value>(data)
            .ok()
            .and_then(|v| v["type"].as_str().map(str::to_owned))
            .unwrap_or_default();
        body.push_str(&format!("event: {kind}\ndata: {data}\n\n"));
    }
    // Split into chunks so events straddle reads, as on a real network.
    let chunks: Vec<Result<Bytes, std::io::Error>> = body
        .into_bytes()
        .chunks(1000)
        .map(|c| Ok(Bytes::copy_from_slice(c)))
        .collect();
    Response::builder()
        .header(header::CONTENT_TYPE, "text/event-stream")
        .body(Body::from_stream(futures::stream::iter(chunks)))
        .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}
