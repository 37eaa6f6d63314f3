//! What the fake remembers between calls: the chats seen in updates (so
//! replies carry the right chat type) and every message as it now shows,
//! from updates and from the bot's own successful calls, so edits and
//! deletes can be judged as Telegram judges them.

use serde_json::Value;

use super::Inner;
use super::validate::new_markup;

/// Remembers the chat and the message(s) an update carries.
pub(super) fn remember_update(inner: &mut Inner, update: &Value) {
    if let Some(id) = update
        .get("callback_query")
        .and_then(|q| q.get("id"))
        .and_then(Value::as_str)
    {
        inner.open_queries.insert(id.to_owned());
    }
    let message = ["message", "edited_message", "channel_post"]
        .iter()
        .find_map(|k| update.get(*k))
        .or_else(|| update.get("callback_query").and_then(|q| q.get("message")));
    let Some(message) = message else {
        return;
    };
    if let Some(chat) = message.get("chat")
        && let Some(id) = chat.get("id").and_then(Value::as_i64)
    {
        inner.chats.insert(id, chat.clone());
    }
    if let Some(replied) = message.get("reply_to_message") {
        keep(inner, replied, false);
    }
    // A pressed message may be one the bot sent and since edited: what the
    // fake has is newer than the copy in the update.
    keep(inner, message, false);
}

/// Updates the store after `method` succeeded with `result`.
pub(super) fn remember_result(inner: &mut Inner, method: &str, params: &Value, result: &Value) {
    match method {
        "answercallbackquery" => {
            if let Some(id) = params.get("callback_query_id").and_then(Value::as_str) {
                inner.open_queries.remove(id);
            }
        }
        "deletemessage" => {
            if let Some(key) = target(params) {
                inner.messages.remove(&key);
            }
        }
        "editmessagetext"
        | "editmessagecaption"
        | "editmessagereplymarkup"
        | "editmessagemedia" => {
            let Some(shown) = target(params).and_then(|k| inner.messages.get_mut(&k)) else {
                return;
            };
            let field = match method {
                "editmessagetext" => Some(("text", params.get("text"))),
                "editmessagecaption" => Some(("caption", params.get("caption"))),
                "editmessagemedia" => Some((
                    "caption",
                    params.get("media").and_then(|m| m.get("caption")),
                )),
                _ => None,
            };
            if let (Some((name, value)), Some(obj)) = (field, shown.as_object_mut()) {
                match value.filter(|v| !v.is_null()) {
                    Some(v) => obj.insert(name.to_owned(), v.clone()),
                    None => obj.remove(name),
                };
            }
            match new_markup(params) {
                Value::Null => shown.as_object_mut().map(|o| o.remove("reply_markup")),
                markup => shown
                    .as_object_mut()
                    .map(|o| o.insert("reply_markup".into(), markup)),
            };
        }
        _ if method.starts_with("send") => match result {
            Value::Array(items) => items.iter().for_each(|m| keep(inner, m, true)),
            message => keep(inner, message, true),
        },
        _ => {}
    }
}

/// Stores `message` by (chat, id); `replace` says whether a stored copy is
/// older than this one.
fn keep(inner: &mut Inner, message: &Value, replace: bool) {
    let chat = message
        .get("chat")
        .and_then(|c| c.get("id"))
        .and_then(Value::as_i64);
    let id = message.get("message_id").and_then(Value::as_i64);
    if let (Some(chat), Some(id)) = (chat, id) {
        let slot = inner.messages.entry((chat, id));
        if replace {
            slot.insert_entry(message.clone());
        } else {
            slot.or_insert_with(|| message.clone());
        }
    }
}

/// The (chat, message id) a call names.
fn target(params: &Value) -> Option<(i64, i64)> {
    let id = |key: &str| {
        let v = params.get(key)?;
        v.as_i64().or_else(|| v.as_str()?.parse().ok())
    };
    Some((id("chat_id")?, id("message_id")?))
}
