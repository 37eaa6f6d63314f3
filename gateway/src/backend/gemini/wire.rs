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
use crate::backend::{BackendError, ImageData};
use easel_shared::render::Shape;
use easel_shared::results::gemini::{
    GeminiTurn, ImageSource, PartContent, TurnImage, TurnPart, TurnRole,
};

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

/// The request body: `contents` (see `turns`), and the shape as the
/// nearest of `ratios` (empty: the built-in list) with the output size
/// tier (`imageSize`, Gemini 3) when the capability table gives one.
pub(crate) fn request_body(
    contents: Value,
    shape: Shape,
    ratios: &[(u32, u32)],
    image_size: Option<&str>,
) -> Value {
    let mut generation = json!({ "responseModalities": ["TEXT", "IMAGE"] });
    let mut image_config = serde_json::Map::new();
    if let Some(ratio) = gemini_ratio(shape, ratios) {
        image_config.insert("aspectRatio".into(), json!(ratio));
    }
    if let Some(size) = image_size {
        image_config.insert("imageSize".into(), json!(size));
    }
    if !image_config.is_empty() {
        generation["imageConfig"] = Value::Object(image_config);
    }
    json!({
        "contents": contents,
        "generationConfig": generation,
    })
}

/// One answer read: the final image, usage, and Gemini's turn as the
/// history keeps it (its non-thought text and the final image, each with
/// its signature; the image as output `index` of the result).
pub(crate) struct Reply {
    /// The final image.
    pub(crate) image: ImageData,
    /// Tokens, if reported.
    pub(crate) usage: Option<Usage>,
    /// The model turn for the continuation.
    pub(crate) turn: GeminiTurn,
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
    text: Option<String>,
    /// A thought summary or thought image: not the answer, not resent.
    #[serde(default)]
    thought: bool,
    thought_signature: Option<String>,
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
    /// The prompt's tokens by modality (`TEXT`, `IMAGE`), when reported.
    #[serde(default)]
    prompt_tokens_details: Vec<ModalityCount>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ModalityCount {
    #[serde(default)]
    modality: String,
    #[serde(default)]
    token_count: u64,
}

impl UsageMetadata {
    /// As OpenAI splits it: the prompt's image tokens apart (from
    /// `promptTokensDetails`), the rest of the prompt as text, the
    /// candidates as output.
    fn usage(&self) -> Usage {
        let image_input: u64 = self
            .prompt_tokens_details
            .iter()
            .filter(|d| d.modality == "IMAGE")
            .map(|d| d.token_count)
            .sum();
        let image_input = image_input.min(self.prompt_token_count);
        Usage {
            text_input: self.prompt_token_count - image_input,
            image_input,
            output: self.candidates_token_count,
        }
    }
}

/// The usage a 2xx answer reports, whatever else it holds: Google bills
/// the tokens of an answer without an image (text only, a safety stop) too.
pub(crate) fn usage_of(body: &[u8]) -> Option<Usage> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Billed {
        usage_metadata: Option<UsageMetadata>,
    }
    let billed: Billed = serde_json::from_slice(body).ok()?;
    billed.usage_metadata.as_ref().map(UsageMetadata::usage)
}

