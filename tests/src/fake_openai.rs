//! A fake OpenAI Images API (and Responses API, `responses.rs`) on
//! 127.0.0.1:0 speaking the real wire format:
//! `POST /v1/images/generations` (JSON) and `/v1/images/edits` (multipart
//! with `image[]` parts), SSE streaming with partial images, images inline
//! or by URL (served under `/files/`), and scripted faults per request.
//! Every request is recorded (path, headers, body, multipart parts).
//!
//! Like the real API it refuses what it would refuse (`validate`): a missing
//! or wrong key (401), missing or mistyped fields, values out of range, each
//! in OpenAI's error shape (`errors`). Refused requests are recorded too, and
//! do not use up a scripted reply.

use std::collections::{HashMap, VecDeque};
use std::io::Cursor;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use serde_json::{Value, json};

mod errors;
mod models;
mod multipart;
mod responses;
mod responses_rules;
mod stream;
mod validate;

pub use errors::Refusal;
pub use models::CatalogModel;
pub use multipart::{FormPart, parse_multipart};

use errors::error;
use stream::{completed_event, partial_events, sse};

/// The API key a fake started with [`FakeOpenAi::start`] accepts.
pub const API_KEY: &str = "sk-test-SECRET-4f2a9c17";

/// A small PNG, different for each `seed`: the "known bytes" a fake returns.
pub fn known_png(seed: u8) -> Bytes {
    let img = image::RgbaImage::from_fn(8, 8, |x, y| {
        image::Rgba([seed, (x * 30) as u8, (y * 30) as u8, 255])
    });
    let mut out = Cursor::new(Vec::new());
    // Encoding 256 bytes of pixels to memory cannot fail.
    image::DynamicImage::ImageRgba8(img)
        .write_to(&mut out, image::ImageFormat::Png)
        .expect("encode test PNG");
    Bytes::from(out.into_inner())
}

/// What the fake does with one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// Answer normally (inline or URL, streamed if asked).
    Ok,
    /// Wait, then answer normally.
    Slow(Duration),
    /// 429 rate limit with optional `retry-after-ms` / `retry-after` (seconds).
    RateLimited {
        /// `retry-after-ms` header.
        retry_after_ms: Option<u64>,
        /// `retry-after` header, seconds.
        retry_after_secs: Option<u64>,
    },
    /// A 5xx (or any) status with an OpenAI error body.
    Status(u16),
    /// 429 with code `insufficient_quota` (billing exhausted).
    InsufficientQuota,
    /// 401 whose message quotes the key, as OpenAI does.
    Unauthorized,
    /// 400 `moderation_blocked` with `safety_violations=[...]`.
    ModerationBlocked,
    /// 200 with a body that is not JSON.
    MalformedJson,
    /// A stream of partials that ends before `completed`.
    StreamCut,
    /// Only this many images, whatever `n` was.
    FewerImages(usize),
    /// 404 `model_not_found` naming the requested model (retired at run time).
    ModelNotFound,
}

/// One request as received.
#[derive(Debug, Clone)]
pub struct Recorded {
    /// Request path.
    pub path: String,
    /// Headers, names lower-case.
    pub headers: HashMap<String, String>,
    /// The raw body.
    pub body: Bytes,
    /// The body as JSON (generations).
    pub json: Option<Value>,
    /// The multipart parts (edits), in order.
    pub parts: Vec<FormPart>,
}

impl Recorded {
    /// The text of a multipart field (or a JSON string/number field).
    pub fn field(&self, name: &str) -> Option<String> {
        if let Some(v) = self.json.as_ref().and_then(|j| j.get(name)) {
            return Some(v.as_str().map_or_else(|| v.to_string(), str::to_owned));
        }
        self.parts
            .iter()
            .find(|p| p.name == name)
            .map(|p| String::from_utf8_lossy(&p.bytes).into_owned())
    }
}

/// How successful answers look.
#[derive(Debug, Clone)]
pub struct Style {
    /// `data[].url` instead of `data[].b64_json`.
    pub by_url: bool,
    /// Send `completed` before the partials (allowed by the API).
    pub final_first: bool,
    /// The `usage` object, if any.
    pub usage: Option<Value>,
}

