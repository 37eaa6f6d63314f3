//! The fake's routes: each records the call and answers as Discord does
//! (204 for callbacks, Message objects for messages, commands with ids),
//! or refuses it as Discord would (`rules`). Refused calls are recorded too.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::form;
use super::rules::{self, discord_error};
use super::{BOT_USER_ID, Call, Shared, WEBHOOK_CHANNEL, payloads};
use crate::fake_openai::parse_multipart;

pub(super) fn record(
    shared: &Shared,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &Bytes,
) -> Call {
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

pub(super) async fn callback(
    State(shared): State<Shared>,
    Path((_id, token)): Path<(u64, String)>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let call = record(&shared, &method, &uri, &headers, &body);
    if let Some(refused) = form::form_body(&call.json) {
        return refused;
    }
    let scripted = shared.lock().callback_status;
    if let Some(status) = scripted {
        return discord_error(status, 10062, "Unknown interaction");
    }
    match rules::acknowledge(&shared, &token) {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(refused) => refused.into_response(),
    }
}

pub(super) async fn edit_original(
    State(shared): State<Shared>,
    Path((app, token, message)): Path<(u64, String, String)>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let call = record(&shared, &method, &uri, &headers, &body);
    if let Err(refused) = rules::live_token(&shared, app, &token) {
        return refused.into_response();
    }
    if message != "@original" {
        return discord_error(404, 10008, "Unknown Message");
    }
    if let Some(refused) = form::form_body(&call.json) {
        return refused;
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
    let msg = message_json(&shared.origin, id, WEBHOOK_CHANNEL, &call);
    inner.messages.insert(id, msg.clone());
    axum::Json(msg).into_response()
}

pub(super) async fn get_original(
    State(shared): State<Shared>,
    Path((app, token, _message)): Path<(u64, String, String)>,
) -> Response {
    if let Err(refused) = rules::live_token(&shared, app, &token) {
        return refused.into_response();
    }
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

pub(super) async fn delete_original(
    State(shared): State<Shared>,
    Path((app, token, _message)): Path<(u64, String, String)>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    record(&shared, &method, &uri, &headers, &Bytes::new());
    match rules::live_token(&shared, app, &token) {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(refused) => refused.into_response(),
    }
}

pub(super) async fn followup(
    State(shared): State<Shared>,
    Path((app, token)): Path<(u64, String)>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(refused) = rules::live_token(&shared, app, &token) {
        record(&shared, &method, &uri, &headers, &body);
        return refused.into_response();
    }
    new_message(&shared, WEBHOOK_CHANNEL, &method, &uri, &headers, &body)
}

pub(super) async fn channel_message(
    State(shared): State<Shared>,
    Path(channel): Path<u64>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(refused) = rules::bot_auth(&shared, &headers) {
        record(&shared, &method, &uri, &headers, &body);
        return refused.into_response();
    }
    new_message(&shared, channel, &method, &uri, &headers, &body)
}

pub(super) fn new_message(
    shared: &Shared,
    channel: u64,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &Bytes,
) -> Response {
    let call = record(shared, method, uri, headers, body);
    if let Some(refused) = form::form_body(&call.json) {
        return refused;
    }
    let mut inner = shared.lock();
    inner.next_id += 1;
    let id = inner.next_id;
    let msg = message_json(&shared.origin, id, channel, &call);
    inner.messages.insert(id, msg.clone());
    axum::Json(msg).into_response()
}

/// `POST /users/@me/channels`: opens a DM channel whose id is the recipient's id + 1.
pub(super) async fn dm_channel(
    State(shared): State<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let call = record(&shared, &method, &uri, &headers, &body);
    if let Err(refused) = rules::bot_auth(&shared, &headers) {
        return refused.into_response();
    }
    // Snowflakes travel as strings; accept a number too.
    let id = &call.json["recipient_id"];
    let recipient: u64 = id
        .as_str()
        .and_then(|s| s.parse().ok())
        .or(id.as_u64())
        .unwrap_or(0);
    axum::Json(serde_json::json!({
        "id": (recipient + 1).to_string(),
        "type": 1,
        "last_message_id": null,
        "recipients": [{"id": recipient.to_string(), "username": "admin", "discriminator": "0", "global_name": null, "avatar": null}],
    }))
    .into_response()
}

pub(super) async fn get_message(
    State(shared): State<Shared>,
    Path((_channel, message)): Path<(u64, u64)>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    record(&shared, &method, &uri, &headers, &Bytes::new());
    if let Err(refused) = rules::bot_auth(&shared, &headers) {
        return refused.into_response();
    }
    match shared.lock().messages.get(&message) {
        Some(m) => axum::Json(m.clone()).into_response(),
        None => discord_error(404, 10008, "Unknown Message"),
    }
}

pub(super) async fn commands(
    State(shared): State<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let call = record(&shared, &method, &uri, &headers, &body);
    if let Err(refused) = rules::bot_auth(&shared, &headers) {
        return refused.into_response();
    }
    let app = uri.path().split('/').nth(4).unwrap_or("0").to_owned();
    if let Err(refused) = rules::own_commands(&shared, app.parse().unwrap_or(0)) {
        return refused.into_response();
    }
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

pub(super) async fn cdn(State(shared): State<Shared>, Path(name): Path<String>) -> Response {
    let mut inner = shared.lock();
    inner.cdn_downloads += 1;
    match inner.cdn.get(&name) {
        Some(bytes) => ([(header::CONTENT_TYPE, "image/png")], bytes.clone()).into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

pub(super) async fn unknown(
    State(shared): State<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    record(&shared, &method, &uri, &headers, &body);
    discord_error(404, 0, "404: Not Found")
}

/// A complete Message object for what a call sent: content, embeds,
/// components, and its uploaded files as attachments on the fake CDN.
pub(super) fn message_json(origin: &str, id: u64, channel: u64, call: &Call) -> Value {
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
