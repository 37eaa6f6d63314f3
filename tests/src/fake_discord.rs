//! A fake Discord REST API on 127.0.0.1:0 for serenity's real HTTP client
//! (reached through `HttpBuilder::proxy` with the rate limiter off): the
//! interaction callback, the original response (edit and read), follow-ups,
//! channel messages, command registration, and a CDN serving attachments.
//! Every call is recorded with its JSON payload and uploaded files, and
//! answers are valid Discord objects so serenity can deserialize them.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use serde_json::{Value, json};

use crate::fake_openai::{FormPart, parse_multipart};

pub mod payloads;

/// The bot user's id in every message the fake creates.
pub const BOT_USER_ID: u64 = 900_000_000_000_000_001;

/// One REST call as received.
#[derive(Debug, Clone)]
pub struct Call {
    /// `GET`, `POST`, `PATCH`, `PUT`.
    pub method: String,
    /// The path, e.g. `/api/v10/webhooks/1/tok/messages/@original`.
    pub path: String,
    /// The JSON body, or the multipart `payload_json` part.
    pub json: Value,
    /// Uploaded files (`files[n]` parts), in order.
    pub files: Vec<FormPart>,
}

impl Call {
    /// Whether this call answered an interaction (callback) with this token.
    pub fn is_callback(&self, token: &str) -> bool {
        self.method == "POST"
            && self.path.starts_with("/api/v10/interactions/")
            && self.path.ends_with(&format!("/{token}/callback"))
    }

    /// Whether this call edited the original response of the interaction with this token.
    pub fn is_edit_original(&self, token: &str) -> bool {
        self.method == "PATCH" && self.path.ends_with(&format!("/{token}/messages/@original"))
    }

    /// Whether this call deleted the original response of this token.
    pub fn is_delete_original(&self, token: &str) -> bool {
        self.method == "DELETE" && self.path.ends_with(&format!("/{token}/messages/@original"))
    }

    /// Whether this is a follow-up message for the interaction with this token.
    pub fn is_followup(&self, token: &str) -> bool {
        self.method == "POST"
            && self.path.starts_with("/api/v10/webhooks/")
            && self.path.ends_with(&format!("/{token}"))
    }

    /// The text a user reads: the content plus embed titles and descriptions.
    pub fn text(&self) -> String {
        let data = self.json.get("data").unwrap_or(&self.json);
        let mut out = data["content"].as_str().unwrap_or_default().to_owned();
        for e in data["embeds"].as_array().into_iter().flatten() {
            for key in ["title", "description"] {
                if let Some(s) = e[key].as_str() {
                    out.push('\n');
                    out.push_str(s);
                }
            }
            for f in e["fields"].as_array().into_iter().flatten() {
                out.push('\n');
                out.push_str(f["name"].as_str().unwrap_or_default());
                out.push('\n');
                out.push_str(f["value"].as_str().unwrap_or_default());
            }
        }
        out
    }

    /// The custom ids of the buttons and inputs in the payload, in order.
    pub fn custom_ids(&self) -> Vec<String> {
        let data = self.json.get("data").unwrap_or(&self.json);
        let mut out = Vec::new();
        for row in data["components"].as_array().into_iter().flatten() {
            for c in row["components"].as_array().into_iter().flatten() {
                if let Some(id) = c["custom_id"].as_str() {
                    out.push(id.to_owned());
                }
            }
        }
        out
    }

    /// Whether the message flags include EPHEMERAL (64).
    pub fn ephemeral(&self) -> bool {
        let data = self.json.get("data").unwrap_or(&self.json);
        data["flags"].as_u64().is_some_and(|f| f & 64 != 0)
    }
}

#[derive(Default)]
struct Inner {
    calls: Vec<Call>,
    /// Messages by id, as returned (channel messages and original responses).
    messages: HashMap<u64, Value>,
    /// The message id of each interaction token's original response.
    originals: HashMap<String, u64>,
    /// Files served under `/cdn/{name}`.
    cdn: HashMap<String, Bytes>,
    next_id: u64,
    /// Status to answer the next callbacks with instead of 204 (e.g. 404 for
    /// an interaction Discord already forgot).
    callback_status: Option<u16>,
}

#[derive(Clone)]
struct Shared {
    inner: Arc<Mutex<Inner>>,
    origin: String,
}