impl Default for Style {
    fn default() -> Self {
        Self {
            by_url: false,
            final_first: false,
            usage: Some(json!({
                "input_tokens": 60, "output_tokens": 4160, "total_tokens": 4220,
                "input_tokens_details": { "text_tokens": 10, "image_tokens": 50 }
            })),
        }
    }
}

#[derive(Default)]
struct Inner {
    script: VecDeque<Reply>,
    style: Style,
    requests: Vec<Recorded>,
    files: HashMap<String, Bytes>,
    /// The models routes' catalog (`None`: the default one).
    catalog: Option<Vec<models::CatalogModel>>,
    /// Paths of models calls, apart from image calls.
    model_requests: Vec<String>,
    /// Response ids the Responses API issued, in order.
    issued: Vec<String>,
    /// Issued ids it was told to forget.
    forgotten: Vec<String>,
    /// `tool_usage.image_gen` to report, if any.
    image_tool_usage: Option<Value>,
    /// Added to every image answer (see [`FakeOpenAi::set_latency`]).
    latency: Duration,
}

#[derive(Clone)]
struct Shared {
    inner: Arc<Mutex<Inner>>,
    /// While true, answers wait (see [`FakeOpenAi::hold`]).
    held: Arc<tokio::sync::watch::Sender<bool>>,
    origin: String,
    /// The only API key the fake accepts.
    key: Arc<str>,
}

impl Shared {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A running fake; stops when the test's runtime ends.
#[derive(Clone)]
pub struct FakeOpenAi {
    shared: Shared,
}

impl FakeOpenAi {
    /// Starts the fake on an ephemeral port, accepting [`API_KEY`].
    pub async fn start() -> Self {
        Self::start_with_key(API_KEY).await
    }

    /// Starts the fake accepting only `key` (`Authorization: Bearer <key>`).
    pub async fn start_with_key(key: &str) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind fake OpenAI");
        let addr = listener.local_addr().expect("local addr");
        let shared = Shared {
            inner: Arc::default(),
            held: Arc::new(tokio::sync::watch::Sender::new(false)),
            origin: format!("http://{addr}"),
            key: Arc::from(key),
        };
        let app = models::routes(Router::new())
            .route("/v1/images/generations", post(images))
            .route("/v1/images/edits", post(images))
            .route("/v1/responses", post(responses::create))
            .route("/files/{name}", get(file))
            .layer(DefaultBodyLimit::disable())
            .with_state(shared.clone());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self { shared }
    }

    /// The base URL to configure (`http://127.0.0.1:port/v1`).
    pub fn base_url(&self) -> String {
        format!("{}/v1", self.shared.origin)
    }

    /// Queues replies for the next requests; after them, every reply is `Ok`.
    pub fn script(&self, replies: impl IntoIterator<Item = Reply>) {
        self.shared.lock().script.extend(replies);
    }

    /// Holds every answer, after the request is checked and recorded, until
    /// [`FakeOpenAi::release`]: the test, not a clock, decides when the
    /// provider answers.
    pub fn hold(&self) {
        self.shared.held.send_replace(true);
    }

    /// Lets held and later answers go.
    pub fn release(&self) {
        self.shared.held.send_replace(false);
    }

    /// Makes every image answer take `latency` longer, like a provider
    /// rendering: for load runs and benchmarks (tests that must decide when
    /// the provider answers use [`FakeOpenAi::hold`] instead).
    pub fn set_latency(&self, latency: Duration) {
        self.shared.lock().latency = latency;
    }

    /// Changes how successful answers look.
    pub fn set_style(&self, style: Style) {
        self.shared.lock().style = style;
    }

    /// Every request so far (image calls only, not file downloads).
    pub fn requests(&self) -> Vec<Recorded> {
        self.shared.lock().requests.clone()
    }

    /// Drops the requests recorded so far, so a long-running fake (the
    /// `fake-openai` bin under a load test) does not grow without bound.
    pub fn clear_requests(&self) {
        self.shared.lock().requests.clear();
    }

    /// The bytes of final image `i` (0-based).
    pub fn final_image(i: usize) -> Bytes {
        known_png(i as u8)
    }

