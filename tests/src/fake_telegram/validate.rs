//! What the Bot API refuses before it does anything, with its own
//! descriptions (all 400 `Bad Request: ...`): empty or over-long text and
//! captions, `callback_data` outside 1-64 bytes, albums outside 2-10 items,
//! edits and deletes of messages it does not know, edits that change
//! nothing, and a second answer to one button press.
//!
//! Sources: the Bot API docs (text 1-4096 and captions 0-1024 characters
//! after entity parsing, counted here in UTF-16 code units as Telegram counts
//! entity offsets; callback_data 1-64 bytes; sendMediaGroup "must include
//! 2-10 items"); descriptions from telegram-bot-api's `Client.cpp`
//! ("message is not modified: ...", "message to edit not found", "Message
//! text is empty", "there are no messages to send", "too many messages to
//! send as an album") and teloxide's `ApiError` table ("message is too
//! long", "MESSAGE_TOO_LONG" on edits, "message caption is too long",
//! "BUTTON_DATA_INVALID"). The server has no wording of its own for a
//! one-item album that we could find; the fake's follows the docs.

use serde_json::Value;

use super::Inner;

/// Longest message text, in UTF-16 code units.
pub const TEXT_MAX: usize = 4096;
/// Longest caption, in UTF-16 code units.
pub const CAPTION_MAX: usize = 1024;
/// Longest `callback_data`, in bytes.
pub const CALLBACK_DATA_MAX: usize = 64;

/// The description of `editMessageText` with nothing new.
pub const NOT_MODIFIED: &str = "Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message";

/// Checks one call before it is answered.
pub(super) fn check(inner: &Inner, method: &str, params: &Value) -> Result<(), String> {
    markup(params)?;
    match method {
        "sendmessage" => text(params, "Bad Request: message is too long").map(drop),
        "editmessagetext" => {
            let new = text(params, "Bad Request: MESSAGE_TOO_LONG")?;
            let shown = editable(inner, params)?;
            unchanged_is_refused(shown, "text", Some(new), params)
        }
        "sendphoto" | "senddocument" => caption(params.get("caption")),
        "editmessagecaption" => {
            caption(params.get("caption"))?;
            let shown = editable(inner, params)?;
            let new = params.get("caption").and_then(Value::as_str);
            unchanged_is_refused(shown, "caption", new, params)
        }
        "editmessagereplymarkup" => {
            let shown = editable(inner, params)?;
            let same = shown_markup(shown) == new_markup(params);
            if same {
                Err(NOT_MODIFIED.to_owned())
            } else {
                Ok(())
            }
        }
        "editmessagemedia" => {
            caption(params.get("media").and_then(|m| m.get("caption")))?;
            editable(inner, params).map(drop)
        }
        "sendmediagroup" => album(params),
        "answercallbackquery" => {
            let id = params.get("callback_query_id").and_then(Value::as_str);
            match id {
                Some(id) if inner.open_queries.contains(id) => Ok(()),
                // telegram-bot-api's words for QUERY_ID_INVALID (Client.cpp).
                _ => Err("Bad Request: query is too old and response timeout expired or query ID is invalid".to_owned()),
            }
        }
        "deletemessage" => {
            known(inner, params, "Bad Request: message to delete not found").map(drop)
        }
        _ => Ok(()),
    }
}

/// The message's `text`: present, not blank, not too long.
fn text<'a>(params: &'a Value, too_long: &str) -> Result<&'a str, String> {
    let text = params.get("text").and_then(Value::as_str).unwrap_or("");
    // Telegram trims the text; only whitespace is no text.
    if text.trim().is_empty() {
        return Err("Bad Request: message text is empty".to_owned());
    }
    if utf16_len(text) > TEXT_MAX {
        return Err(too_long.to_owned());
    }
    Ok(text)
}

fn caption(caption: Option<&Value>) -> Result<(), String> {
    match caption.and_then(Value::as_str) {
        Some(c) if utf16_len(c) > CAPTION_MAX => {
            Err("Bad Request: message caption is too long".to_owned())
        }
        _ => Ok(()),
    }
}

/// Every inline button's `callback_data` is 1-64 bytes.
fn markup(params: &Value) -> Result<(), String> {
    let rows = params
        .get("reply_markup")
        .and_then(|m| m.get("inline_keyboard"))
        .and_then(Value::as_array);
    let buttons = rows
        .into_iter()
        .flatten()
        .flat_map(|row| row.as_array().into_iter().flatten());
    for button in buttons {
        if let Some(data) = button.get("callback_data") {
            let len = data.as_str().map_or(0, str::len);
            if !(1..=CALLBACK_DATA_MAX).contains(&len) {
                return Err("Bad Request: BUTTON_DATA_INVALID".to_owned());
            }
        }
    }
    Ok(())
}

fn album(params: &Value) -> Result<(), String> {
    let media = params.get("media").and_then(Value::as_array);
    let Some(media) = media else {
        return Err("Bad Request: parameter \"media\" is required".to_owned());
    };
    match media.len() {
        0 => return Err("Bad Request: there are no messages to send".to_owned()),
        1 => return Err("Bad Request: media group must include 2-10 items".to_owned()),
        n if n > 10 => {
            return Err("Bad Request: too many messages to send as an album".to_owned());
        }
        _ => {}
    }
    media
        .iter()
        .try_for_each(|item| caption(item.get("caption")))
}

/// The stored message `params` names, or `missing` as the error.
fn known<'a>(inner: &'a Inner, params: &Value, missing: &str) -> Result<&'a Value, String> {
    let id = |key: &str| {
        let v = params.get(key)?;
        v.as_i64().or_else(|| v.as_str()?.parse().ok())
    };
    let (Some(chat), Some(message)) = (id("chat_id"), id("message_id")) else {
        return Err("Bad Request: message identifier is not specified".to_owned());
    };
    inner
        .messages
        .get(&(chat, message))
        .ok_or_else(|| missing.to_owned())
}

/// A known message the bot may edit: one it sent.
fn editable<'a>(inner: &'a Inner, params: &Value) -> Result<&'a Value, String> {
    let shown = known(inner, params, "Bad Request: message to edit not found")?;
    let from_bot = shown
        .get("from")
        .and_then(|f| f.get("id"))
        .and_then(Value::as_u64)
        == Some(super::BOT_ID);
    if !from_bot {
        return Err("Bad Request: message can't be edited".to_owned());
    }
    Ok(shown)
}

/// Refuses an edit whose `field` and inline keyboard equal what is shown.
fn unchanged_is_refused(
    shown: &Value,
    field: &str,
    new: Option<&str>,
    params: &Value,
) -> Result<(), String> {
    let same_content = shown.get(field).and_then(Value::as_str) == new;
    if same_content && shown_markup(shown) == new_markup(params) {
        return Err(NOT_MODIFIED.to_owned());
    }
    Ok(())
}

fn shown_markup(shown: &Value) -> Value {
    shown.get("reply_markup").cloned().unwrap_or(Value::Null)
}

/// The inline keyboard an edit leaves: the one given, or none (an edit
/// without `reply_markup` removes the keyboard).
pub(super) fn new_markup(params: &Value) -> Value {
    params
        .get("reply_markup")
        .filter(|m| m.get("inline_keyboard").is_some())
        .cloned()
        .unwrap_or(Value::Null)
}

fn utf16_len(s: &str) -> usize {
    s.encode_utf16().count()
}
