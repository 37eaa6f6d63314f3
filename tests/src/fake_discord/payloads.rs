//! Interaction payloads as Discord sends them (gateway `INTERACTION_CREATE`
//! data and HTTP endpoint bodies): slash commands with options and resolved
//! attachments, message context-menu commands, button presses, modal
//! submissions and PING, from a guild member or in a DM.

use serde_json::{Value, json};

/// The application id every payload names.
pub const APP_ID: u64 = 800_000_000_000_000_001;

/// Who acts and where.
#[derive(Debug, Clone)]
pub struct Who {
    /// The user's snowflake.
    pub user: u64,
    /// `Some((guild, roles))` in a guild, `None` in a DM.
    pub guild: Option<(u64, Vec<u64>)>,
    /// The user's client locale (`en-US`, `zh-CN`).
    pub locale: String,
    /// The channel the interaction happens in.
    pub channel: u64,
}

impl Who {
    /// A member of `guild` with `roles`, English client.
    pub fn member(user: u64, guild: u64, roles: &[u64]) -> Self {
        Self {
            user,
            guild: Some((guild, roles.to_vec())),
            locale: "en-US".to_owned(),
            channel: 700_000_000_000_000_001,
        }
    }

    /// A direct message with the bot, English client.
    pub fn dm(user: u64) -> Self {
        Self {
            user,
            guild: None,
            locale: "en-US".to_owned(),
            channel: 700_000_000_000_000_099,
        }
    }

    /// The same person with another client locale.
    pub fn locale(mut self, locale: &str) -> Self {
        self.locale = locale.to_owned();
        self
    }
}

/// A user object.
pub fn user_json(id: u64, name: &str, bot: bool) -> Value {
    json!({
        "id": id.to_string(),
        "username": name,
        "discriminator": "0",
        "global_name": name,
        "avatar": null,
        "bot": bot,
        "public_flags": 0,
    })
}

/// An attachment object (as in `resolved.attachments` or a message).
pub fn attachment_json(id: u64, filename: &str, url: &str, size: u64) -> Value {
    json!({
        "id": id.to_string(),
        "filename": filename,
        "size": size,
        "url": url,
        "proxy_url": url,
        "width": 8,
        "height": 8,
        "content_type": "image/png",
        "placeholder": "AAAA",
        "placeholder_version": 1,
    })
}

/// A user's message in a channel with one image attachment.
pub fn message_with_attachment(id: u64, channel: u64, author: u64, attachment: Value) -> Value {
    json!({
        "id": id.to_string(),
        "channel_id": channel.to_string(),
        "author": user_json(author, "someone", false),
        "content": "look at this",
        "timestamp": "2026-11-26T11:00:00.000000+00:00",
        "edited_timestamp": null,
        "tts": false,
        "mention_everyone": false,
        "mentions": [],
        "mention_roles": [],
        "attachments": [attachment],
        "embeds": [],
        "components": [],
        "pinned": false,
        "type": 0,
        "flags": 0,
    })
}

/// A string option.
pub fn opt_str(name: &str, value: &str) -> Value {
    json!({ "name": name, "type": 3, "value": value })
}

/// An integer option.
pub fn opt_int(name: &str, value: i64) -> Value {
    json!({ "name": name, "type": 4, "value": value })
}

/// A user option (the user must also be in `resolved.users`; see [`slash`]).
pub fn opt_user(name: &str, user: u64) -> Value {
    json!({ "name": name, "type": 6, "value": user.to_string() })
}

/// An attachment option naming an attachment in `resolved.attachments`.
pub fn opt_attachment(name: &str, attachment: u64) -> Value {
    json!({ "name": name, "type": 11, "value": attachment.to_string() })
}

/// A subcommand with its options.
pub fn subcommand(name: &str, options: Vec<Value>) -> Value {
    json!({ "name": name, "type": 1, "options": options })
}

