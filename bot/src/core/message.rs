//! The neutral incoming message: what an adapter (Telegram, Discord) tells
//! the core about one update, with no platform types. Adapters fill it in;
//! the core never calls back into the platform.

use std::fmt;

use easel_shared::results::ResultId as StoredId;
use easel_shared::{RequestId, UserKey};

/// One message or button press, as the core sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Incoming {
    /// Who sent it (the platform is part of the key).
    pub user: UserKey,
    /// Where it was sent.
    pub chat: Chat,
    /// The message text, or the caption of its photo or document.
    pub text: String,
    /// Images attached to this message (an album arrives as one message).
    pub images: Vec<ImageRef>,
    /// The message this one replies to, if any.
    pub reply_to: Option<RepliedTo>,
    /// Whether the bot was @-mentioned (the adapter knows the platform's
    /// mention syntax; Telegram `@name` mentions are also found in `text`).
    pub mentioned: bool,
    /// The platform's language code for the user (`en`, `zh-hans`, ...).
    pub locale: Option<String>,
    /// Set for a button press; text and images are then ignored.
    pub action: Option<Action>,
}

impl Incoming {
    /// An empty message from `user` in `chat`; fill in the rest with struct
    /// update syntax.
    pub fn new(user: UserKey, chat: Chat) -> Self {
        Self {
            user,
            chat,
            text: String::new(),
            images: Vec::new(),
            reply_to: None,
            mentioned: false,
            locale: None,
            action: None,
        }
    }
}

/// A chat and its kind; the kind decides how eager the bot may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Chat {
    /// The platform's chat id (Telegram chat id, Discord channel id; Discord
    /// snowflakes fit an `i64`).
    pub id: i64,
    /// Private or group.
    pub kind: ChatKind,
}

/// Whether others can read along.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ChatKind {
    /// One user and the bot: every message is addressed to the bot.
    #[default]
    Private,
    /// A group, supergroup, channel or guild: only messages addressed to the
    /// bot are answered.
    Group,
}

/// An image the adapter can fetch later (Telegram `file_id`, a Discord
/// attachment URL). Opaque to the core.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ImageRef {
    /// The platform's handle for the file.
    pub handle: String,
    /// Its size in bytes when the platform says, so oversize files are refused early.
    pub size: Option<u64>,
}

impl ImageRef {
    /// An image known only by its handle.
    pub fn new(handle: impl Into<String>) -> Self {
        Self {
            handle: handle.into(),
            size: None,
        }
    }
}

/// The message a message replies to.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RepliedTo {
    /// Whether the bot sent it.
    pub from_bot: bool,
    /// The result it shows, if it is one of the bot's results (the adapter
    /// looks the message up in the result store).
    pub result: Option<ResultId>,
    /// Its images (a photo the user replies to with "make it blue").
    pub images: Vec<ImageRef>,
    /// Its author, for admin commands naming a user by `reply`.
    pub author: Option<UserKey>,
}

/// A stored result, as the result store names it. Short, so it fits in
/// button data (Telegram allows 64 bytes of callback data).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ResultId(pub String);

impl fmt::Display for ResultId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl ResultId {
    /// Splits an Original button's id, `ID` or `ID:index`, into the stored
    /// result and the image; `None` for forged data (never image 0 instead).
    pub fn original_target(&self) -> Option<(StoredId, usize)> {
        let (id, index) = match self.0.split_once(':') {
            Some((id, i)) => (id, i.parse().ok()?),
            None => (self.0.as_str(), 0),
        };
        Some((id.parse().ok()?, index))
    }
}

/// A button press on a result or a progress message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// The same request once more.
    Again(ResultId),
    /// A close variation of the result.
    Vary(ResultId),
    /// Ask what to change about the result.
    Edit(ResultId),
    /// Send the provider's untouched file.
    Original(ResultId),
    /// Cancel a queued job (refunded).
    Cancel(RequestId),
}

impl Action {
    /// The button's data (Telegram callback data, Discord custom_id): a
    /// one-letter kind and the id, so buttons keep working after a restart.
    pub fn encode(&self) -> String {
        let (kind, id) = match self {
            Action::Again(r) => ('a', r.0.as_str()),
            Action::Vary(r) => ('v', r.0.as_str()),
            Action::Edit(r) => ('e', r.0.as_str()),
            Action::Original(r) => ('o', r.0.as_str()),
            Action::Cancel(j) => ('c', j.as_str()),
        };
        format!("{kind}:{id}")
    }

    /// Reads button data written by [`Action::encode`]; `None` for anything
    /// else (old or forged data is ignored, never trusted).
    pub fn decode(data: &str) -> Option<Action> {
        let (kind, id) = data.split_once(':')?;
        if id.is_empty() {
            return None;
        }
        let result = || ResultId(id.to_owned());
        Some(match kind {
            "a" => Action::Again(result()),
            "v" => Action::Vary(result()),
            "e" => Action::Edit(result()),
            "o" => Action::Original(result()),
            "c" => Action::Cancel(RequestId::new(id).ok()?),
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn button_data_round_trips() {
        let r = ResultId("r7Kq2".into());
        for action in [
            Action::Again(r.clone()),
            Action::Vary(r.clone()),
            Action::Edit(r.clone()),
            Action::Original(r),
            Action::Cancel(RequestId::new("tg:1:2").unwrap()),
        ] {
            assert_eq!(Action::decode(&action.encode()), Some(action));
        }
        for junk in ["", "a", "a:", "x:1", "c:has space"] {
            assert_eq!(Action::decode(junk), None, "{junk}");
        }
    }

    #[test]
    fn original_targets_parse_with_and_without_index() {
        let id = "0123456789AB";
        assert_eq!(
            ResultId(id.into()).original_target(),
            Some((id.parse().unwrap(), 0))
        );
        assert_eq!(
            ResultId(format!("{id}:3")).original_target(),
            Some((id.parse().unwrap(), 3))
        );
        assert_eq!(ResultId(format!("{id}:x")).original_target(), None);
        assert_eq!(ResultId("nope".into()).original_target(), None);
    }
}
