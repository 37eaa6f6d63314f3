//! What the real Responses API refuses before it runs a turn, as far as an
//! image conversation uses it: the key; a JSON object body; the top-level
//! fields it knows; `model` and `input` present; each input message's role
//! and parts (`input_text` with `text`, `input_image` with an `image_url`
//! that is an http(s) or base64 `data:image/...` URL, `detail` one of
//! high/low/auto/original); the `image_generation` tool's fields and
//! values; `tool_choice`. Each refusal is OpenAI's 400 shape whose `param`
//! names the field (`input[0].content[1].image_url`, `tools[0].size`).
//!
//! Sources: the API reference for `POST /v1/responses` and the openai-python
//! SDK's types (`responses/tool.py` `ImageGeneration`,
//! `response_input_image_param.py`), fetched 2026-12; the unknown
//! `previous_response_id` refusal is answered by `responses.rs`.

use serde_json::{Map, Value};

use super::Recorded;
use super::errors::Refusal;
use super::validate::{authorize, check_size, in_range, wrong_type};

/// The top-level fields the fake knows the API to take.
const FIELDS: [&str; 22] = [
    "model",
    "input",
    "tools",
    "tool_choice",
    "store",
    "stream",
    "previous_response_id",
    "instructions",
    "metadata",
    "safety_identifier",
    "prompt_cache_key",
    "user",
    "reasoning",
    "text",
    "max_output_tokens",
    "max_tool_calls",
    "parallel_tool_calls",
    "truncation",
    "background",
    "include",
    "service_tier",
    "temperature",
];
/// The `image_generation` tool's fields (openai-python `ImageGeneration`).
const TOOL_FIELDS: [&str; 12] = [
    "type",
    "action",
    "background",
    "input_fidelity",
    "input_image_mask",
    "model",
    "moderation",
    "output_compression",
    "output_format",
    "partial_images",
    "quality",
    "size",
];
/// The tool's image models, as the SDK lists them.
const IMAGE_MODELS: [&str; 6] = [
    "gpt-image-1",
    "gpt-image-1-mini",
    "gpt-image-1.5",
    "gpt-image-2",
    "gpt-image-2-2026-04-21",
    "chatgpt-image-latest",
];

/// What a valid request asked for, as far as the answer depends on it.
#[derive(Debug, Clone)]
pub(super) struct Asked {
    /// The mainline model.
    pub(super) model: String,
    /// The `image_generation` tool as sent.
    pub(super) tool: Value,
    /// Partial images to stream.
    pub(super) partials: usize,
    /// Whether to answer as a stream.
    pub(super) stream: bool,
    /// The conversation continued, if any.
    pub(super) previous: Option<String>,
}

/// Checks `rec` against what the API accepts from the holder of `key`.
pub(super) fn check(rec: &Recorded, key: &str) -> Result<Asked, Refusal> {
    authorize(rec, key)?;
    let Some(Value::Object(body)) = &rec.json else {
        return Err(Refusal {
            status: 400,
            message: "We could not parse the JSON body of your request. The OpenAI API expects a JSON payload.".into(),
            kind: "invalid_request_error",
            param: None,
            code: None,
        });
    };
    if let Some(unknown) = body.keys().find(|k| !FIELDS.contains(&k.as_str())) {
        return Err(unknown_parameter(unknown));
    }
    let model = match body.get("model") {
        Some(Value::String(m)) if !m.is_empty() => m.clone(),
        Some(Value::String(_)) | None | Some(Value::Null) => return Err(Refusal::missing("model")),
        Some(other) => return Err(wrong_type("model", "a string", other)),
    };
    match body.get("input") {
        None | Some(Value::Null) => return Err(Refusal::missing("input")),
        Some(Value::String(_)) => {}
        Some(Value::Array(items)) => {
            for (i, item) in items.iter().enumerate() {
                check_message(item, &format!("input[{i}]"))?;
            }
        }
        Some(other) => return Err(wrong_type("input", "a string or an array", other)),
    }
    let tool = check_tools(body)?;
    check_tool_choice(body)?;
    let previous = match body.get("previous_response_id") {
        None | Some(Value::Null) => None,
        Some(Value::String(id)) => Some(id.clone()),
        Some(other) => return Err(wrong_type("previous_response_id", "a string", other)),
    };
    let stream = match body.get("stream") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(other) => return Err(wrong_type("stream", "a boolean", other)),
    };
    let partials = tool
        .get("partial_images")
        .and_then(Value::as_u64)
        .unwrap_or(0) as usize;
    Ok(Asked {
        model,
        tool,
        partials: if stream { partials } else { 0 },
        stream,
        previous,
    })
}

/// One input message: `{role, content}` with a string or typed parts.
fn check_message(item: &Value, at: &str) -> Result<(), Refusal> {
    let Value::Object(msg) = item else {
        return Err(wrong_type(at, "an object", item));
    };
    let role = msg.get("role").and_then(Value::as_str).unwrap_or_default();
    one_of(
        &format!("{at}.role"),
        role,
        &["user", "assistant", "system", "developer"],
    )?;
    let parts = match msg.get("content") {
        Some(Value::String(_)) => return Ok(()),
        Some(Value::Array(parts)) => parts,
        None | Some(Value::Null) => return Err(Refusal::missing(&format!("{at}.content"))),
        Some(other) => {
            return Err(wrong_type(
                &format!("{at}.content"),
                "a string or an array",
                other,
            ));
        }
    };
    for (j, part) in parts.iter().enumerate() {
        let at = format!("{at}.content[{j}]");
        let kind = part.get("type").and_then(Value::as_str).unwrap_or_default();
        match kind {
            "input_text" => {
                if !part.get("text").is_some_and(Value::is_string) {
                    return Err(Refusal::missing(&format!("{at}.text")));
                }
            }
            "input_image" => check_image(part, &at)?,
            other => one_of(
                &format!("{at}.type"),
                other,
                &["input_text", "input_image", "input_file"],
            )?,
        }
    }
    Ok(())
}

