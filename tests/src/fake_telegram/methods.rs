//! The fake's answers: `getUpdates` long polling and the `result` of every
//! other method, shaped exactly as teloxide deserialises them.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use serde_json::{Value, json};

use super::{BOT_ID, BOT_USERNAME, Inner, Shared, Upload, store_file};

/// Longest a `getUpdates` call is held, whatever `timeout` it asks for, so a
/// stopping bot is never stuck behind a long poll.
const MAX_HOLD: Duration = Duration::from_secs(2);

/// Answers `getUpdates`: confirms everything below `offset`, then returns
/// what is pending, holding the call until updates arrive or the timeout passes.
pub(super) async fn get_updates(shared: &Shared, params: &Value) -> Value {
    let offset = int(params, "offset").unwrap_or(0);
    let limit = int(params, "limit").unwrap_or(100).clamp(1, 100) as usize;
    let timeout = Duration::from_secs(int(params, "timeout").unwrap_or(0).max(0) as u64);
    let deadline = tokio::time::Instant::now() + timeout.min(MAX_HOLD);
    loop {
        // Register interest before looking, so a push between the look and
        // the wait is not missed.
        let notified = shared.updates_ready.notified();
        let batch = take_batch(&mut shared.lock(), offset, limit);
        if !batch.is_empty() || tokio::time::Instant::now() >= deadline {
            return Value::Array(batch);
        }
        let _ = tokio::time::timeout_at(deadline, notified).await;
    }
}

fn take_batch(inner: &mut Inner, offset: i64, limit: usize) -> Vec<Value> {
    inner
        .pending
        .retain(|u| int(u, "update_id").unwrap_or(0) >= offset);
    let mut batch: Vec<Value> = inner.redeliver.drain(..).collect();
    batch.extend(inner.pending.iter().take(limit).cloned());
    batch
}

