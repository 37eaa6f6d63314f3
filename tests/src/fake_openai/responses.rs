//! The fake's Responses API (`POST /v1/responses`), on the same server as
//! the Images API so one base URL serves both, as OpenAI's does.
//!
//! It checks what the real one refuses (`responses_rules.rs`; a mainline
//! model outside the models catalog is a 404 `model_not_found`), remembers
//! the response ids it issued and refuses an unknown `previous_response_id`
//! exactly as OpenAI does (400, `previous_response_not_found`, "Previous
//! response with id '...' not found."), can be told to forget every id it
//! issued ([`FakeOpenAi::forget_responses`]: expired, deleted, another
//! key), and streams the real event types: `response.created`,
//! `response.in_progress`, `response.output_item.added`,
//! `response.image_generation_call.{in_progress,generating,partial_image,completed}`,
//! `response.output_item.done` (the `image_generation_call` item with its
//! base64 `result`), `response.completed` (the response with `usage`).
//! The k-th response it answers (0-based) draws [`FakeOpenAi::turn_image`]`(k)`.

use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use serde_json::{Value, json};

use super::errors::{Refusal, error};
use super::stream::sse;
use super::{FakeOpenAi, Reply, Shared, known_png, models, record, responses_rules};

impl FakeOpenAi {
    /// The image the `k`-th answered response (0-based) draws.
    pub fn turn_image(k: usize) -> Bytes {
        known_png(100 + k as u8)
    }

    /// The response ids issued so far, in order (forgotten ones included).
    pub fn issued_responses(&self) -> Vec<String> {
        self.shared.lock().issued.clone()
    }

    /// Forgets every response id issued so far: a later
    /// `previous_response_id` naming one is refused as unknown.
    pub fn forget_responses(&self) {
        let mut inner = self.shared.lock();
        let issued = inner.issued.clone();
        inner.forgotten.extend(issued);
    }

    /// Reports `tool_usage.image_gen` (the image tool's tokens) in each
    /// completed response, as newer API versions do; `None`: not reported.
    pub fn set_image_tool_usage(&self, usage: Option<Value>) {
        self.shared.lock().image_tool_usage = usage;
    }
}

/// `POST /v1/responses`.
pub(super) async fn create(
    State(shared): State<Shared>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let rec = record(&uri, &headers, body);
    let checked = responses_rules::check(&rec, &shared.key);
    let known = |id: &str| {
        let inner = shared.lock();
        inner.issued.iter().any(|i| i == id) && !inner.forgotten.iter().any(|f| f == id)
    };
    let checked = checked.and_then(|asked| match &asked.previous {
        Some(id) if !known(id) => Err(Refusal {
            status: 400,
            message: format!("Previous response with id '{id}' not found."),
            kind: "invalid_request_error",
            param: Some("previous_response_id".into()),
            code: Some("previous_response_not_found"),
        }),
        _ => Ok(asked),
    });
    shared.lock().requests.push(rec);
    let asked = match checked {
        Ok(asked) => asked,
        Err(refusal) => return refusal.into_response(),
    };
    // The mainline model must be one the key can use (the models catalog).
    let catalog = shared.lock().catalog.clone();
    if !catalog
        .unwrap_or_else(models::default_catalog)
        .iter()
        .any(|m| m.id == asked.model)
    {
        return models::model_not_found(&asked.model);
    }
    let mut held = shared.held.subscribe();
    // An error means the fake is gone; answering at once is then harmless.
    let _ = held.wait_for(|holding| !holding).await;
    let reply = shared.lock().script.pop_front().unwrap_or(Reply::Ok);
    match reply {
        Reply::Status(code) => return error(code, "server_error", "The server had an error"),
        Reply::RateLimited { .. } => {
            return error(429, "rate_limit_exceeded", "Rate limit reached");
        }
        Reply::InsufficientQuota => {
            return error(429, "insufficient_quota", "You exceeded your current quota");
        }
        Reply::ModerationBlocked => {
            return error(
                400,
                "moderation_blocked",
                "Your request was rejected by the safety system. safety_violations=[sexual]",
            );
        }
        _ => {}
    }
    let (id, k, tool_usage) = {
        let mut inner = shared.lock();
        let k = inner.issued.len();
        let id = format!("resp_{:032x}", 0x6a11_0000 + k);
        inner.issued.push(id.clone());
        (id, k, inner.image_tool_usage.clone())
    };
    let turn = Turn {
        id,
        k,
        model: asked.model,
        tool: asked.tool,
        partials: asked.partials,
        previous: asked.previous,
        tool_usage,
    };
    if reply == Reply::StreamCut {
        let mut events = turn.opening();
        events.truncate(3);
        return sse(&events);
    }
    if asked.stream {
        let mut events = turn.opening();
        events.extend(turn.closing());
        return sse(&events);
    }
    axum::Json(turn.response("completed", true)).into_response()
}

