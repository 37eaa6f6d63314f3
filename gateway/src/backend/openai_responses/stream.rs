//! Reading a streamed Responses API turn (SSE): `response.created` names
//! the response, `response.image_generation_call.partial_image` events
//! become [`BackendEvent::Partial`], `response.output_item.done` with an
//! `image_generation_call` item carries the final image, and
//! `response.completed` ends the turn with its `usage` (the mainline
//! model's tokens) and, where the API reports it, `tool_usage.image_gen`
//! (the image tool's). `error`, `response.failed` and `response.incomplete`
//! end it with an error.

use bytes::Bytes;
use futures::StreamExt;
use serde::Deserialize;
use tokio::sync::mpsc;

use crate::backend::http::transport_error;
use crate::backend::openai::{
    ErrorDetail, ImageRef, SseDecoder, SseEvent, WireUsage, decode_b64, forward_partial,
    stream_error,
};
use crate::backend::price::Usage;
use crate::backend::{BackendError, BackendEvent};

/// What one finished turn produced.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(super) struct Turn {
    /// The response id (`resp_...`): the next turn's `previous_response_id`.
    pub(super) response_id: String,
    /// The final image of the tool call, if the model drew one.
    pub(super) image: Option<Bytes>,
    /// The image's quality and size as the tool reports them (priced by).
    pub(super) quality: Option<String>,
    /// See `quality`.
    pub(super) size: Option<String>,
    /// The mainline model's tokens.
    pub(super) usage: Option<Usage>,
    /// The image tool's tokens, when reported.
    pub(super) image_usage: Option<Usage>,
}

/// Reads the stream to `response.completed`, forwarding partials.
pub(super) async fn read(
    resp: reqwest::Response,
    events: &mpsc::Sender<BackendEvent>,
    fallback_mime: &str,
    secret: &str,
    timeout: std::time::Duration,
) -> Result<Turn, BackendError> {
    let mut decoder = SseDecoder::default();
    let mut turn = Turn::default();
    let mut body = resp.bytes_stream();
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|e| transport_error(&e, timeout))?;
        for ev in decoder.push(&chunk)? {
            if handle(&ev, &mut turn, events, fallback_mime, secret)? {
                return Ok(turn);
            }
        }
    }
    if let Some(ev) = decoder.finish()
        && handle(&ev, &mut turn, events, fallback_mime, secret)?
    {
        return Ok(turn);
    }
    Err(BackendError::BadResponse(
        "stream ended before response.completed".into(),
    ))
}

#[derive(Deserialize, Default)]
struct Payload {
    #[serde(rename = "type", default)]
    kind: String,
    response: Option<ResponseObject>,
    item: Option<Item>,
    partial_image_b64: Option<String>,
}

#[derive(Deserialize, Default)]
struct ResponseObject {
    #[serde(default)]
    id: String,
    usage: Option<TextUsage>,
    tool_usage: Option<ToolUsage>,
    error: Option<ErrorDetail>,
    incomplete_details: Option<serde_json::Value>,
}

/// The Responses API's `usage`: the mainline model's tokens (image inputs
/// it read are input tokens at its own rate).
#[derive(Deserialize, Default)]
struct TextUsage {
    #[serde(default)]
    input_tokens: u64,
    #[serde(default)]
    output_tokens: u64,
}

#[derive(Deserialize, Default)]
struct ToolUsage {
    image_gen: Option<WireUsage>,
}

#[derive(Deserialize, Default)]
struct Item {
    #[serde(rename = "type", default)]
    kind: String,
    result: Option<String>,
    quality: Option<String>,
    size: Option<String>,
}

/// Applies one event; `true` once the turn is complete.
fn handle(
    ev: &SseEvent,
    turn: &mut Turn,
    events: &mpsc::Sender<BackendEvent>,
    fallback_mime: &str,
    secret: &str,
) -> Result<bool, BackendError> {
    if ev.data.trim() == "[DONE]" {
        return Ok(false);
    }
    let payload: Payload = serde_json::from_str(&ev.data)
        .map_err(|e| BackendError::BadResponse(format!("malformed stream event: {e}")))?;
    let kind = if payload.kind.is_empty() {
        ev.event.as_deref().unwrap_or_default()
    } else {
        payload.kind.as_str()
    };
    match kind {
        "response.created" | "response.in_progress" => {
            if let Some(r) = payload.response.filter(|r| !r.id.is_empty()) {
                turn.response_id = r.id;
            }
        }
        "response.image_generation_call.partial_image" => {
            forward_partial(payload.partial_image_b64.as_deref(), events, fallback_mime);
        }
        "response.output_item.done" => {
            let Some(item) = payload.item.filter(|i| i.kind == "image_generation_call") else {
                return Ok(false);
            };
            if let Some(b64) = item.result.filter(|b| !b.is_empty()) {
                turn.image = Some(inline(decode_b64(&b64)?)?);
                turn.quality = item.quality;
                turn.size = item.size;
            }
        }
        "response.completed" => {
            let r = payload.response.unwrap_or_default();
            if !r.id.is_empty() {
                turn.response_id = r.id;
            }
            turn.usage = r.usage.map(|u| Usage {
                text_input: u.input_tokens,
                image_input: 0,
                output: u.output_tokens,
            });
            turn.image_usage = r.tool_usage.and_then(|t| t.image_gen).map(Usage::from);
            if turn.response_id.is_empty() {
                return Err(BackendError::BadResponse("response without an id".into()));
            }
            return Ok(true);
        }
        "response.failed" => {
            let detail = payload.response.and_then(|r| r.error).unwrap_or_default();
            return Err(stream_error(&detail, secret));
        }
        "response.incomplete" => {
            let why = payload
                .response
                .and_then(|r| r.incomplete_details)
                .map_or_else(|| "no reason".to_owned(), |d| d.to_string());
            return Err(BackendError::BadResponse(format!(
                "response incomplete: {why}"
            )));
        }
        "error" => {
            let detail: ErrorDetail = serde_json::from_str(&ev.data).unwrap_or_default();
            return Err(stream_error(&detail, secret));
        }
        _ => {}
    }
    Ok(false)
}