impl Shared {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A running fake; stops when the test's runtime ends.
#[derive(Clone)]
pub struct FakeDiscord {
    shared: Shared,
}

impl FakeDiscord {
    /// Starts the fake on an ephemeral port.
    pub async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind fake Discord");
        let addr = listener.local_addr().expect("local addr");
        let shared = Shared {
            inner: Arc::new(Mutex::new(Inner {
                next_id: 1_300_000_000_000_000_000,
                ..Inner::default()
            })),
            origin: format!("http://{addr}"),
        };
        let app = Router::new()
            .route(
                "/api/v10/interactions/{id}/{token}/callback",
                post(callback),
            )
            .route(
                "/api/v10/webhooks/{app}/{token}/messages/{message}",
                get(get_original)
                    .patch(edit_original)
                    .delete(delete_original),
            )
            .route("/api/v10/webhooks/{app}/{token}", post(followup))
            .route(
                "/api/v10/channels/{channel}/messages",
                post(channel_message),
            )
            .route(
                "/api/v10/channels/{channel}/messages/{message}",
                get(get_message),
            )
            .route("/api/v10/applications/{app}/commands", put(commands))
            .route(
                "/api/v10/applications/{app}/guilds/{guild}/commands",
                put(commands),
            )
            .route("/cdn/{name}", get(cdn))
            .fallback(unknown)
            .layer(DefaultBodyLimit::disable())
            .with_state(shared.clone());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self { shared }
    }

    /// The base URL for `HttpBuilder::proxy` (`http://127.0.0.1:port`).
    pub fn base_url(&self) -> String {
        self.shared.origin.clone()
    }

    /// Serves `bytes` on the fake CDN and returns its URL (an attachment's `url`).
    pub fn host_file(&self, name: &str, bytes: Bytes) -> String {
        self.shared.lock().cdn.insert(name.to_owned(), bytes);
        format!("{}/cdn/{name}", self.shared.origin)
    }

    /// Stores a channel message (`GET /channels/{c}/messages/{m}` returns it).
    pub fn put_message(&self, message: Value) {
        let id = message["id"]
            .as_str()
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        self.shared.lock().messages.insert(id, message);
    }

    /// Answers the next interaction callbacks with this status instead of 204.
    pub fn fail_callbacks(&self, status: Option<u16>) {
        self.shared.lock().callback_status = status;
    }

    /// Every call so far, in order.
    pub fn calls(&self) -> Vec<Call> {
        self.shared.lock().calls.clone()
    }