/// One answered turn.
struct Turn {
    id: String,
    k: usize,
    model: String,
    tool: Value,
    partials: usize,
    previous: Option<String>,
    tool_usage: Option<Value>,
}

impl Turn {
    fn item_id(&self) -> String {
        format!("ig_{:032x}", 0x1a00_0000 + self.k)
    }

    /// The image generation call as the output item reports it.
    fn item(&self, done: bool) -> Value {
        let mut item = json!({ "id": self.item_id(), "type": "image_generation_call",
            "status": if done { "completed" } else { "in_progress" } });
        if done {
            let field = |name: &str, default: &str| {
                self.tool
                    .get(name)
                    .cloned()
                    .unwrap_or_else(|| json!(default))
            };
            item["result"] = json!(STANDARD.encode(FakeOpenAi::turn_image(self.k)));
            item["revised_prompt"] = json!("as asked");
            item["background"] = field("background", "opaque");
            item["output_format"] = field("output_format", "png");
            item["quality"] = match field("quality", "auto") {
                Value::String(q) if q == "auto" => json!("medium"),
                other => other,
            };
            item["size"] = match field("size", "auto") {
                Value::String(s) if s == "auto" => json!("1024x1024"),
                other => other,
            };
        }
        item
    }

    /// The response object at `status`.
    fn response(&self, status: &str, done: bool) -> Value {
        let mut r = json!({
            "id": self.id, "object": "response", "created_at": 1_800_000_000,
            "status": status, "model": self.model, "error": null,
            "incomplete_details": null, "previous_response_id": self.previous,
            "store": true, "tools": [self.tool.clone()],
            "tool_choice": { "type": "image_generation" },
            "output": if done { json!([self.item(true)]) } else { json!([]) },
            "usage": null,
        });
        if done {
            r["usage"] = json!({
                "input_tokens": 310, "input_tokens_details": { "cached_tokens": 0 },
                "output_tokens": 42, "output_tokens_details": { "reasoning_tokens": 0 },
                "total_tokens": 352,
            });
            if let Some(usage) = &self.tool_usage {
                r["tool_usage"] = json!({ "image_gen": usage });
            }
        }
        r
    }

    /// The events up to the last partial image.
    fn opening(&self) -> Vec<String> {
        let item_id = self.item_id();
        let mut events = vec![
            json!({ "type": "response.created", "response": self.response("in_progress", false) }),
            json!({ "type": "response.in_progress", "response": self.response("in_progress", false) }),
            json!({ "type": "response.output_item.added", "output_index": 0, "item": self.item(false) }),
            json!({ "type": "response.image_generation_call.in_progress", "output_index": 0, "item_id": item_id }),
            json!({ "type": "response.image_generation_call.generating", "output_index": 0, "item_id": item_id }),
        ];
        for i in 0..self.partials {
            events.push(json!({
                "type": "response.image_generation_call.partial_image", "output_index": 0,
                "item_id": item_id, "partial_image_index": i,
                "partial_image_b64": STANDARD.encode(FakeOpenAi::partial_image(i)),
            }));
        }
        numbered(events, 0)
    }

    /// The events from the finished call to `response.completed`.
    fn closing(&self) -> Vec<String> {
        let events = vec![
            json!({ "type": "response.image_generation_call.completed", "output_index": 0, "item_id": self.item_id() }),
            json!({ "type": "response.output_item.done", "output_index": 0, "item": self.item(true) }),
            json!({ "type": "response.completed", "response": self.response("completed", true) }),
        ];
        numbered(events, 5 + self.partials)
    }
}

/// Adds each event's `sequence_number`, as the API does.
fn numbered(events: Vec<Value>, from: usize) -> Vec<String> {
    events
        .into_iter()
        .enumerate()
        .map(|(i, mut ev)| {
            ev["sequence_number"] = json!(from + i);
            ev.to_string()
        })
        .collect()
}
