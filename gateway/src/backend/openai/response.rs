//! Reading OpenAI Images API answers: image data (`b64_json` or `url`),
//! token usage, and error bodies mapped to [`BackendError`] kinds.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use reqwest::header::HeaderMap;
use serde::Deserialize;

use crate::backend::BackendError;
use crate::backend::http::{retry_after, scrub};
use crate::backend::price::Usage;

/// Where one returned image is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ImageRef {
    /// Decoded inline bytes.
    Inline(Bytes),
    /// A URL to download (some compatible providers).
    Url(String),
}

/// A parsed non-streaming answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Parsed {
    /// The images, in order.
    pub images: Vec<ImageRef>,
    /// Token usage, when reported.
    pub usage: Option<Usage>,
}

#[derive(Deserialize)]
struct ImagesResponse {
    #[serde(default)]
    data: Vec<Datum>,
    usage: Option<WireUsage>,
}

#[derive(Deserialize)]
struct Datum {
    b64_json: Option<String>,
    url: Option<String>,
}

/// `usage` as the API reports it (also inside stream `completed` events).
#[derive(Debug, Deserialize, Default)]
pub(crate) struct WireUsage {
    #[serde(default)]
    input_tokens: u64,
    #[serde(default)]
    output_tokens: u64,
    input_tokens_details: Option<InputDetails>,
}

#[derive(Debug, Deserialize, Default)]
struct InputDetails {
    #[serde(default)]
    text_tokens: u64,
    #[serde(default)]
    image_tokens: u64,
}

impl From<WireUsage> for Usage {
    fn from(u: WireUsage) -> Self {
        match u.input_tokens_details {
            Some(d) => Usage {
                text_input: d.text_tokens,
                image_input: d.image_tokens,
                output: u.output_tokens,
            },
            None => Usage {
                text_input: u.input_tokens,
                image_input: 0,
                output: u.output_tokens,
            },
        }
    }
}

/// Parses a 2xx body of `/images/generations` or `/images/edits`.
pub(crate) fn parse_images(body: &[u8]) -> Result<Parsed, BackendError> {
    let resp: ImagesResponse = serde_json::from_slice(body)
        .map_err(|e| BackendError::BadResponse(format!("malformed JSON: {e}")))?;
    let images = resp
        .data
        .into_iter()
        .filter_map(|d| match (d.b64_json, d.url) {
            (Some(b64), _) if !b64.is_empty() => Some(decode_b64(&b64)),
            (_, Some(url)) if !url.is_empty() => Some(Ok(ImageRef::Url(url))),
            _ => None,
        })
        .collect::<Result<Vec<_>, _>>()?;
    if images.is_empty() {
        return Err(BackendError::BadResponse("no image in the response".into()));
    }
    Ok(Parsed {
        images,
        usage: resp.usage.map(Usage::from),
    })
}

/// Decodes one `b64_json` value.
pub(crate) fn decode_b64(b64: &str) -> Result<ImageRef, BackendError> {
    STANDARD
        .decode(b64.trim())
        .map(|v| ImageRef::Inline(Bytes::from(v)))
        .map_err(|e| BackendError::BadResponse(format!("bad base64 image: {e}")))
}

#[derive(Deserialize, Default)]
struct ErrorBody {
    error: Option<ErrorDetail>,
}

/// The `error` object of an API error (also sent as a stream event).
#[derive(Debug, Deserialize, Default)]
pub(crate) struct ErrorDetail {
    #[serde(default)]
    message: Option<String>,
    #[serde(default, rename = "type")]
    kind: Option<String>,
    #[serde(default)]
    code: Option<serde_json::Value>,
}

impl ErrorDetail {
    fn code(&self) -> Option<&str> {
        self.code.as_ref().and_then(|c| c.as_str())
    }

    fn is_safety_block(&self) -> bool {
        matches!(
            self.code(),
            Some("moderation_blocked" | "content_policy_violation")
        )
    }

    fn describe(&self, secret: &str) -> String {
        let text = self
            .message
            .as_deref()
            .or(self.code())
            .or(self.kind.as_deref())
            .unwrap_or("no details");
        scrub(text, secret)
    }
}

/// The `error.code` of an error answer, if it has one.
pub(crate) fn error_code(body: &[u8]) -> Option<String> {
    let detail = serde_json::from_slice::<ErrorBody>(body).ok()?.error?;
    detail.code().map(str::to_owned)
}