fn inline(image: ImageRef) -> Result<Bytes, BackendError> {
    match image {
        ImageRef::Inline(bytes) if !bytes.is_empty() => Ok(bytes),
        _ => Err(BackendError::BadResponse("empty image".into())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(data: &str) -> SseEvent {
        SseEvent {
            event: None,
            data: data.into(),
        }
    }

    #[test]
    fn a_turn_reads_id_partials_image_and_both_usages() {
        let (tx, mut rx) = mpsc::channel(4);
        let mut turn = Turn::default();
        let steps = [
            r#"{"type":"response.created","response":{"id":"resp_7","status":"in_progress"}}"#,
            r#"{"type":"response.image_generation_call.partial_image","partial_image_b64":"aGk=","partial_image_index":0}"#,
            r#"{"type":"response.output_item.done","item":{"type":"message","content":[]}}"#,
            r#"{"type":"response.output_item.done","item":{"id":"ig_1","type":"image_generation_call","status":"completed","result":"aGk=","quality":"high","size":"1024x1024"}}"#,
        ];
        for data in steps {
            assert!(!handle(&ev(data), &mut turn, &tx, "image/png", "").unwrap());
        }
        assert!(matches!(
            rx.try_recv(),
            Ok(BackendEvent::Partial { image: 0, .. })
        ));
        let done = r#"{"type":"response.completed","response":{"id":"resp_7",
            "usage":{"input_tokens":300,"output_tokens":40,"input_tokens_details":{"cached_tokens":0}},
            "tool_usage":{"image_gen":{"input_tokens":60,"output_tokens":4160,
            "input_tokens_details":{"text_tokens":10,"image_tokens":50}}}}}"#;
        assert!(handle(&ev(done), &mut turn, &tx, "image/png", "").unwrap());
        assert_eq!(turn.response_id, "resp_7");
        assert_eq!(turn.image.as_deref(), Some(&b"hi"[..]));
        assert_eq!(turn.size.as_deref(), Some("1024x1024"));
        assert_eq!(
            turn.usage,
            Some(Usage {
                text_input: 300,
                image_input: 0,
                output: 40
            })
        );
        assert_eq!(
            turn.image_usage,
            Some(Usage {
                text_input: 10,
                image_input: 50,
                output: 4160
            })
        );
    }

    #[test]
    fn failures_map_to_kinds() {
        let (tx, _rx) = mpsc::channel(4);
        let mut turn = Turn::default();
        let blocked = r#"{"type":"response.failed","response":{"id":"resp_1",
            "error":{"code":"moderation_blocked","message":"no sk-key1"}}}"#;
        assert!(matches!(
            handle(&ev(blocked), &mut turn, &tx, "image/png", "sk-key1"),
            Err(BackendError::Blocked { reason }) if reason == "no ***"
        ));
        let error = r#"{"type":"error","code":"server_error","message":"oops","param":null}"#;
        assert!(matches!(
            handle(&ev(error), &mut turn, &tx, "image/png", ""),
            Err(BackendError::BadResponse(_))
        ));
        let incomplete = r#"{"type":"response.incomplete","response":{"id":"r",
            "incomplete_details":{"reason":"max_output_tokens"}}}"#;
        assert!(matches!(
            handle(&ev(incomplete), &mut turn, &tx, "image/png", ""),
            Err(BackendError::BadResponse(m)) if m.contains("max_output_tokens")
        ));
        assert!(matches!(
            handle(&ev("{cut"), &mut turn, &tx, "image/png", ""),
            Err(BackendError::BadResponse(_))
        ));
        let nameless = r#"{"type":"response.completed","response":{"usage":null}}"#;
        assert!(handle(&ev(nameless), &mut Turn::default(), &tx, "image/png", "").is_err());
    }
}
