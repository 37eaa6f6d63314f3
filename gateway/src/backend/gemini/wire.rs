//! Gemini `generateContent` wire format: the request body, and the answer
//! read into images, blocks or "no image".

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use reqwest::header::HeaderMap;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::backend::http::{retry_after, scrub};
use crate::backend::price::Usage;
use crate::backend::sizes::gemini_ratio;
use crate::backend::{BackendError, ImageData, ImageJob};

/// Finish reasons that mean the safety system refused.
const BLOCK_REASONS: [&str; 8] = [
    "IMAGE_SAFETY",
    "IMAGE_PROHIBITED_CONTENT",
    "PROHIBITED_CONTENT",
    "SAFETY",
    "BLOCKLIST",
    "SPII",
    "IMAGE_RECITATION",
    "RECITATION",
];

/// The request body: the prompt, then each input as `inline_data`; the
/// shape as the nearest of `ratios` (empty: the built-in list).
pub(crate) fn request_body(job: &ImageJob, ratios: &[(u32, u32)]) -> Value {
    let mut parts = vec![json!({ "text": job.prompt })];
    for input in &job.inputs {
        parts.push(json!({
            "inline_data": { "mime_type": input.mime, "data": STANDARD.encode(&input.bytes) }
        }));
    }
    let mut generation = json!({ "responseModalities": ["TEXT", "IMAGE"] });
    if let Some(ratio) = gemini_ratio(job.options.shape, ratios) {
        generation["imageConfig"] = json!({ "aspectRatio": ratio });
    }
    json!({
        "contents": [{ "role": "user", "parts": parts }],
        "generationConfig": generation,
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Response {
    #[serde(default)]
    candidates: Vec<Candidate>,
    prompt_feedback: Option<PromptFeedback>,
    usage_metadata: Option<UsageMetadata>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Candidate {
    content: Option<Content>,
    finish_reason: Option<String>,
}

#[derive(Deserialize)]
struct Content {
    #[serde(default)]
    parts: Vec<Part>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Part {
    inline_data: Option<InlineData>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct InlineData {
    #[serde(default)]
    mime_type: String,
    #[serde(default)]
    data: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PromptFeedback {
    block_reason: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct UsageMetadata {
    #[serde(default)]
    prompt_token_count: u64,
    #[serde(default)]
    candidates_token_count: u64,
}

/// Reads a 2xx answer: the last image part is the final image.
pub(crate) fn parse(body: &[u8]) -> Result<(ImageData, Option<Usage>), BackendError> {
    let resp: Response = serde_json::from_slice(body)
        .map_err(|e| BackendError::BadResponse(format!("malformed JSON: {e}")))?;
    if let Some(reason) = resp.prompt_feedback.and_then(|f| f.block_reason) {
        return Err(BackendError::Blocked {
            reason: format!("prompt blocked: {}", scrub(&reason, "")),
        });
    }
    let candidate = resp.candidates.into_iter().next();
    let finish = candidate.as_ref().and_then(|c| c.finish_reason.clone());
    if let Some(reason) = finish.as_deref().filter(|r| BLOCK_REASONS.contains(r)) {
        return Err(BackendError::Blocked {
            reason: scrub(reason, ""),
        });
    }
    let image = candidate
        .and_then(|c| c.content)
        .map(|c| c.parts)
        .unwrap_or_default()
        .into_iter()
        .filter_map(|p| p.inline_data)
        .rfind(|d| !d.data.is_empty());
    let Some(data) = image else {
        let why = finish.unwrap_or_else(|| "no candidate".into());
        return Err(BackendError::BadResponse(format!(
            "no image ({})",
            scrub(&why, "")
        )));
    };
    let bytes = STANDARD
        .decode(data.data.trim())
        .map_err(|e| BackendError::BadResponse(format!("bad base64 image: {e}")))?;
    let usage = resp.usage_metadata.map(|u| Usage {
        text_input: u.prompt_token_count,
        image_input: 0,
        output: u.candidates_token_count,
    });
    let bytes = Bytes::from(bytes);
    let fallback = if data.mime_type.is_empty() {
        "image/png"
    } else {
        data.mime_type.as_str()
    };
    let mime = crate::backend::http::sniff_mime(&bytes, fallback);
    Ok((ImageData { bytes, mime }, usage))
}

#[derive(Deserialize, Default)]
struct ErrorBody {
    error: Option<ErrorDetail>,
}

/// Google's `error` object (empty if the body is not one).
#[derive(Deserialize, Default)]
pub(crate) struct ErrorDetail {
    #[serde(default)]
    message: String,
    /// e.g. `NOT_FOUND`, `INVALID_ARGUMENT`.
    #[serde(default)]
    pub(crate) status: String,
    #[serde(default)]
    details: Vec<Value>,
}

impl ErrorDetail {
    /// Reads the `error` of an error answer.
    pub(crate) fn of(body: &[u8]) -> Self {
        serde_json::from_slice::<ErrorBody>(body)
            .ok()
            .and_then(|b| b.error)
            .unwrap_or_default()
    }

    /// Google answers a bad key with 400 INVALID_ARGUMENT + reason API_KEY_INVALID.
    pub(crate) fn is_bad_key(&self) -> bool {
        self.details
            .iter()
            .any(|d| d.get("reason").and_then(Value::as_str) == Some("API_KEY_INVALID"))
    }
}

/// Maps a non-2xx answer to an error kind.
pub(crate) fn map_error(
    status: u16,
    headers: &HeaderMap,
    body: &[u8],
    secret: &str,
) -> BackendError {
    let detail = ErrorDetail::of(body);
    match status {
        400 if detail.is_bad_key() => {
            BackendError::Unavailable("API key refused (HTTP 400)".into())
        }
        401 | 403 => BackendError::Unavailable(format!("authentication refused (HTTP {status})")),
        // The path names the model: Google's NOT_FOUND here means the model.
        404 => BackendError::ModelGone(scrub(&detail.message, secret)),
        408 | 409 | 429 | 500..=599 => BackendError::Busy {
            status,
            retry_after: retry_after(headers).or_else(|| retry_delay(&detail.details)),
        },
        _ => BackendError::Rejected(format!(
            "HTTP {status} {}: {}",
            scrub(&detail.status, secret),
            scrub(&detail.message, secret)
        )),
    }
}

/// Google's `RetryInfo.retryDelay` ("30s") when no header gives a hint.
fn retry_delay(details: &[Value]) -> Option<std::time::Duration> {
    details
        .iter()
        .filter_map(|d| d.get("retryDelay")?.as_str())
        .filter_map(|s| s.strip_suffix('s')?.parse::<f64>().ok())
        .find(|s| (0.0..1e9).contains(s))
        .map(std::time::Duration::from_secs_f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_map_to_images_blocks_or_nothing() {
        let ok = br#"{"candidates":[{"content":{"parts":[{"text":"here"},
            {"inlineData":{"mimeType":"image/png","data":"aGk="}},
            {"inlineData":{"mimeType":"image/png","data":"Ynll"}}]},"finishReason":"STOP"}],
            "usageMetadata":{"promptTokenCount":7,"candidatesTokenCount":1290}}"#;
        let (img, usage) = parse(ok).unwrap();
        assert_eq!(&img.bytes[..], b"bye");
        assert_eq!(usage.unwrap().output, 1290);
        let blocked = br#"{"promptFeedback":{"blockReason":"PROHIBITED_CONTENT"}}"#;
        assert!(
            matches!(parse(blocked), Err(BackendError::Blocked { reason }) if reason.contains("PROHIBITED"))
        );
        let safety = br#"{"candidates":[{"finishReason":"IMAGE_SAFETY"}]}"#;
        assert!(matches!(parse(safety), Err(BackendError::Blocked { .. })));
        let text =
            br#"{"candidates":[{"content":{"parts":[{"text":"no"}]},"finishReason":"STOP"}]}"#;
        assert!(matches!(parse(text), Err(BackendError::BadResponse(m)) if m.contains("no image")));
        assert!(matches!(parse(b"[1"), Err(BackendError::BadResponse(_))));
    }

    #[test]
    fn retry_delay_is_read_from_details() {
        let body = br#"{"error":{"code":429,"status":"RESOURCE_EXHAUSTED","message":"m",
            "details":[{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"12s"}]}}"#;
        assert!(matches!(
            map_error(429, &HeaderMap::new(), body, ""),
            BackendError::Busy { status: 429, retry_after: Some(d) } if d.as_secs() == 12
        ));
        let bad_key = br#"{"error":{"status":"INVALID_ARGUMENT","message":"API key not valid",
            "details":[{"reason":"API_KEY_INVALID"}]}}"#;
        assert!(matches!(
            map_error(400, &HeaderMap::new(), bad_key, ""),
            BackendError::Unavailable(_)
        ));
    }

    #[test]
    fn any_prefix_or_garbage_is_an_error_not_a_panic() {
        let body = br#"{"candidates":[{"content":{"parts":[{"inlineData":{"mimeType":"image/png","data":"aGk="}}]},"finishReason":"STOP"}]}"#;
        for end in 0..body.len() {
            assert!(parse(&body[..end]).is_err());
            let _ = map_error(503, &HeaderMap::new(), &body[..end], "k");
        }
        for junk in [
            &b"null"[..],
            b"{\"candidates\":[{}]}",
            b"{\"candidates\":[{\"content\":{\"parts\":[{}]}}]}",
        ] {
            assert!(parse(junk).is_err());
        }
    }
}
