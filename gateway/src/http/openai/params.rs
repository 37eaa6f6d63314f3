//! The request fields of `/v1/images/generations` and `/v1/images/edits`,
//! checked as OpenAI checks them (unknown fields, types, ranges) and mapped
//! to Easel's render options. JSON bodies and multipart text fields go
//! through the same rules, so both routes refuse alike.

use easel_shared::render::{
    Background, InputFidelity, Moderation, OutputFormat, Quality, RenderOptions, Shape, Tuning,
};
use serde_json::{Map, Value};

use super::error::ApiError;

/// Which route the fields came to (they accept slightly different fields).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// `POST /v1/images/generations` (JSON).
    Generations,
    /// `POST /v1/images/edits` (multipart).
    Edits,
}

impl Route {
    /// The prefix of its stream events (`image_generation` / `image_edit`).
    pub fn event_prefix(self) -> &'static str {
        match self {
            Route::Generations => "image_generation",
            Route::Edits => "image_edit",
        }
    }
}

/// Longest prompt OpenAI accepts for GPT image models.
pub const MAX_PROMPT_CHARS: usize = 32_000;

/// Fields a request may carry (`image`, `image[]` and `mask` are the edit's files).
const GENERATION_FIELDS: &[&str] = &[
    "prompt",
    "model",
    "n",
    "size",
    "quality",
    "background",
    "output_format",
    "output_compression",
    "user",
    "stream",
    "partial_images",
    "response_format",
];
/// OpenAI's edits take no `moderation` (its `unknown_parameter` refusal).
const GENERATION_ONLY_FIELDS: &[&str] = &["moderation"];
const EDIT_ONLY_FIELDS: &[&str] = &["input_fidelity"];

/// A checked request, ready for the gateway.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageParams {
    /// The prompt, whole.
    pub prompt: String,
    /// The model asked for, if named (checked against the configured ones).
    pub model: Option<String>,
    /// Shape, quality, background, format, n.
    pub options: RenderOptions,
    /// `size` as the response echoes it.
    pub size: String,
    /// Whether to answer with server-sent events.
    pub stream: bool,
    /// Most partial images to send when streaming (0..=3).
    pub partial_images: u8,
}

/// Checks `fields` (a JSON object, or multipart text fields made into one).
pub fn parse(route: Route, fields: &Map<String, Value>) -> Result<ImageParams, ApiError> {
    for name in fields.keys() {
        let only = match route {
            Route::Generations => GENERATION_ONLY_FIELDS,
            Route::Edits => EDIT_ONLY_FIELDS,
        };
        let known = GENERATION_FIELDS.contains(&name.as_str()) || only.contains(&name.as_str());
        if !known {
            return Err(ApiError::unknown_parameter(name));
        }
    }
    let prompt = string(fields, "prompt")?.ok_or_else(|| ApiError::missing("prompt"))?;
    if prompt.trim().is_empty() {
        return Err(ApiError::invalid_value(
            "prompt",
            "The prompt must not be empty.",
        ));
    }
    if prompt.chars().count() > MAX_PROMPT_CHARS {
        return Err(ApiError::invalid_value(
            "prompt",
            format!("The prompt is longer than {MAX_PROMPT_CHARS} characters."),
        ));
    }
    let n = integer(fields, "n", 1, 10)?.unwrap_or(1);
    let (shape, size) = match string(fields, "size")?.as_deref() {
        None | Some("auto") => (Shape::Auto, "auto".to_owned()),
        Some(s) => (exact_size(s)?, s.to_owned()),
    };
    let quality = match string(fields, "quality")?.as_deref() {
        None | Some("auto") => Quality::Auto,
        Some("low") => Quality::Low,
        Some("medium") => Quality::Medium,
        Some("high") => Quality::High,
        Some(other) => return Err(one_of("quality", other, "auto, low, medium, high")),
    };
    let background = match string(fields, "background")?.as_deref() {
        None | Some("auto") => Background::Auto,
        Some("transparent") => Background::Transparent,
        Some("opaque") => Background::Opaque,
        Some(other) => return Err(one_of("background", other, "auto, transparent, opaque")),
    };
    let format = match string(fields, "output_format")?.as_deref() {
        None | Some("png") => OutputFormat::Png,
        Some("jpeg") => OutputFormat::Jpeg,
        Some("webp") => OutputFormat::Webp,
        Some(other) => return Err(one_of("output_format", other, "png, jpeg, webp")),
    };
    if background == Background::Transparent && format == OutputFormat::Jpeg {
        return Err(ApiError::invalid_value(
            "background",
            "A transparent background needs output_format png or webp.",
        ));
    }
    // Passed through to the backend over its configured values.
    let tuning = Tuning {
        output_compression: integer(fields, "output_compression", 0, 100)?,
        moderation: match choice(fields, "moderation", &["auto", "low"])?.as_deref() {
            Some("low") => Some(Moderation::Low),
            Some(_) => Some(Moderation::Auto),
            None => None,
        },
        input_fidelity: match choice(fields, "input_fidelity", &["high", "low"])?.as_deref() {
            Some("high") => Some(InputFidelity::High),
            Some(_) => Some(InputFidelity::Low),
            None => None,
        },
    };
    // GPT image models always answer in base64; URLs are DALL-E's.
    choice(fields, "response_format", &["b64_json"])?;
    string(fields, "user")?;
    let stream = boolean(fields, "stream")?.unwrap_or(false);
    let partial_images = integer(fields, "partial_images", 0, 3)?.unwrap_or(0);
    Ok(ImageParams {
        prompt,
        model: string(fields, "model")?,
        options: RenderOptions {
            shape,
            quality,
            background,
            format,
            n,
            tuning,
        },
        size,
        stream,
        partial_images,
    })
}

