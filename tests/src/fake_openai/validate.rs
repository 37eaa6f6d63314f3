//! What the real Images API refuses before it draws anything, checked in
//! the order it reports them: the key, then the body's fields (required,
//! typed, in range), each refusal a 400 whose `param` names the field.
//!
//! Sources: the API reference for `images/generations` and `images/edits`
//! (n 1-10, quality/background/output_format values, partial_images 0-3,
//! transparent needs png or webp, up to 16 `image[]`), the team's FACTS notes
//! for gpt-image-2 sizes; message wording and codes as the API sends them
//! (`missing_required_parameter`, `invalid_type`, `invalid_value`,
//! `integer_above_max_value`, seen in public error reports; `Unknown
//! parameter: 'response_format'.` with code `unknown_parameter` for GPT image
//! models, as in vercel/ai#6102). `safety_identifier` is not an Images API
//! field (the Responses API's; images take `user`): checked against the
//! request params the official openai-python SDK generates from the API
//! spec (`image_generate_params.py`, `image_edit_params.py`, 2026-08-21).

use serde_json::Value;

use super::Recorded;
use super::errors::Refusal;

/// Longest prompt the GPT image models take, in characters.
const PROMPT_MAX: usize = 32_000;
/// Most input images one edit takes.
const EDIT_IMAGES_MAX: usize = 16;
/// The fields `images/generations` takes (the API refuses any other:
/// `Unknown parameter: '<name>'.`, code `unknown_parameter`).
const GENERATION_FIELDS: [&str; 12] = [
    "model",
    "prompt",
    "n",
    "size",
    "quality",
    "background",
    "output_format",
    "output_compression",
    "moderation",
    "user",
    "stream",
    "partial_images",
];
/// The fields `images/edits` takes, besides the `image`/`image[]` and `mask` files.
const EDIT_FIELDS: [&str; 12] = [
    "model",
    "prompt",
    "n",
    "size",
    "quality",
    "background",
    "output_format",
    "output_compression",
    "input_fidelity",
    "user",
    "stream",
    "partial_images",
];
/// The sizes every GPT image model takes.
const FIXED_SIZES: [&str; 4] = ["1024x1024", "1024x1536", "1536x1024", "auto"];

/// What a valid request asked for, as far as the answer depends on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Asked {
    /// Images to return.
    pub(super) n: usize,
    /// Whether to answer as a server-sent event stream.
    pub(super) stream: bool,
    /// Partial images to send before the final one when streaming.
    pub(super) partials: usize,
}

/// Checks `rec` against what the API accepts from the holder of `key`.
pub(super) fn check(rec: &Recorded, key: &str, edit: bool) -> Result<Asked, Refusal> {
    authorize(rec, key)?;
    let body = Body::new(rec, edit)?;
    body.known_fields(if edit {
        &EDIT_FIELDS
    } else {
        &GENERATION_FIELDS
    })?;
    let model = body
        .string("model")?
        .ok_or_else(|| Refusal::missing("model"))?;
    let prompt = body
        .string("prompt")?
        .ok_or_else(|| Refusal::missing("prompt"))?;
    if prompt.is_empty() {
        return Err(Refusal::invalid(
            "prompt",
            "empty_string",
            "Invalid 'prompt': empty string. Expected a string with minimum length 1, but got an empty string instead.".into(),
        ));
    }
    let length = prompt.chars().count();
    if length > PROMPT_MAX {
        return Err(Refusal::invalid(
            "prompt",
            "string_above_max_length",
            format!(
                "Invalid 'prompt': string too long. Expected a string with maximum length {PROMPT_MAX}, but got a string with length {length} instead."
            ),
        ));
    }
    if edit {
        check_edit_images(rec)?;
    }
    let n = body.integer("n")?.unwrap_or(1);
    in_range("n", n, 1, 10)?;
    if let Some(size) = body.string("size")? {
        check_size(&model, &size)?;
    }
    body.one_of("quality", &["low", "medium", "high", "auto"])?;
    let background = body.one_of("background", &["transparent", "opaque", "auto"])?;
    let format = body.one_of("output_format", &["png", "jpeg", "webp"])?;
    if background.as_deref() == Some("transparent") && format.as_deref() == Some("jpeg") {
        // The rule is documented ("transparent needs png or webp"); the wording is ours.
        return Err(Refusal::invalid(
            "background",
            "invalid_value",
            "Transparent background requires output_format 'png' or 'webp'.".into(),
        ));
    }
    if let Some(c) = body.integer("output_compression")? {
        in_range("output_compression", c, 0, 100)?;
    }
    body.one_of("moderation", &["auto", "low"])?;
    if edit {
        body.one_of("input_fidelity", &["high", "low"])?;
    }
    let stream = body.boolean("stream")?.unwrap_or(false);
    let partials = body.integer("partial_images")?.unwrap_or(0);
    in_range("partial_images", partials, 0, 3)?;
    Ok(Asked {
        n: n as usize,
        stream,
        partials: partials as usize,
    })
}

