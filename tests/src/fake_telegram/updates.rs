//! Builders for updates in Telegram's own JSON shapes: private text, photos
//! with captions, album items sharing a `media_group_id`, replies, button
//! presses (`callback_query`), group messages with mentions and commands.

use serde_json::{Value, json};

use super::{BOT_ID, BOT_USERNAME};

/// A (human) Telegram user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TgUser {
    /// The user id.
    pub id: u64,
    /// First name.
    pub first_name: String,
    /// `@username`, without the `@`.
    pub username: Option<String>,
    /// Telegram's `language_code` (`en`, `zh-hans`, ...).
    pub language_code: Option<String>,
}

impl TgUser {
    /// An English-speaking user with a username `user<id>`.
    pub fn new(id: u64) -> Self {
        Self {
            id,
            first_name: format!("User{id}"),
            username: Some(format!("user{id}")),
            language_code: Some("en".to_owned()),
        }
    }

    /// The same user with another `language_code`.
    pub fn language(mut self, code: &str) -> Self {
        self.language_code = Some(code.to_owned());
        self
    }

    /// The user's JSON (`from`).
    pub fn json(&self) -> Value {
        let mut v = json!({ "id": self.id, "is_bot": false, "first_name": self.first_name });
        if let Some(u) = &self.username {
            v["username"] = json!(u);
        }
        if let Some(l) = &self.language_code {
            v["language_code"] = json!(l);
        }
        v
    }

    /// The private chat with this user.
    pub fn private_chat(&self) -> Chat {
        Chat(json!({ "id": self.id, "type": "private", "first_name": self.first_name }))
    }
}

/// A chat's JSON.
#[derive(Debug, Clone, PartialEq)]
pub struct Chat(pub Value);

impl Chat {
    /// A supergroup (ids of groups are negative).
    pub fn group(id: i64, title: &str) -> Self {
        Self(json!({ "id": id, "type": "supergroup", "title": title }))
    }

    /// The chat id.
    pub fn id(&self) -> i64 {
        self.0.get("id").and_then(Value::as_i64).unwrap_or(0)
    }
}

/// A message being built; finish it with [`Msg::update`].
#[derive(Debug, Clone)]
pub struct Msg(Value);

impl Msg {
    /// A message with this id from `from` in `chat`, no content yet.
    pub fn new(message_id: i64, from: &TgUser, chat: &Chat) -> Self {
        Self(json!({
            "message_id": message_id,
            "date": 1_790_000_000,
            "chat": chat.0,
            "from": from.json(),
        }))
    }

    /// Text, with `bot_command` and `mention` entities where Telegram puts them.
    pub fn text(mut self, text: &str) -> Self {
        self.0["text"] = json!(text);
        let entities = entities(text);
        if !entities.is_empty() {
            self.0["entities"] = Value::Array(entities);
        }
        self
    }

    /// A photo (two sizes; the larger one is `file_id`).
    pub fn photo(mut self, file_id: &str) -> Self {
        self.0["photo"] = json!([
            { "file_id": format!("{file_id}_s"), "file_unique_id": format!("u{file_id}_s"),
              "width": 90, "height": 90, "file_size": 1000 },
            { "file_id": file_id, "file_unique_id": format!("u{file_id}"),
              "width": 1024, "height": 1024, "file_size": 20000 },
        ]);
        self
    }

    /// An image sent as a file (document) with a MIME type.
    pub fn document(mut self, file_id: &str, mime: &str) -> Self {
        self.0["document"] = json!({
            "file_id": file_id, "file_unique_id": format!("u{file_id}"),
            "file_name": "image.png", "mime_type": mime, "file_size": 20000,
        });
        self
    }

    /// The caption of a photo or document.
    pub fn caption(mut self, caption: &str) -> Self {
        self.0["caption"] = json!(caption);
        let entities = entities(caption);
        if !entities.is_empty() {
            self.0["caption_entities"] = Value::Array(entities);
        }
        self
    }

    /// Part of an album.
    pub fn media_group(mut self, group: &str) -> Self {
        self.0["media_group_id"] = json!(group);
        self
    }

    /// A reply to `message` (a message JSON, e.g. one the bot sent).
    pub fn reply_to(mut self, message: &Value) -> Self {
        self.0["reply_to_message"] = message.clone();
        self
    }

    /// The message JSON.
    pub fn json(&self) -> Value {
        self.0.clone()
    }

    /// The update carrying this message.
    pub fn update(&self, update_id: i64) -> Value {
        json!({ "update_id": update_id, "message": self.0 })
    }
}

/// A button press on `message` (a message the bot sent) with `data`.
pub fn callback(
    update_id: i64,
    query_id: &str,
    from: &TgUser,
    message: &Value,
    data: &str,
) -> Value {
    json!({
        "update_id": update_id,
        "callback_query": {
            "id": query_id,
            "from": from.json(),
            "message": message,
            "chat_instance": "424242",
            "data": data,
        }
    })
}

/// The bot as a message author, for replies to the bot's messages.
pub fn bot_json() -> Value {
    json!({ "id": BOT_ID, "is_bot": true, "first_name": "Easel", "username": BOT_USERNAME })
}

/// `bot_command` entities for a leading `/cmd` and `mention` entities for
/// `@names`, with offsets in UTF-16 code units as Telegram counts them.
fn entities(text: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let mut utf16 = 0usize;
    let mut chars = text.char_indices().peekable();
    while let Some((start, c)) = chars.next() {
        let starts_word = start == 0 || text[..start].ends_with(char::is_whitespace);
        if starts_word && (c == '@' || (c == '/' && start == 0)) {
            let word_end = text[start..]
                .find(char::is_whitespace)
                .map_or(text.len(), |e| start + e);
            let word = &text[start..word_end];
            let kind = if c == '/' { "bot_command" } else { "mention" };
            let len: usize = word.encode_utf16().count();
            out.push(json!({ "type": kind, "offset": utf16, "length": len }));
            utf16 += len;
            while chars.peek().is_some_and(|(i, _)| *i < word_end) {
                chars.next();
            }
            continue;
        }
        utf16 += c.len_utf16();
    }
    out
}