/// The name OpenAI gives a quality in responses.
pub fn quality_name(q: Quality) -> &'static str {
    match q {
        Quality::Auto => "auto",
        Quality::Low => "low",
        Quality::Medium => "medium",
        Quality::High => "high",
    }
}

/// The name OpenAI gives a background in responses.
pub fn background_name(b: Background) -> &'static str {
    match b {
        Background::Auto => "auto",
        Background::Transparent => "transparent",
        Background::Opaque => "opaque",
    }
}

/// The name OpenAI gives an output format.
pub fn format_name(f: OutputFormat) -> &'static str {
    match f {
        OutputFormat::Png => "png",
        OutputFormat::Jpeg => "jpeg",
        OutputFormat::Webp => "webp",
    }
}

/// `WxH` with both sides whole pixels; whether the model takes it is the
/// pre-check's call (the model's size rule).
fn exact_size(s: &str) -> Result<Shape, ApiError> {
    let bad = || {
        ApiError::invalid_value(
            "size",
            format!("Invalid value: '{s}'. Use 'auto' or WIDTHxHEIGHT, e.g. '1024x1024'."),
        )
    };
    let (w, h) = s.split_once('x').ok_or_else(bad)?;
    let width: u32 = w.parse().map_err(|_| bad())?;
    let height: u32 = h.parse().map_err(|_| bad())?;
    if width == 0 || height == 0 || width > 16_384 || height > 16_384 {
        return Err(bad());
    }
    Ok(Shape::Exact { width, height })
}

fn one_of(param: &str, given: &str, allowed: &str) -> ApiError {
    ApiError::invalid_value(
        param,
        format!("Invalid value: '{given}'. Supported values are: {allowed}."),
    )
}

fn string(fields: &Map<String, Value>, name: &str) -> Result<Option<String>, ApiError> {
    match fields.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(ApiError::invalid_value(
            name,
            format!("Invalid type for '{name}': expected a string."),
        )),
    }
}

/// The field's value when it is one of `allowed`.
fn choice(
    fields: &Map<String, Value>,
    name: &str,
    allowed: &[&str],
) -> Result<Option<String>, ApiError> {
    match string(fields, name)? {
        Some(v) if !allowed.contains(&v.as_str()) => Err(one_of(name, &v, &allowed.join(", "))),
        other => Ok(other),
    }
}

fn integer(
    fields: &Map<String, Value>,
    name: &str,
    min: u8,
    max: u8,
) -> Result<Option<u8>, ApiError> {
    let value = match fields.get(name) {
        None | Some(Value::Null) => return Ok(None),
        Some(v) => v,
    };
    let out_of_range = || {
        ApiError::invalid_value(
            name,
            format!("Invalid value for '{name}': expected an integer from {min} to {max}."),
        )
    };
    let n = value.as_u64().ok_or_else(out_of_range)?;
    if n < u64::from(min) || n > u64::from(max) {
        return Err(out_of_range());
    }
    u8::try_from(n).map(Some).map_err(|_| out_of_range())
}

