//! A fake Gemini API on 127.0.0.1:0: `POST /v1beta/models/{model}:generateContent`
//! answering camelCase candidates with text and `inlineData` image parts, with
//! scripted faults (statuses, block reasons, text-only answers, malformed
//! JSON, slow answers). Every request is recorded (path, headers, JSON body).
//!
//! Like the real API it refuses a missing or wrong `x-goog-api-key`, a body
//! without `contents`, unknown aspect ratios and image sizes for the model
//! (`validate`), and a follow-up whose `model` turns lack the thought
//! signatures it issued or pair them with other content (`signatures`), in
//! Google's error shape; refused requests are recorded and leave the
//! script alone. Answers carry a thought (text and a preview image marked
//! `thought`), then a signed text and the signed final image.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use serde_json::{Value, json};

use crate::fake_openai::known_png;

mod models;
mod signatures;
mod validate;

use validate::Refusal;

/// The API key a fake started with [`FakeGemini::start`] accepts.
pub const API_KEY: &str = "AIza-test-SECRET-7b31e0";

/// What the fake does with one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GeminiReply {
    /// Text, a preview image, then the final image.
    Ok,
    /// Wait, then answer normally.
    Slow(Duration),
    /// An error status with a Google error body and optional `retry-after`.
    Status {
        /// HTTP status.
        code: u16,
        /// `retry-after` header, seconds.
        retry_after_secs: Option<u64>,
    },
    /// 400 INVALID_ARGUMENT with reason API_KEY_INVALID (Google's bad key).
    BadKey,
    /// `promptFeedback.blockReason`.
    PromptBlocked(String),
    /// A candidate with this `finishReason` and no content.
    Finish(String),
    /// Only text, finishReason STOP.
    TextOnly,
    /// 200 with a body that is not JSON.
    MalformedJson,
    /// 404 NOT_FOUND for the requested model (retired at run time).
    ModelNotFound,
}

/// One request as received.
#[derive(Debug, Clone)]
pub struct GeminiRequest {
    /// The `{model}:generateContent` path segment's model.
    pub model: String,
    /// Headers, names lower-case.
    pub headers: HashMap<String, String>,
    /// The JSON body (Null if it was not JSON).
    pub json: Value,
}

#[derive(Default)]
struct Inner {
    script: VecDeque<GeminiReply>,
    requests: Vec<GeminiRequest>,
    /// The models routes' catalog (`None`: the default one).
    catalog: Option<Vec<String>>,
    /// Paths of models calls, apart from `generateContent` calls.
    model_requests: Vec<String>,
    /// Thought signatures issued so far.
    issued: signatures::Issued,
}

/// A running fake; stops when the test's runtime ends.
#[derive(Clone)]
pub struct FakeGemini {
    inner: Arc<Mutex<Inner>>,
    origin: String,
    /// The only API key the fake accepts.
    key: Arc<str>,
}

impl FakeGemini {
    /// Starts the fake on an ephemeral port, accepting [`API_KEY`].
    pub async fn start() -> Self {
        Self::start_with_key(API_KEY).await
    }

