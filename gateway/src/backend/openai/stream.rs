//! Streaming answers (SSE, `stream: true`): `*.partial_image` events become
//! [`BackendEvent::Partial`], the `*.completed` event carries the final image
//! and usage. The final image may come before all partials; partials after
//! it are dropped, and a stream that ends without it is a bad response.

use futures::StreamExt;
use serde::Deserialize;
use tokio::sync::mpsc;

use super::response::{ErrorDetail, ImageRef, WireUsage, decode_b64, stream_error};
use crate::backend::http::{sniff_mime, transport_error};
use crate::backend::price::Usage;
use crate::backend::{BackendError, BackendEvent, ImageData};

/// Most bytes buffered for one event (a partial PNG in base64 is a few MB).
const MAX_EVENT_BYTES: usize = 64 * 1024 * 1024;

/// One server-sent event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SseEvent {
    /// The `event:` field, if any.
    pub event: Option<String>,
    /// The `data:` lines joined by `\n`.
    pub data: String,
}

/// Splits a byte stream into server-sent events (fields `event` and `data`;
/// comments and other fields are ignored).
#[derive(Debug, Default)]
pub(crate) struct SseDecoder {
    line: Vec<u8>,
    event: Option<String>,
    data: Vec<String>,
    buffered: usize,
}

impl SseDecoder {
    /// Feeds bytes; returns the events they completed.
    pub(crate) fn push(&mut self, chunk: &[u8]) -> Result<Vec<SseEvent>, BackendError> {
        let mut out = Vec::new();
        for &b in chunk {
            if b == b'\n' {
                if self.line.last() == Some(&b'\r') {
                    self.line.pop();
                }
                let line = std::mem::take(&mut self.line);
                self.field(&line, &mut out);
            } else {
                self.line.push(b);
                self.buffered += 1;
                if self.buffered > MAX_EVENT_BYTES {
                    return Err(BackendError::BadResponse("stream event too large".into()));
                }
            }
        }
        Ok(out)
    }

    /// Flushes an event the server did not terminate with a blank line.
    pub(crate) fn finish(mut self) -> Option<SseEvent> {
        let mut out = Vec::new();
        let line = std::mem::take(&mut self.line);
        self.field(&line, &mut out);
        self.field(b"", &mut out);
        out.pop()
    }

    fn field(&mut self, line: &[u8], out: &mut Vec<SseEvent>) {
        if line.is_empty() {
            if !self.data.is_empty() {
                out.push(SseEvent {
                    event: self.event.take(),
                    data: std::mem::take(&mut self.data).join("\n"),
                });
            }
            self.event = None;
            self.buffered = 0;
            return;
        }
        let text = String::from_utf8_lossy(line);
        let (name, value) = match text.split_once(':') {
            Some((n, v)) => (n, v.strip_prefix(' ').unwrap_or(v)),
            None => (text.as_ref(), ""),
        };
        match name {
            "data" => self.data.push(value.to_owned()),
            "event" => self.event = Some(value.to_owned()),
            _ => {}
        }
    }
}

#[derive(Deserialize)]
struct StreamPayload {
    #[serde(rename = "type", default)]
    kind: String,
    b64_json: Option<String>,
    usage: Option<WireUsage>,
    error: Option<ErrorDetail>,
}

/// What one event means for the call.
enum Step {
    Continue,
    Done(ImageRef, Option<Usage>),
}

/// Reads a streamed answer to its final image, forwarding partials.
pub(crate) async fn read_stream(
    resp: reqwest::Response,
    events: &mpsc::Sender<BackendEvent>,
    fallback_mime: &str,
    secret: &str,
    timeout: std::time::Duration,
) -> Result<(ImageRef, Option<Usage>), BackendError> {
    let mut decoder = SseDecoder::default();
    let mut body = resp.bytes_stream();
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|e| transport_error(&e, timeout))?;
        for ev in decoder.push(&chunk)? {
            if let Step::Done(image, usage) = handle(&ev, events, fallback_mime, secret)? {
                return Ok((image, usage));
            }
        }
    }
    if let Some(ev) = decoder.finish()
        && let Step::Done(image, usage) = handle(&ev, events, fallback_mime, secret)?
    {
        return Ok((image, usage));
    }
    Err(BackendError::BadResponse(
        "stream ended before the final image".into(),
    ))
}