fn boolean(fields: &Map<String, Value>, name: &str) -> Result<Option<bool>, ApiError> {
    match fields.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(_) => Err(ApiError::invalid_value(
            name,
            format!("Invalid type for '{name}': expected a boolean."),
        )),
    }
}

/// A multipart text field as the JSON value it stands for: numbers and
/// booleans where the field is one, text otherwise.
pub fn text_value(name: &str, text: String) -> Value {
    let typed = matches!(
        name,
        "n" | "output_compression" | "partial_images" | "stream"
    );
    if typed
        && let Ok(v) = serde_json::from_str::<Value>(text.trim())
        && (v.is_number() || v.is_boolean())
    {
        return v;
    }
    Value::String(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fields(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn a_full_request_maps_to_render_options() {
        let p = parse(
            Route::Generations,
            &fields(
                json!({"prompt": "a cat", "n": 2, "size": "1536x1024", "quality": "high",
                "background": "transparent", "output_format": "webp", "stream": true,
                "partial_images": 2, "model": "gpt-image-2", "output_compression": 80,
                "moderation": "low", "user": "u1"}),
            ),
        )
        .expect("valid");
        assert_eq!(p.options.n, 2);
        assert_eq!(
            p.options.shape,
            Shape::Exact {
                width: 1536,
                height: 1024
            }
        );
        assert_eq!(p.options.quality, Quality::High);
        assert_eq!(p.options.format, OutputFormat::Webp);
        assert!(p.stream);
        assert_eq!(p.partial_images, 2);
        assert_eq!(
            p.options.tuning,
            Tuning {
                output_compression: Some(80),
                moderation: Some(Moderation::Low),
                input_fidelity: None,
            }
        );
    }

    #[test]
    fn bad_fields_name_the_param() {
        let check = |v: Value, param: &str| {
            let err = parse(Route::Generations, &fields(v)).expect_err("refused");
            assert_eq!(err.body()["error"]["param"], json!(param));
            assert_eq!(err.status(), axum::http::StatusCode::BAD_REQUEST);
        };
        check(json!({"n": 1}), "prompt");
        check(json!({"prompt": "x", "n": 11}), "n");
        check(json!({"prompt": "x", "n": 0}), "n");
        check(json!({"prompt": "x", "n": "2"}), "n");
        check(json!({"prompt": "x", "size": "big"}), "size");
        check(json!({"prompt": "x", "quality": "hd"}), "quality");
        check(
            json!({"prompt": "x", "background": "transparent", "output_format": "jpeg"}),
            "background",
        );
        check(
            json!({"prompt": "x", "response_format": "url"}),
            "response_format",
        );
        check(json!({"prompt": "x", "style": "vivid"}), "style");
        check(
            json!({"prompt": "x", "input_fidelity": "high"}),
            "input_fidelity",
        );
        check(
            json!({"prompt": "x", "partial_images": 4}),
            "partial_images",
        );
        check(json!({"prompt": "x", "moderation": "none"}), "moderation");
        check(
            json!({"prompt": "x", "output_compression": 101}),
            "output_compression",
        );
        // OpenAI's edits take no moderation, generations no input_fidelity.
        let err = parse(
            Route::Edits,
            &fields(json!({"prompt": "x", "moderation": "low"})),
        )
        .expect_err("refused");
        assert_eq!(err.body()["error"]["param"], json!("moderation"));
        let edit = parse(
            Route::Edits,
            &fields(json!({"prompt": "x", "input_fidelity": "high"})),
        )
        .expect("valid");
        assert_eq!(
            edit.options.tuning.input_fidelity,
            Some(InputFidelity::High)
        );
    }

    #[test]
    fn multipart_text_is_typed_where_the_field_is() {
        assert_eq!(text_value("n", "2".into()), json!(2));
        assert_eq!(text_value("stream", "true".into()), json!(true));
        assert_eq!(text_value("prompt", "2".into()), json!("2"));
    }
}