fn int(v: &Value, key: &str) -> Option<i64> {
    let v = v.get(key)?;
    v.as_i64().or_else(|| v.as_str()?.parse().ok())
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// The bot as `from` of its own messages and the answer to `getMe`.
fn bot_user() -> Value {
    json!({
        "id": BOT_ID,
        "is_bot": true,
        "first_name": "Easel",
        "username": BOT_USERNAME,
    })
}

fn chat_json(inner: &Inner, id: i64) -> Value {
    inner.chats.get(&id).cloned().unwrap_or_else(|| {
        if id > 0 {
            json!({ "id": id, "type": "private", "first_name": "User" })
        } else {
            json!({ "id": id, "type": "supergroup", "title": "Group" })
        }
    })
}

/// A new message from the bot in `chat`, with the fields every kind needs.
fn new_message(inner: &mut Inner, params: &Value) -> Result<Value, String> {
    let chat = int(params, "chat_id").ok_or("Bad Request: chat_id is empty")?;
    inner.next_message_id += 1;
    let mut msg = json!({
        "message_id": inner.next_message_id,
        "date": now(),
        "chat": chat_json(inner, chat),
        "from": bot_user(),
    });
    copy_shown_fields(&mut msg, params);
    Ok(msg)
}

/// Copies what a sent message shows of its parameters: the caption, and
/// the markup only when it is an inline keyboard (Telegram's messages never
/// carry a ForceReply or reply keyboard).
fn copy_shown_fields(msg: &mut Value, params: &Value) {
    if let Some(caption) = params.get("caption").filter(|v| !v.is_null()) {
        msg["caption"] = caption.clone();
    }
    if let Some(markup) = params
        .get("reply_markup")
        .filter(|m| m.get("inline_keyboard").is_some())
    {
        msg["reply_markup"] = markup.clone();
    }
}

/// The bytes of an uploaded file named by `field` (a multipart part, or
/// `attach://name`), or of a `file_id` the fake knows.
fn media_bytes(inner: &Inner, reference: &Value, uploads: &[Upload]) -> Option<Bytes> {
    let text = reference.as_str()?;
    let field = text.strip_prefix("attach://").unwrap_or(text);
    uploads
        .iter()
        .find(|u| u.field == field)
        .map(|u| u.bytes.clone())
        .or_else(|| inner.files.get(text).map(|f| f.bytes.clone()))
}

fn photo_sizes(inner: &mut Inner, bytes: Bytes) -> Value {
    let size = bytes.len();
    let id = store_file(inner, bytes, "photos");
    json!([
        { "file_id": format!("{id}_s"), "file_unique_id": format!("u{id}_s"),
          "width": 90, "height": 90, "file_size": 1000 },
        { "file_id": id, "file_unique_id": format!("u{id}"),
          "width": 1024, "height": 1024, "file_size": size },
    ])
}

fn document(inner: &mut Inner, bytes: Bytes, name: Option<&str>) -> Value {
    let size = bytes.len();
    let id = store_file(inner, bytes, "documents");
    let mut doc = json!({
        "file_id": id, "file_unique_id": format!("u{id}"), "file_size": size,
    });
    if let Some(name) = name {
        doc["file_name"] = json!(name);
    }
    doc
}

/// The methods the fake answers (lower case); any other is a 404.
pub(super) const KNOWN: [&str; 19] = [
    "getupdates",
    "getme",
    "sendmessage",
    "sendphoto",
    "senddocument",
    "sendmediagroup",
    "editmessagetext",
    "editmessagecaption",
    "editmessagereplymarkup",
    "editmessagemedia",
    "getfile",
    "answercallbackquery",
    "sendchataction",
    "deletewebhook",
    "setwebhook",
    "deletemessage",
    "setmycommands",
    "close",
    "logout",
];

/// The `result` of one method, or the error description.
pub(super) fn answer(
    inner: &mut Inner,
    method: &str,
    params: &Value,
    uploads: &[Upload],
) -> Result<Value, String> {
    match method {
        "getme" => {
            let mut me = bot_user();
            me["can_join_groups"] = json!(true);
            me["can_read_all_group_messages"] = json!(false);
            me["supports_inline_queries"] = json!(false);
            me["has_main_web_app"] = json!(false);
            Ok(me)
        }
        "sendmessage" => {
            let mut msg = new_message(inner, params)?;
            msg["text"] = params.get("text").cloned().unwrap_or(json!(""));
            Ok(msg)
        }
        "sendphoto" => {
            let bytes = media_bytes(
                inner,
                params.get("photo").unwrap_or(&json!("photo")),
                uploads,
            )
            .ok_or("Bad Request: there is no photo in the request")?;
            let mut msg = new_message(inner, params)?;
            msg["photo"] = photo_sizes(inner, bytes);
            Ok(msg)
        }
        "senddocument" => {
            // The file comes as the `document` part, or as `attach://<name>`
            // naming another part (teloxide's way for in-memory files).
            let reference = params.get("document").cloned().unwrap_or(json!("document"));
            let field = reference
                .as_str()
                .map(|r| r.trim_start_matches("attach://").to_owned());
            let upload = uploads.iter().find(|u| Some(&u.field) == field.as_ref());
            let bytes = media_bytes(inner, &reference, uploads)
                .ok_or("Bad Request: there is no document in the request")?;
            let name = upload.and_then(|u| u.file_name.clone());
            let mut msg = new_message(inner, params)?;
            msg["document"] = document(inner, bytes, name.as_deref());
            Ok(msg)
        }
        "sendmediagroup" => send_media_group(inner, params, uploads),
        "editmessagetext" => {
            let mut msg = edited_message(inner, params)?;
            msg["text"] = params.get("text").cloned().unwrap_or(json!(""));
            Ok(msg)
        }
        "editmessagecaption" | "editmessagereplymarkup" => edited_message(inner, params),
        "editmessagemedia" => {
            let media = params.get("media").cloned().unwrap_or(json!({}));
            let bytes = media_bytes(inner, media.get("media").unwrap_or(&json!("")), uploads)
                .ok_or("Bad Request: there is no media in the request")?;
            let mut msg = edited_message(inner, params)?;
            if let Some(caption) = media.get("caption") {
                msg["caption"] = caption.clone();
            }
            msg["photo"] = photo_sizes(inner, bytes);
            Ok(msg)
        }
        "getfile" => {
            let id = params
                .get("file_id")
                .and_then(Value::as_str)
                .ok_or("Bad Request: file_id is empty")?;
            let file = inner.files.get(id).ok_or("Bad Request: invalid file_id")?;
            Ok(json!({
                "file_id": id, "file_unique_id": format!("u{id}"),
                "file_size": file.bytes.len(), "file_path": file.path,
            }))
        }
        "answercallbackquery"
        | "sendchataction"
        | "deletewebhook"
        | "setwebhook"
        | "deletemessage"
        | "setmycommands"
        | "close"
        | "logout" => Ok(json!(true)),
        _ => Err("Not Found: method not found".to_owned()),
    }
}

fn edited_message(inner: &mut Inner, params: &Value) -> Result<Value, String> {
    let chat = int(params, "chat_id").ok_or("Bad Request: chat_id is empty")?;
    let id = int(params, "message_id").ok_or("Bad Request: message_id is empty")?;
    let mut msg = json!({
        "message_id": id,
        "date": now(),
        "edit_date": now(),
        "chat": chat_json(inner, chat),
        "from": bot_user(),
    });
    copy_shown_fields(&mut msg, params);
    Ok(msg)
}

fn send_media_group(
    inner: &mut Inner,
    params: &Value,
    uploads: &[Upload],
) -> Result<Value, String> {
    let media = params
        .get("media")
        .and_then(Value::as_array)
        .cloned()
        .ok_or("Bad Request: media is empty")?;
    inner.next_file += 1;
    let group = format!("{}", 900_000 + inner.next_file);
    let mut out = Vec::new();
    for item in &media {
        let bytes = media_bytes(inner, item.get("media").unwrap_or(&json!("")), uploads)
            .ok_or("Bad Request: media item without a file")?;
        let mut msg = new_message(inner, &json!({ "chat_id": params.get("chat_id") }))?;
        msg["media_group_id"] = json!(group);
        if let Some(caption) = item.get("caption") {
            msg["caption"] = caption.clone();
        }
        msg["photo"] = photo_sizes(inner, bytes);
        out.push(msg);
    }
    Ok(Value::Array(out))
}