    /// The bytes of partial image `i` (0-based).
    pub fn partial_image(i: usize) -> Bytes {
        known_png(200 + i as u8)
    }
}

fn record(uri: &Uri, headers: &HeaderMap, body: Bytes) -> Recorded {
    let headers: HashMap<String, String> = headers
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_owned(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let parts = headers
        .get("content-type")
        .and_then(|ct| ct.split("boundary=").nth(1))
        .map(|b| parse_multipart(&body, b.trim_matches('"')))
        .unwrap_or_default();
    Recorded {
        path: uri.path().to_owned(),
        json: serde_json::from_slice(&body).ok(),
        headers,
        body,
        parts,
    }
}

async fn images(
    State(shared): State<Shared>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let rec = record(&uri, &headers, body);
    let edit = rec.path.ends_with("edits");
    let model = rec.field("model").unwrap_or_default();
    let checked = validate::check(&rec, &shared.key, edit);
    shared.lock().requests.push(rec);
    let asked = match checked {
        Ok(asked) => asked,
        Err(refusal) => return refusal.into_response(),
    };
    let mut held = shared.held.subscribe();
    // An error means the fake is gone; answering at once is then harmless.
    let _ = held.wait_for(|holding| !holding).await;
    let latency = shared.lock().latency;
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let n = asked.n;
    let event_prefix = if edit {
        "image_edit"
    } else {
        "image_generation"
    };
    let (reply, style) = {
        let mut inner = shared.lock();
        (
            inner.script.pop_front().unwrap_or(Reply::Ok),
            inner.style.clone(),
        )
    };
    let count = match reply {
        Reply::Ok => n,
        Reply::Slow(d) => {
            tokio::time::sleep(d).await;
            n
        }
        Reply::FewerImages(k) => k,
        Reply::RateLimited {
            retry_after_ms,
            retry_after_secs,
        } => {
            let mut resp = error(429, "rate_limit_exceeded", "Rate limit reached").into_response();
            let h = resp.headers_mut();
            if let Some(ms) = retry_after_ms {
                h.insert("retry-after-ms", ms.into());
            }
            if let Some(s) = retry_after_secs {
                h.insert("retry-after", s.into());
            }
            return resp;
        }
        Reply::Status(code) => return error(code, "server_error", "The server had an error"),
        Reply::InsufficientQuota => {
            return error(429, "insufficient_quota", "You exceeded your current quota");
        }
        Reply::Unauthorized => {
            let key = headers
                .get(header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .trim_start_matches("Bearer ")
                .to_owned();
            return error(
                401,
                "invalid_api_key",
                &format!("Incorrect API key provided: {key}"),
            );
        }
        Reply::ModerationBlocked => {
            return error(
                400,
                "moderation_blocked",
                "Your request was rejected by the safety system. safety_violations=[sexual]",
            );
        }
        Reply::MalformedJson => {
            return (
                StatusCode::OK,
                [(header::CONTENT_TYPE, "application/json")],
                "{\"data\": [",
            )
                .into_response();
        }
        Reply::StreamCut => return sse(&partial_events(event_prefix, asked.partials)),
        Reply::ModelNotFound => return models::model_not_found(&model),
    };
    if asked.stream {
        let done = completed_event(event_prefix, &style);
        let mut events = partial_events(event_prefix, asked.partials);
        if style.final_first {
            events.insert(0, done);
        } else {
            events.push(done);
        }
        return sse(&events);
    }
    let data: Vec<Value> = (0..count)
        .map(|i| {
            let bytes = FakeOpenAi::final_image(i);
            if style.by_url {
                let name = format!("img-{i}.png");
                shared.lock().files.insert(name.clone(), bytes);
                json!({ "url": format!("{}/files/{name}", shared.origin) })
            } else {
                json!({ "b64_json": STANDARD.encode(&bytes) })
            }
        })
        .collect();
    let mut body = json!({ "created": 1_700_000_000, "data": data });
    if let Some(usage) = style.usage {
        body["usage"] = usage;
    }
    axum::Json(body).into_response()
}

async fn file(State(shared): State<Shared>, Path(name): Path<String>) -> Response {
    match shared.lock().files.get(&name).cloned() {
        Some(bytes) => ([(header::CONTENT_TYPE, "image/png")], bytes).into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}