/// A slash command (interaction type 2, command type 1). `attachments`
/// and `users` are what the options reference (`resolved`).
pub fn slash(
    id: u64,
    token: &str,
    who: &Who,
    name: &str,
    options: Vec<Value>,
    attachments: Vec<Value>,
    users: Vec<u64>,
) -> Value {
    let mut resolved = json!({});
    if !attachments.is_empty() {
        let map: serde_json::Map<String, Value> = attachments
            .into_iter()
            .map(|a| (a["id"].as_str().unwrap_or_default().to_owned(), a))
            .collect();
        resolved["attachments"] = Value::Object(map);
    }
    if !users.is_empty() {
        let map: serde_json::Map<String, Value> = users
            .into_iter()
            .map(|u| (u.to_string(), user_json(u, "member", false)))
            .collect();
        resolved["users"] = Value::Object(map);
    }
    let data = json!({
        "id": "1200000000000000000",
        "name": name,
        "type": 1,
        "options": options,
        "resolved": resolved,
    });
    interaction(id, token, who, 2, data, None)
}

/// The message context-menu command `name` on `target` (a message object).
pub fn message_command(id: u64, token: &str, who: &Who, name: &str, target: Value) -> Value {
    let target_id = target["id"].clone();
    let mut messages = serde_json::Map::new();
    messages.insert(target_id.as_str().unwrap_or_default().to_owned(), target);
    let data = json!({
        "id": "1200000000000000009",
        "name": name,
        "type": 3,
        "target_id": target_id,
        "resolved": { "messages": messages },
    });
    interaction(id, token, who, 2, data, None)
}

/// A button press (interaction type 3) on `message`.
pub fn button(id: u64, token: &str, who: &Who, custom_id: &str, message: Value) -> Value {
    let data = json!({ "custom_id": custom_id, "component_type": 2 });
    interaction(id, token, who, 3, data, Some(message))
}

/// A modal submission (interaction type 5) with text inputs `(custom_id, value)`.
pub fn modal_submit(
    id: u64,
    token: &str,
    who: &Who,
    custom_id: &str,
    fields: &[(&str, &str)],
) -> Value {
    let rows: Vec<Value> = fields
        .iter()
        .map(|(cid, value)| {
            json!({ "type": 1, "components": [{ "type": 4, "custom_id": cid, "value": value }] })
        })
        .collect();
    let data = json!({ "custom_id": custom_id, "components": rows });
    interaction(id, token, who, 5, data, None)
}

/// A PING, as Discord sends to validate the endpoint URL.
pub fn ping() -> Value {
    json!({
        "id": "1100000000000000000",
        "application_id": APP_ID.to_string(),
        "type": 1,
        "token": "ping-token",
        "version": 1,
        "user": user_json(1, "discord", false),
    })
}

fn interaction(
    id: u64,
    token: &str,
    who: &Who,
    kind: u8,
    data: Value,
    message: Option<Value>,
) -> Value {
    let mut v = json!({
        "id": id.to_string(),
        "application_id": APP_ID.to_string(),
        "type": kind,
        "data": data,
        "channel_id": who.channel.to_string(),
        "token": token,
        "version": 1,
        "app_permissions": "2248473465835073",
        "locale": who.locale,
        "entitlements": [],
        "attachment_size_limit": 10_485_760,
    });
    match &who.guild {
        Some((guild, roles)) => {
            v["guild_id"] = json!(guild.to_string());
            v["guild_locale"] = json!("en-US");
            v["channel"] = json!({ "id": who.channel.to_string(), "type": 0, "guild_id": guild.to_string(), "name": "general" });
            v["member"] = json!({
                "user": user_json(who.user, "member", false),
                "roles": roles.iter().map(u64::to_string).collect::<Vec<_>>(),
                "joined_at": "2025-01-01T00:00:00.000000+00:00",
                "deaf": false,
                "mute": false,
                "flags": 0,
                "pending": false,
                "permissions": "2251799813685247",
                "nick": null,
                "avatar": null,
            });
            v["authorizing_integration_owners"] = json!({ "0": guild.to_string() });
            v["context"] = json!(0);
        }
        None => {
            v["user"] = user_json(who.user, "member", false);
            v["channel"] = json!({ "id": who.channel.to_string(), "type": 1 });
            v["authorizing_integration_owners"] = json!({ "0": "0" });
            v["context"] = json!(1);
        }
    }
    if let Some(m) = message {
        v["message"] = m;
    }
    v
}