/// An error event inside a stream: safety blocks stay blocks, the rest is a
/// failed answer (worth the one retry).
pub(crate) fn stream_error(detail: &ErrorDetail, secret: &str) -> BackendError {
    if detail.is_safety_block() {
        BackendError::Blocked {
            reason: detail.describe(secret),
        }
    } else {
        BackendError::BadResponse(format!("stream error: {}", detail.describe(secret)))
    }
}

/// Maps a non-2xx answer to an error kind (rules as the official SDK retries).
pub(crate) fn map_error(
    status: u16,
    headers: &HeaderMap,
    body: &[u8],
    secret: &str,
) -> BackendError {
    let detail = serde_json::from_slice::<ErrorBody>(body)
        .ok()
        .and_then(|b| b.error)
        .unwrap_or_default();
    match status {
        400 if detail.is_safety_block() => BackendError::Blocked {
            reason: detail.describe(secret),
        },
        // Never echo these messages: OpenAI quotes part of the key in them.
        401 | 403 => BackendError::Unavailable(format!("authentication refused (HTTP {status})")),
        429 if detail.code() == Some("insufficient_quota") => {
            BackendError::Unavailable("provider quota or billing exhausted".into())
        }
        404 if detail.code() == Some("model_not_found") => {
            BackendError::ModelGone(detail.describe(secret))
        }
        404 => BackendError::Unavailable(format!(
            "endpoint or model not found: {}",
            detail.describe(secret)
        )),
        408 | 409 | 429 | 500..=599 => BackendError::Busy {
            status,
            retry_after: retry_after(headers),
        },
        _ => BackendError::Rejected(format!("HTTP {status}: {}", detail.describe(secret))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_statuses_map_to_kinds() {
        let h = HeaderMap::new();
        let body = |code: &str| {
            format!(r#"{{"error":{{"message":"m sk-x1y2","type":"t","code":"{code}"}}}}"#)
        };
        assert!(matches!(
            map_error(400, &h, body("moderation_blocked").as_bytes(), "sk-x1y2"),
            BackendError::Blocked { reason } if reason == "m ***"
        ));
        assert!(matches!(
            map_error(429, &h, body("insufficient_quota").as_bytes(), ""),
            BackendError::Unavailable(_)
        ));
        assert!(matches!(
            map_error(429, &h, body("rate_limit_exceeded").as_bytes(), ""),
            BackendError::Busy { status: 429, .. }
        ));
        assert!(matches!(
            map_error(401, &h, body("invalid_api_key").as_bytes(), ""),
            BackendError::Unavailable(m) if !m.contains("sk-")
        ));
        assert!(matches!(
            map_error(404, &h, body("model_not_found").as_bytes(), ""),
            BackendError::ModelGone(_)
        ));
        assert!(matches!(
            map_error(503, &h, b"<html>", ""),
            BackendError::Busy { status: 503, .. }
        ));
        assert!(matches!(
            map_error(400, &h, body("invalid_value").as_bytes(), ""),
            BackendError::Rejected(_)
        ));
    }

    #[test]
    fn images_parse_from_b64_or_url() {
        let body = br#"{"data":[{"b64_json":"aGk="},{"url":"http://x/f.png"}],
            "usage":{"input_tokens":60,"output_tokens":4160,
            "input_tokens_details":{"text_tokens":10,"image_tokens":50}}}"#;
        let p = parse_images(body).unwrap();
        assert_eq!(p.images[0], ImageRef::Inline(Bytes::from_static(b"hi")));
        assert_eq!(p.images[1], ImageRef::Url("http://x/f.png".into()));
        assert_eq!(p.usage.unwrap().image_input, 50);
        assert!(matches!(
            parse_images(b"{\"data\":[]}"),
            Err(BackendError::BadResponse(_))
        ));
        assert!(matches!(
            parse_images(b"{nope"),
            Err(BackendError::BadResponse(_))
        ));
        assert!(matches!(
            parse_images(br#"{"data":[{"b64_json":"%%%"}]}"#),
            Err(BackendError::BadResponse(_))
        ));
    }

    #[test]
    fn any_prefix_or_garbage_is_an_error_not_a_panic() {
        let body = br#"{"data":[{"b64_json":"aGk="}],"usage":{"input_tokens":1}}"#;
        for end in 0..body.len() {
            let _ = parse_images(&body[..end]);
            let _ = map_error(500, &HeaderMap::new(), &body[..end], "k");
        }
        for junk in [
            &b"\xff\xfe\x00"[..],
            b"null",
            b"[]",
            b"{\"data\":null}",
            b"{\"data\":[1]}",
        ] {
            assert!(parse_images(junk).is_err());
            let _ = map_error(400, &HeaderMap::new(), junk, "k");
        }
    }
}