    /// Starts the fake accepting only `key` (header `x-goog-api-key`).
    pub async fn start_with_key(key: &str) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind fake Gemini");
        let addr = listener.local_addr().expect("local addr");
        let fake = Self {
            inner: Arc::default(),
            origin: format!("http://{addr}"),
            key: Arc::from(key),
        };
        let app = models::routes(Router::new())
            .route("/v1beta/models/{target}", post(generate))
            .layer(DefaultBodyLimit::disable())
            .with_state(fake.clone());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        fake
    }

    /// The base URL to configure.
    pub fn base_url(&self) -> String {
        self.origin.clone()
    }

    /// Queues replies for the next requests; after them, every reply is `Ok`.
    pub fn script(&self, replies: impl IntoIterator<Item = GeminiReply>) {
        self.lock().script.extend(replies);
    }

    /// Every request so far.
    pub fn requests(&self) -> Vec<GeminiRequest> {
        self.lock().requests.clone()
    }

    /// The final image of every successful answer.
    pub fn final_image() -> Bytes {
        known_png(100)
    }

    /// The preview image sent before the final one in the same answer.
    pub fn preview_image() -> Bytes {
        known_png(101)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

async fn generate(
    State(fake): State<FakeGemini>,
    Path(target): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some(model) = target.strip_suffix(":generateContent") else {
        return google_error(Refusal {
            code: 404,
            status: "NOT_FOUND",
            message: "unknown method".into(),
            details: json!([]),
        });
    };
    let key = headers.get("x-goog-api-key").and_then(|v| v.to_str().ok());
    let checked = validate::check(key, &fake.key, model, &body).and_then(|()| {
        let json: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        let contents = json.get("contents").and_then(Value::as_array);
        fake.lock()
            .issued
            .check(contents.map_or(&[][..], Vec::as_slice))
    });
    let rec = GeminiRequest {
        model: model.to_owned(),
        headers: headers
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_owned(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect(),
        json: serde_json::from_slice(&body).unwrap_or(Value::Null),
    };
    fake.lock().requests.push(rec);
    if let Err(refusal) = checked {
        return google_error(refusal);
    }
    let reply = fake.lock().script.pop_front().unwrap_or(GeminiReply::Ok);
    match reply {
        GeminiReply::Ok => ok(&fake),
        GeminiReply::Slow(d) => {
            tokio::time::sleep(d).await;
            ok(&fake)
        }
        GeminiReply::Status {
            code,
            retry_after_secs,
        } => {
            let mut resp = google_error(Refusal {
                code,
                status: "UNAVAILABLE",
                message: "The model is overloaded.".into(),
                details: json!([]),
            });
            if let Some(s) = retry_after_secs {
                resp.headers_mut().insert("retry-after", s.into());
            }
            resp
        }
        GeminiReply::BadKey => google_error(Refusal::bad_key()),
        GeminiReply::PromptBlocked(reason) => axum::Json(json!({
            "promptFeedback": { "blockReason": reason },
            "usageMetadata": { "promptTokenCount": 7, "totalTokenCount": 7 }
        }))
        .into_response(),
        GeminiReply::Finish(reason) => axum::Json(json!({
            "candidates": [{ "finishReason": reason, "index": 0 }]
        }))
        .into_response(),
        GeminiReply::TextOnly => axum::Json(json!({
            "candidates": [{
                "content": { "role": "model", "parts": [{ "text": "I can only describe it." }] },
                "finishReason": "STOP"
            }]
        }))
        .into_response(),
        GeminiReply::ModelNotFound => models::not_found(model),
        GeminiReply::MalformedJson => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/json")],
            "{\"candidates\": [{",
        )
            .into_response(),
    }
}

fn ok(fake: &FakeGemini) -> Response {
    let data = |bytes: Bytes| STANDARD.encode(bytes);
    let text = "Here is your image.";
    let image = data(FakeGemini::final_image());
    let (text_signature, image_signature) = {
        let mut inner = fake.lock();
        (inner.issued.sign(text), inner.issued.sign(&image))
    };
    axum::Json(json!({
        "candidates": [{
            "content": { "role": "model", "parts": [
                { "text": "Composing the scene.", "thought": true },
                { "inlineData": { "mimeType": "image/png", "data": data(FakeGemini::preview_image()) },
                  "thought": true },
                { "text": text, "thoughtSignature": text_signature },
                { "inlineData": { "mimeType": "image/png", "data": image },
                  "thoughtSignature": image_signature },
            ]},
            "finishReason": "STOP",
            "index": 0
        }],
        "usageMetadata": { "promptTokenCount": 12, "candidatesTokenCount": 1290, "totalTokenCount": 1302 }
    }))
    .into_response()
}

/// Google's error body: `{"error":{"code","message","status","details"}}`.
fn google_error(r: Refusal) -> Response {
    let http = StatusCode::from_u16(r.code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let body = json!({ "error": {
        "code": r.code, "message": r.message, "status": r.status, "details": r.details,
    }});
    (http, axum::Json(body)).into_response()
}