    /// Waits (bounded, 20 s) until some recorded call satisfies `pred`, and
    /// returns it; panics with `what` and the calls seen if none does.
    pub async fn wait_for(&self, what: &str, pred: impl Fn(&Call) -> bool) -> Call {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(c) = self.calls().into_iter().find(|c| pred(c)) {
                return c;
            }
            if tokio::time::Instant::now() > deadline {
                let seen: Vec<String> = self
                    .calls()
                    .iter()
                    .map(|c| format!("{} {} {}", c.method, c.path, c.text()))
                    .collect();
                panic!("timed out waiting for {what}; calls: {seen:#?}");
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// The last edit of the original response of `token` whose payload
    /// satisfies `pred`, waiting for it like [`FakeDiscord::wait_for`].
    pub async fn wait_for_edit(
        &self,
        token: &str,
        what: &str,
        pred: impl Fn(&Call) -> bool,
    ) -> Call {
        self.wait_for(what, |c| c.is_edit_original(token) && pred(c))
            .await
    }
}

fn record(shared: &Shared, method: &Method, uri: &Uri, headers: &HeaderMap, body: &Bytes) -> Call {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let (json, files) = match content_type.split_once("boundary=") {
        Some((_, boundary)) => {
            let parts = parse_multipart(body, boundary.trim_matches('"'));
            let json = parts
                .iter()
                .find(|p| p.name == "payload_json")
                .and_then(|p| serde_json::from_slice(&p.bytes).ok())
                .unwrap_or(Value::Null);
            let files = parts
                .into_iter()
                .filter(|p| p.name.starts_with("files["))
                .collect();
            (json, files)
        }
        None => (
            serde_json::from_slice(body).unwrap_or(Value::Null),
            Vec::new(),
        ),
    };
    let call = Call {
        method: method.to_string(),
        path: uri.path().to_owned(),
        json,
        files,
    };
    shared.lock().calls.push(call.clone());
    call
}

async fn callback(
    State(shared): State<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    record(&shared, &method, &uri, &headers, &body);
    match shared.lock().callback_status {
        Some(status) => discord_error(status, 10062, "Unknown interaction"),
        None => StatusCode::NO_CONTENT.into_response(),
    }
}

async fn edit_original(
    State(shared): State<Shared>,
    Path((_app, token, message)): Path<(u64, String, String)>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let call = record(&shared, &method, &uri, &headers, &body);
    if message != "@original" {
        return discord_error(404, 10008, "Unknown Message");
    }
    let mut inner = shared.lock();
    let id = match inner.originals.get(&token) {
        Some(id) => *id,
        None => {
            inner.next_id += 1;
            let id = inner.next_id;
            inner.originals.insert(token, id);
            id
        }
    };
    let msg = message_json(&shared.origin, id, 0, &call);
    inner.messages.insert(id, msg.clone());
    axum::Json(msg).into_response()
}

async fn get_original(
    State(shared): State<Shared>,
    Path((_app, token, _message)): Path<(u64, String, String)>,
) -> Response {
    let inner = shared.lock();
    match inner
        .originals
        .get(&token)
        .and_then(|id| inner.messages.get(id))
    {
        Some(m) => axum::Json(m.clone()).into_response(),
        None => discord_error(404, 10008, "Unknown Message"),
    }
}

async fn delete_original(
    State(shared): State<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    record(&shared, &method, &uri, &headers, &Bytes::new());
    StatusCode::NO_CONTENT.into_response()
}

async fn followup(
    State(shared): State<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    new_message(&shared, 0, &method, &uri, &headers, &body)
}

async fn channel_message(
    State(shared): State<Shared>,
    Path(channel): Path<u64>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    new_message(&shared, channel, &method, &uri, &headers, &body)
}

fn new_message(
    shared: &Shared,
    channel: u64,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &Bytes,
) -> Response {
    let call = record(shared, method, uri, headers, body);
    let mut inner = shared.lock();
    inner.next_id += 1;
    let id = inner.next_id;
    let msg = message_json(&shared.origin, id, channel, &call);
    inner.messages.insert(id, msg.clone());
    axum::Json(msg).into_response()
}

async fn get_message(
    State(shared): State<Shared>,
    Path((_channel, message)): Path<(u64, u64)>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    record(&shared, &method, &uri, &headers, &Bytes::new());
    match shared.lock().messages.get(&message) {
        Some(m) => axum::Json(m.clone()).into_response(),
        None => discord_error(404, 10008, "Unknown Message"),
    }
}

async fn commands(
    State(shared): State<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let call = record(&shared, &method, &uri, &headers, &body);
    let app = uri.path().split('/').nth(4).unwrap_or("0").to_owned();
    let mut out = Vec::new();
    for (i, mut cmd) in call
        .json
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .enumerate()
    {
        cmd["id"] = json!(format!("{}", 1_200_000_000_000_000_000u64 + i as u64));
        cmd["application_id"] = json!(app);
        cmd["version"] = json!("1");
        cmd["default_member_permissions"] = cmd
            .get("default_member_permissions")
            .cloned()
            .unwrap_or(Value::Null);
        cmd["type"] = cmd.get("type").cloned().unwrap_or(json!(1));
        if cmd.get("description").is_none() {
            cmd["description"] = json!("");
        }
        out.push(cmd);
    }
    axum::Json(Value::Array(out)).into_response()
}

async fn cdn(State(shared): State<Shared>, Path(name): Path<String>) -> Response {
    match shared.lock().cdn.get(&name) {
        Some(bytes) => ([(header::CONTENT_TYPE, "image/png")], bytes.clone()).into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn unknown(
    State(shared): State<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    record(&shared, &method, &uri, &headers, &body);
    discord_error(404, 0, "404: Not Found")
}

fn discord_error(status: u16, code: u32, message: &str) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (
        status,
        axum::Json(json!({ "code": code, "message": message })),
    )
        .into_response()
}

/// A complete Message object for what a call sent: content, embeds,
/// components, and its uploaded files as attachments on the fake CDN.
fn message_json(origin: &str, id: u64, channel: u64, call: &Call) -> Value {
    let data = call.json.clone();
    let attachments: Vec<Value> = call
        .files
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let name = f.filename.clone().unwrap_or_else(|| format!("file{i}"));
            json!({
                "id": format!("{}", id + 1000 + i as u64),
                "filename": name,
                "size": f.bytes.len(),
                "url": format!("{origin}/cdn/{id}-{name}"),
                "proxy_url": format!("{origin}/cdn/{id}-{name}"),
                "content_type": f.content_type,
            })
        })
        .collect();
    json!({
        "id": id.to_string(),
        "channel_id": channel.to_string(),
        "author": payloads::user_json(BOT_USER_ID, "easel", true),
        "content": data["content"].as_str().unwrap_or_default(),
        "timestamp": "2026-11-26T12:00:00.000000+00:00",
        "edited_timestamp": null,
        "tts": false,
        "mention_everyone": false,
        "mentions": [],
        "mention_roles": [],
        "attachments": attachments,
        "embeds": data.get("embeds").cloned().unwrap_or(json!([])),
        "components": data.get("components").cloned().unwrap_or(json!([])),
        "pinned": false,
        "type": 0,
        "flags": data.get("flags").cloned().unwrap_or(json!(0)),
    })
}