/// `Authorization: Bearer <key>`, or the 401 OpenAI answers (every route
/// of the API needs it, not only the image ones).
pub(super) fn authorize(rec: &Recorded, key: &str) -> Result<(), Refusal> {
    authorize_header(rec.headers.get("authorization").map(String::as_str), key)
}

/// The same check on the raw `Authorization` header value, for routes that
/// are not recorded as image requests (the models routes).
pub(super) fn authorize_header(given: Option<&str>, key: &str) -> Result<(), Refusal> {
    let Some(given) = given else {
        return Err(Refusal::unauthorized(
            None,
            "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).".into(),
        ));
    };
    match given.strip_prefix("Bearer ") {
        Some(k) if k == key => Ok(()),
        other => Err(Refusal::unauthorized(
            Some("invalid_api_key"),
            format!(
                "Incorrect API key provided: {}. You can find your API key at https://platform.openai.com/account/api-keys.",
                masked(other.unwrap_or(given))
            ),
        )),
    }
}

/// OpenAI quotes a wrong key with its middle starred out.
fn masked(key: &str) -> String {
    let chars: Vec<char> = key.chars().collect();
    if chars.len() <= 8 {
        return "*".repeat(chars.len());
    }
    let head: String = chars[..3].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(chars.len() - 7))
}

fn check_edit_images(rec: &Recorded) -> Result<(), Refusal> {
    let images = rec
        .parts
        .iter()
        .filter(|p| (p.name == "image" || p.name == "image[]") && p.filename.is_some())
        .count();
    if images == 0 {
        return Err(Refusal::missing("image"));
    }
    if images > EDIT_IMAGES_MAX {
        return Err(Refusal::invalid(
            "image",
            "array_above_max_length",
            format!(
                "Invalid 'image': array too long. Expected an array with maximum length {EDIT_IMAGES_MAX}, but got an array with length {images} instead."
            ),
        ));
    }
    Ok(())
}

/// gpt-image-2 takes any WxH within its bounds; the earlier GPT image
/// models take only the fixed sizes.
pub(super) fn check_size(model: &str, size: &str) -> Result<(), Refusal> {
    if FIXED_SIZES.contains(&size) {
        return Ok(());
    }
    if !model.starts_with("gpt-image-2") {
        return Err(Refusal::not_one_of("size", size, &FIXED_SIZES));
    }
    let dims = size
        .split_once('x')
        .and_then(|(w, h)| Some((w.parse::<u64>().ok()?, h.parse::<u64>().ok()?)));
    let fits = dims.is_some_and(|(w, h)| {
        let (long, short) = (w.max(h), w.min(h));
        w % 16 == 0
            && h % 16 == 0
            && short > 0
            && long <= 3840
            && long <= 3 * short
            && (655_360..=8_294_400).contains(&(w * h))
    });
    if fits {
        return Ok(());
    }
    Err(Refusal::invalid(
        "size",
        "invalid_value",
        format!(
            "Invalid size '{size}'. Both edges must be multiples of 16, the long edge at most 3840, the ratio at most 3:1 and the area between 655360 and 8294400 pixels."
        ),
    ))
}