fn check_image(part: &Value, at: &str) -> Result<(), Refusal> {
    let url = part.get("image_url").and_then(Value::as_str);
    let file = part.get("file_id").and_then(Value::as_str);
    match (url, file) {
        (None, None) => return Err(Refusal::missing(&format!("{at}.image_url"))),
        (Some(url), _) => {
            let data = url.starts_with("data:image/") && url.contains(";base64,");
            if !(data || url.starts_with("https://") || url.starts_with("http://")) {
                return Err(Refusal::invalid(
                    &format!("{at}.image_url"),
                    "invalid_value",
                    format!(
                        "Invalid '{at}.image_url'. Expected a valid URL, but got a value with an invalid format."
                    ),
                ));
            }
        }
        (None, Some(_)) => {}
    }
    if let Some(detail) = part.get("detail").and_then(Value::as_str) {
        one_of(
            &format!("{at}.detail"),
            detail,
            &["high", "low", "auto", "original"],
        )?;
    }
    Ok(())
}

/// The tools: exactly the one `image_generation` tool this fake runs.
fn check_tools(body: &Map<String, Value>) -> Result<Value, Refusal> {
    let tools = match body.get("tools") {
        Some(Value::Array(tools)) => tools,
        None | Some(Value::Null) => return Err(Refusal::missing("tools")),
        Some(other) => return Err(wrong_type("tools", "an array", other)),
    };
    let Some(tool) = tools.iter().find(|t| t["type"] == "image_generation") else {
        return Err(Refusal::missing("tools[0]"));
    };
    let i = tools.iter().position(|t| t == tool).unwrap_or(0);
    let at = |field: &str| format!("tools[{i}].{field}");
    let Value::Object(fields) = tool else {
        return Err(wrong_type(&format!("tools[{i}]"), "an object", tool));
    };
    if let Some(unknown) = fields.keys().find(|k| !TOOL_FIELDS.contains(&k.as_str())) {
        return Err(unknown_parameter(&at(unknown)));
    }
    let text = |field: &str| fields.get(field).and_then(Value::as_str);
    let model = text("model").unwrap_or("gpt-image-1");
    one_of(&at("model"), model, &IMAGE_MODELS)?;
    if let Some(size) = text("size") {
        check_size(model, size).map_err(|mut r| {
            r.param = Some(at("size"));
            r
        })?;
    }
    let enums: [(&str, &[&str]); 6] = [
        ("quality", &["low", "medium", "high", "auto"]),
        ("background", &["transparent", "opaque", "auto"]),
        ("output_format", &["png", "webp", "jpeg"]),
        ("moderation", &["auto", "low"]),
        ("input_fidelity", &["high", "low"]),
        ("action", &["generate", "edit", "auto"]),
    ];
    for (field, allowed) in enums {
        if let Some(v) = fields.get(field) {
            let v = v
                .as_str()
                .ok_or_else(|| wrong_type(&at(field), "a string", v))?;
            one_of(&at(field), v, allowed)?;
        }
    }
    if text("background") == Some("transparent") && text("output_format") == Some("jpeg") {
        return Err(Refusal::invalid(
            &at("background"),
            "invalid_value",
            "Transparent background requires output_format 'png' or 'webp'.".into(),
        ));
    }
    for (field, max) in [("partial_images", 3), ("output_compression", 100)] {
        if let Some(v) = fields.get(field) {
            let n = v
                .as_i64()
                .ok_or_else(|| wrong_type(&at(field), "an integer", v))?;
            in_range(&at(field), n, 0, max)?;
        }
    }
    if let Some(mask) = fields.get("input_image_mask")
        && !mask.get("image_url").is_some_and(Value::is_string)
        && !mask.get("file_id").is_some_and(Value::is_string)
    {
        return Err(Refusal::missing(&at("input_image_mask.image_url")));
    }
    Ok(tool.clone())
}

fn check_tool_choice(body: &Map<String, Value>) -> Result<(), Refusal> {
    match body.get("tool_choice") {
        None | Some(Value::Null) => Ok(()),
        Some(Value::String(mode)) => one_of("tool_choice", mode, &["auto", "none", "required"]),
        Some(Value::Object(choice)) => {
            let kind = choice
                .get("type")
                .and_then(Value::as_str)
                .unwrap_or_default();
            one_of(
                "tool_choice.type",
                kind,
                &[
                    "image_generation",
                    "function",
                    "file_search",
                    "web_search_preview",
                    "code_interpreter",
                    "mcp",
                    "computer_use_preview",
                ],
            )
        }
        Some(other) => Err(wrong_type("tool_choice", "a string or an object", other)),
    }
}

fn one_of(param: &str, value: &str, allowed: &[&str]) -> Result<(), Refusal> {
    if allowed.contains(&value) {
        Ok(())
    } else {
        Err(Refusal::not_one_of(param, value, allowed))
    }
}

fn unknown_parameter(name: &str) -> Refusal {
    Refusal::invalid(
        name,
        "unknown_parameter",
        format!("Unknown parameter: '{name}'."),
    )
}