/// Reads a 2xx answer: the last image part is the final image; `index` is
/// the output it becomes (for the continuation's reference).
pub(crate) fn parse(body: &[u8], index: u8) -> Result<Reply, BackendError> {
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
    let parts = candidate
        .and_then(|c| c.content)
        .map(|c| c.parts)
        .unwrap_or_default();
    let has_image = |p: &Part| p.inline_data.as_ref().is_some_and(|d| !d.data.is_empty());
    // Gemini 3 marks its interim images `thought`: the answer is the last
    // image that is not one (any last image from models without thoughts).
    let last = parts
        .iter()
        .rposition(|p| has_image(p) && !p.thought)
        .or_else(|| parts.iter().rposition(has_image));
    let mut turn = GeminiTurn {
        role: TurnRole::Model,
        parts: Vec::new(),
    };
    let mut image = None;
    for (i, part) in parts.into_iter().enumerate() {
        let signature = part.thought_signature;
        if Some(i) == last {
            image = part.inline_data;
            turn.parts.push(TurnPart {
                content: PartContent::Image(TurnImage {
                    source: ImageSource::OwnOutput { index },
                    bytes: None,
                }),
                thought_signature: signature,
            });
        } else if let (Some(text), false) = (part.text, part.thought) {
            turn.parts.push(TurnPart {
                content: PartContent::Text { text },
                thought_signature: signature,
            });
        }
    }
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
    let usage = resp.usage_metadata.as_ref().map(UsageMetadata::usage);
    let bytes = Bytes::from(bytes);
    let fallback = if data.mime_type.is_empty() {
        "image/png"
    } else {
        data.mime_type.as_str()
    };
    let mime = crate::backend::http::sniff_mime(&bytes, fallback);
    Ok(Reply {
        image: ImageData { bytes, mime },
        usage,
        turn,
    })
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
        let reply = parse(ok, 0).unwrap();
        assert_eq!(&reply.image.bytes[..], b"bye");
        assert_eq!(reply.usage.unwrap().output, 1290);
        let blocked = br#"{"promptFeedback":{"blockReason":"PROHIBITED_CONTENT"}}"#;
        assert!(
            matches!(parse(blocked, 0), Err(BackendError::Blocked { reason }) if reason.contains("PROHIBITED"))
        );
        let safety = br#"{"candidates":[{"finishReason":"IMAGE_SAFETY"}]}"#;
        assert!(matches!(
            parse(safety, 0),
            Err(BackendError::Blocked { .. })
        ));
        let text =
            br#"{"candidates":[{"content":{"parts":[{"text":"no"}]},"finishReason":"STOP"}]}"#;
        assert!(
            matches!(parse(text, 0), Err(BackendError::BadResponse(m)) if m.contains("no image"))
        );
        assert!(matches!(parse(b"[1", 0), Err(BackendError::BadResponse(_))));
    }

    #[test]
    fn the_reply_turn_keeps_signatures_and_leaves_thoughts_out() {
        let body = br#"{"candidates":[{"content":{"role":"model","parts":[
            {"text":"planning","thought":true},
            {"inlineData":{"mimeType":"image/png","data":"aGk="},"thought":true},
            {"text":"Here it is.","thoughtSignature":"U0lHMQ=="},
            {"inlineData":{"mimeType":"image/png","data":"Ynll"},"thoughtSignature":"U0lHMg=="},
            {"inlineData":{"mimeType":"image/png","data":"bGF0ZQ=="},"thought":true}]},
            "finishReason":"STOP"}]}"#;
        let reply = parse(body, 2).unwrap();
        assert_eq!(&reply.image.bytes[..], b"bye");
        let parts = &reply.turn.parts;
        assert_eq!(parts.len(), 2, "thought parts are not kept: {parts:?}");
        assert_eq!(parts[0].thought_signature.as_deref(), Some("U0lHMQ=="));
        assert_eq!(
            parts[1],
            TurnPart {
                content: PartContent::Image(TurnImage {
                    source: ImageSource::OwnOutput { index: 2 },
                    bytes: None,
                }),
                thought_signature: Some("U0lHMg==".into()),
            }
        );
    }

    #[test]
    fn usage_splits_the_prompt_by_modality() {
        let body = br#"{"candidates":[{"content":{"parts":[
            {"inlineData":{"mimeType":"image/png","data":"aGk="}}]},"finishReason":"STOP"}],
            "usageMetadata":{"promptTokenCount":270,"candidatesTokenCount":1290,
            "promptTokensDetails":[{"modality":"TEXT","tokenCount":12},
                {"modality":"IMAGE","tokenCount":258}]}}"#;
        let usage = parse(body, 0).expect("image").usage.expect("usage");
        assert_eq!(
            (usage.text_input, usage.image_input, usage.output),
            (12, 258, 1290)
        );
        // Without details the whole prompt counts as text.
        let plain = br#"{"usageMetadata":{"promptTokenCount":7,"candidatesTokenCount":3}}"#;
        let usage = usage_of(plain).expect("usage");
        assert_eq!(
            (usage.text_input, usage.image_input, usage.output),
            (7, 0, 3)
        );
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
            assert!(parse(&body[..end], 0).is_err());
            let _ = map_error(503, &HeaderMap::new(), &body[..end], "k");
        }
        for junk in [
            &b"null"[..],
            b"{\"candidates\":[{}]}",
            b"{\"candidates\":[{\"content\":{\"parts\":[{}]}}]}",
        ] {
            assert!(parse(junk, 0).is_err());
        }
    }
}
