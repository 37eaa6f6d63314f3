//! Discord's limits on a message payload (content, embeds, components),
//! refused as Discord does: 400 `Invalid Form Body` (code 50035) with the
//! field's path nested under `errors`, e.g.
//! `{"embeds": {"0": {"description": {"_errors": [...]}}}}`.
//!
//! Limits from Discord's docs (message resource, embed limits, message
//! components): content 2000 characters, embed title 256 and description
//! 4096, at most 5 action rows of at most 5 buttons, `custom_id` 1-100
//! characters, button labels up to 80.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

/// One violation: the field's path and Discord's error code and message.
struct Violation {
    path: Vec<String>,
    code: &'static str,
    message: String,
}

/// Discord's answer to a payload over its limits, or `None`.
pub(super) fn form_body(payload: &Value) -> Option<Response> {
    let data = payload.get("data").unwrap_or(payload);
    let v = first_violation(data)?;
    let mut errors = json!({ "_errors": [{ "code": v.code, "message": v.message }] });
    for segment in v.path.iter().rev() {
        let mut level = Map::new();
        level.insert(segment.clone(), errors);
        errors = Value::Object(level);
    }
    let body = json!({ "code": 50035, "message": "Invalid Form Body", "errors": errors });
    Some((StatusCode::BAD_REQUEST, axum::Json(body)).into_response())
}

fn first_violation(data: &Value) -> Option<Violation> {
    let too_long = |path: Vec<String>, max: usize| Violation {
        path,
        code: "BASE_TYPE_MAX_LENGTH",
        message: format!("Must be {max} or fewer in length."),
    };
    let chars = |v: &Value| v.as_str().map_or(0, |s| s.chars().count());
    if chars(&data["content"]) > 2000 {
        return Some(too_long(vec!["content".into()], 2000));
    }
    for (i, embed) in data["embeds"].as_array().into_iter().flatten().enumerate() {
        for (field, max) in [("title", 256), ("description", 4096)] {
            if chars(&embed[field]) > max {
                return Some(too_long(
                    vec!["embeds".into(), i.to_string(), field.into()],
                    max,
                ));
            }
        }
    }
    let rows = data["components"].as_array().cloned().unwrap_or_default();
    if rows.len() > 5 {
        return Some(too_long(vec!["components".into()], 5));
    }
    for (r, row) in rows.iter().enumerate() {
        let items = row["components"].as_array().cloned().unwrap_or_default();
        let at = |rest: &[&str]| {
            let mut p = vec![
                "components".to_owned(),
                r.to_string(),
                "components".to_owned(),
            ];
            p.extend(rest.iter().map(|s| (*s).to_owned()));
            p
        };
        if items.len() > 5 {
            return Some(too_long(at(&[]), 5));
        }
        for (c, item) in items.iter().enumerate() {
            let c = c.to_string();
            if let Some(id) = item.get("custom_id") {
                let n = chars(id);
                if n == 0 {
                    return Some(Violation {
                        path: at(&[&c, "custom_id"]),
                        code: "BASE_TYPE_REQUIRED",
                        message: "This field is required".into(),
                    });
                }
                if n > 100 {
                    return Some(too_long(at(&[&c, "custom_id"]), 100));
                }
            }
            if chars(&item["label"]) > 80 {
                return Some(too_long(at(&[&c, "label"]), 80));
            }
        }
    }
    None
}