fn handle(
    ev: &SseEvent,
    events: &mpsc::Sender<BackendEvent>,
    fallback_mime: &str,
    secret: &str,
) -> Result<Step, BackendError> {
    if ev.data.trim() == "[DONE]" {
        return Ok(Step::Continue);
    }
    let payload: StreamPayload = serde_json::from_str(&ev.data)
        .map_err(|e| BackendError::BadResponse(format!("malformed stream event: {e}")))?;
    let kind = if payload.kind.is_empty() {
        ev.event.as_deref().unwrap_or_default()
    } else {
        payload.kind.as_str()
    };
    if let Some(err) = &payload.error {
        return Err(stream_error(err, secret));
    }
    if kind.ends_with(".partial_image") {
        forward_partial(payload.b64_json.as_deref(), events, fallback_mime);
        return Ok(Step::Continue);
    }
    if kind.ends_with(".completed") {
        let b64 = payload
            .b64_json
            .ok_or_else(|| BackendError::BadResponse("completed event without an image".into()))?;
        return Ok(Step::Done(
            decode_b64(&b64)?,
            payload.usage.map(Usage::from),
        ));
    }
    if kind == "error" {
        return Err(BackendError::BadResponse("stream error event".into()));
    }
    Ok(Step::Continue)
}

/// Sends a streamed preview on as [`BackendEvent::Partial`] (also for the
/// Responses API's `partial_image_b64`). A broken preview is skipped: the
/// final image may still be fine.
pub(crate) fn forward_partial(
    b64: Option<&str>,
    events: &mpsc::Sender<BackendEvent>,
    fallback_mime: &str,
) {
    match b64.map(decode_b64) {
        Some(Ok(ImageRef::Inline(bytes))) if !bytes.is_empty() => {
            let mime = sniff_mime(&bytes, fallback_mime);
            // Best effort: a lagging receiver loses a preview, never the job.
            let _ = events.try_send(BackendEvent::Partial {
                image: 0,
                preview: ImageData { bytes, mime },
            });
        }
        _ => tracing::debug!("skipping an unusable partial image"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_events_across_chunk_boundaries() {
        let mut d = SseDecoder::default();
        let mut got = d.push(b"event: a\r\ndata: {\"x\"").unwrap();
        assert!(got.is_empty());
        got.extend(
            d.push(b":1}\r\n\r\n: comment\n\ndata: 2\ndata: 3\n\n")
                .unwrap(),
        );
        got.extend(d.push(b"data: tail").unwrap());
        got.extend(d.finish());
        assert_eq!(
            got,
            vec![
                SseEvent {
                    event: Some("a".into()),
                    data: "{\"x\":1}".into()
                },
                SseEvent {
                    event: None,
                    data: "2\n3".into()
                },
                SseEvent {
                    event: None,
                    data: "tail".into()
                },
            ]
        );
    }

    #[test]
    fn events_map_to_steps() {
        let (tx, mut rx) = mpsc::channel(4);
        let ev = |data: &str| SseEvent {
            event: None,
            data: data.into(),
        };
        let partial = ev(
            r#"{"type":"image_generation.partial_image","b64_json":"aGk=","partial_image_index":0}"#,
        );
        assert!(matches!(
            handle(&partial, &tx, "image/png", ""),
            Ok(Step::Continue)
        ));
        assert!(matches!(
            rx.try_recv(),
            Ok(BackendEvent::Partial { image: 0, .. })
        ));
        let done =
            ev(r#"{"type":"image_edit.completed","b64_json":"aGk=","usage":{"output_tokens":5}}"#);
        assert!(matches!(
            handle(&done, &tx, "image/png", ""),
            Ok(Step::Done(_, Some(_)))
        ));
        let broken = ev(r#"{"type":"image_generation.partial_image","b64_json":"%%"}"#);
        assert!(matches!(
            handle(&broken, &tx, "image/png", ""),
            Ok(Step::Continue)
        ));
        assert!(rx.try_recv().is_err(), "a broken preview is not forwarded");
        let blocked =
            ev(r#"{"type":"error","error":{"code":"moderation_blocked","message":"no"}}"#);
        assert!(matches!(
            handle(&blocked, &tx, "image/png", ""),
            Err(BackendError::Blocked { .. })
        ));
        assert!(matches!(
            handle(&ev("{cut"), &tx, "image/png", ""),
            Err(BackendError::BadResponse(_))
        ));
    }
}