pub(super) fn in_range(param: &str, value: i64, min: i64, max: i64) -> Result<(), Refusal> {
    if value < min {
        return Err(Refusal::invalid(
            param,
            "integer_below_min_value",
            format!(
                "Invalid '{param}': integer below minimum value. Expected a value >= {min}, but got {value} instead."
            ),
        ));
    }
    if value > max {
        return Err(Refusal::invalid(
            param,
            "integer_above_max_value",
            format!(
                "Invalid '{param}': integer above maximum value. Expected a value <= {max}, but got {value} instead."
            ),
        ));
    }
    Ok(())
}

/// The request's fields: typed JSON (generations) or multipart text, which
/// the API coerces (`"2"` is an integer there).
enum Body<'a> {
    Json(&'a serde_json::Map<String, Value>),
    Form(&'a Recorded),
}

impl<'a> Body<'a> {
    fn new(rec: &'a Recorded, edit: bool) -> Result<Self, Refusal> {
        if edit {
            return Ok(Self::Form(rec));
        }
        match &rec.json {
            Some(Value::Object(map)) => Ok(Self::Json(map)),
            _ => Err(Refusal {
                status: 400,
                message: "We could not parse the JSON body of your request. The OpenAI API expects a JSON payload.".into(),
                kind: "invalid_request_error",
                param: None,
                code: None,
            }),
        }
    }

    /// The raw field: a JSON value, or a multipart text part as a JSON string.
    fn get(&self, name: &str) -> Option<Value> {
        match self {
            Self::Json(map) => map.get(name).cloned(),
            Self::Form(rec) => rec
                .parts
                .iter()
                .find(|p| p.name == name && p.filename.is_none())
                .map(|p| Value::String(String::from_utf8_lossy(&p.bytes).into_owned())),
        }
    }

    fn string(&self, name: &str) -> Result<Option<String>, Refusal> {
        match self.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(other) => Err(wrong_type(name, "a string", &other)),
        }
    }

    fn integer(&self, name: &str) -> Result<Option<i64>, Refusal> {
        match self.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(n)) if n.as_i64().is_some() => Ok(n.as_i64()),
            Some(Value::String(s)) if matches!(self, Self::Form(_)) => s
                .trim()
                .parse()
                .map(Some)
                .map_err(|_| wrong_type(name, "an integer", &Value::String(s))),
            Some(other) => Err(wrong_type(name, "an integer", &other)),
        }
    }

    fn boolean(&self, name: &str) -> Result<Option<bool>, Refusal> {
        match self.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(b)),
            Some(Value::String(s))
                if matches!(self, Self::Form(_)) && (s == "true" || s == "false") =>
            {
                Ok(Some(s == "true"))
            }
            Some(other) => Err(wrong_type(name, "a boolean", &other)),
        }
    }

    /// Refuses the first field the endpoint does not take.
    fn known_fields(&self, known: &[&str]) -> Result<(), Refusal> {
        let names: Vec<&str> = match self {
            Self::Json(map) => map.keys().map(String::as_str).collect(),
            Self::Form(rec) => rec
                .parts
                .iter()
                .filter(|p| !matches!(p.name.as_str(), "image" | "image[]" | "mask"))
                .map(|p| p.name.as_str())
                .collect(),
        };
        match names.into_iter().find(|n| !known.contains(n)) {
            Some(unknown) => Err(Refusal::invalid(
                unknown,
                "unknown_parameter",
                format!("Unknown parameter: '{unknown}'."),
            )),
            None => Ok(()),
        }
    }

    /// A string field that must be one of `allowed` when present.
    fn one_of(&self, name: &str, allowed: &[&str]) -> Result<Option<String>, Refusal> {
        let value = self.string(name)?;
        match value.as_deref() {
            Some(v) if !allowed.contains(&v) => Err(Refusal::not_one_of(name, v, allowed)),
            _ => Ok(value),
        }
    }
}

pub(super) fn wrong_type(name: &str, expected: &str, got: &Value) -> Refusal {
    let got = match got {
        Value::String(_) => "a string",
        Value::Number(n) if n.is_i64() || n.is_u64() => "an integer",
        Value::Number(_) => "a decimal",
        Value::Bool(_) => "a boolean",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
        Value::Null => "null",
    };
    Refusal::invalid(
        name,
        "invalid_type",
        format!("Invalid type for '{name}': expected {expected}, but got {got} instead."),
    )
}
