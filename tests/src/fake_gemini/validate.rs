//! What the real Gemini API refuses before it generates: a missing key
//! (403 PERMISSION_DENIED), a wrong key (400 INVALID_ARGUMENT, reason
//! API_KEY_INVALID), a body that is not JSON, no `contents` or an empty
//! turn, and an aspect ratio the image models do not offer.
//!
//! Sources: Gemini API reference (`generateContent`, `x-goog-api-key`,
//! `imageConfig.aspectRatio`: 1:1, 2:3, 3:2, 3:4, 4:3, 4:5, 5:4, 9:16, 16:9,
//! 21:9, and on gemini-3.1-flash-image also 1:4, 4:1, 1:8, 8:1;
//! `imageConfig.imageSize`: 1K, 2K, 4K, upper-case K, and "512" on
//! gemini-3.1-flash-image; read 2026-12-05); the error bodies follow
//! Google's `google.rpc.Status` JSON shape.
//! The key and `contents` messages are Google's; the aspect-ratio message
//! is worded by us (the status and code are what matter to a client).

use serde_json::{Value, json};

/// The aspect ratios Gemini image models accept.
const RATIOS: [&str; 10] = [
    "1:1", "2:3", "3:2", "3:4", "4:3", "4:5", "5:4", "9:16", "16:9", "21:9",
];

/// A refusal: HTTP status, `error.status`, `error.message`, `error.details`.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Refusal {
    pub(super) code: u16,
    pub(super) status: &'static str,
    pub(super) message: String,
    pub(super) details: Value,
}

impl Refusal {
    pub(super) fn invalid(message: impl Into<String>) -> Self {
        Self {
            code: 400,
            status: "INVALID_ARGUMENT",
            message: message.into(),
            details: json!([]),
        }
    }

    /// Google's answer to a wrong API key.
    pub(super) fn bad_key() -> Self {
        Self {
            details: json!([{
                "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                "reason": "API_KEY_INVALID",
                "domain": "googleapis.com",
            }]),
            ..Self::invalid("API key not valid. Please pass a valid API key.")
        }
    }
}

/// Ratios only gemini-3.1-flash-image takes.
const FLASH_RATIOS: [&str; 4] = ["1:4", "4:1", "1:8", "8:1"];

/// Whether `model` is the flash image model (wider ratios, a 512 tier).
fn is_flash(model: &str) -> bool {
    model.starts_with("gemini-3.1-flash-image")
}

/// Checks the key header and the body for `model`.
pub(super) fn check(
    key: Option<&str>,
    expected: &str,
    model: &str,
    body: &[u8],
) -> Result<(), Refusal> {
    check_key(key, expected)?;
    check_body(model, body)
}

/// Checks the `x-goog-api-key` header alone (every route needs it).
pub(super) fn check_key(key: Option<&str>, expected: &str) -> Result<(), Refusal> {
    match key {
        None => Err(Refusal {
                code: 403,
                status: "PERMISSION_DENIED",
                message: "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.".into(),
                details: json!([]),
            }),
        Some(k) if k != expected => Err(Refusal::bad_key()),
        Some(_) => Ok(()),
    }
}

/// Checks a `generateContent` body.
fn check_body(model: &str, body: &[u8]) -> Result<(), Refusal> {
    let Ok(Value::Object(json)) = serde_json::from_slice::<Value>(body) else {
        return Err(Refusal::invalid(
            "Invalid JSON payload received. Unexpected token.",
        ));
    };
    let contents = json.get("contents").and_then(Value::as_array);
    if contents.is_none_or(Vec::is_empty) {
        return Err(Refusal::invalid(
            "* GenerateContentRequest.contents: contents is not specified\n",
        ));
    }
    for (i, turn) in contents.into_iter().flatten().enumerate() {
        let parts = turn.get("parts").and_then(Value::as_array);
        if parts.is_none_or(Vec::is_empty) {
            return Err(Refusal::invalid(format!(
                "* GenerateContentRequest.contents[{i}].parts: contents.parts must not be empty.\n"
            )));
        }
    }
    let config = json
        .get("generationConfig")
        .or_else(|| json.get("generation_config"));
    let image_config = config.and_then(|c| c.get("imageConfig").or_else(|| c.get("image_config")));
    let ratio = image_config.and_then(|c| c.get("aspectRatio").or_else(|| c.get("aspect_ratio")));
    let mut ratios = RATIOS.to_vec();
    if is_flash(model) {
        ratios.extend(FLASH_RATIOS);
    }
    if let Some(ratio) = ratio
        && !ratio.as_str().is_some_and(|r| ratios.contains(&r))
    {
        return Err(Refusal::invalid(format!(
            "* GenerateContentRequest.generation_config.image_config.aspect_ratio: unsupported aspect ratio {ratio}; supported: {}\n",
            ratios.join(", ")
        )));
    }
    let size = image_config.and_then(|c| c.get("imageSize").or_else(|| c.get("image_size")));
    let mut sizes = vec!["1K", "2K", "4K"];
    if is_flash(model) {
        sizes.insert(0, "512");
    }
    if let Some(size) = size
        && !size.as_str().is_some_and(|s| sizes.contains(&s))
    {
        return Err(Refusal::invalid(format!(
            "* GenerateContentRequest.generation_config.image_config.image_size: unsupported image size {size}; supported: {}\n",
            sizes.join(", ")
        )));
    }
    Ok(())
}
