//! Telegram messages into the core's neutral [`Incoming`], request ids from
//! Telegram events, and the memory of recently handled updates.

use std::collections::{HashSet, VecDeque};

use easel_shared::results::MessageRef;
use easel_shared::{Platform, RequestId, UserKey};
use teloxide::types::{Message, MessageEntityKind, User};

use crate::core::{Chat, ChatKind, ImageRef, Incoming, RepliedTo};

/// The user key of a Telegram user.
pub(super) fn user_key(user: &User) -> UserKey {
    UserKey::telegram(user.id.0)
}

/// The result-store reference of a Telegram message.
pub(super) fn message_ref(msg: &Message) -> MessageRef {
    MessageRef {
        platform: Platform::Telegram,
        chat: msg.chat.id.0,
        message: i64::from(msg.id.0),
    }
}

/// `tg:<chat>:<message>`: a redelivered message is the same request.
pub(super) fn request_id(chat: i64, message: i32) -> Option<RequestId> {
    RequestId::new(format!("tg:{chat}:{message}")).ok()
}

/// `tg:q:<callback query id>`: every button press is a new request.
pub(super) fn button_request_id(query_id: &str) -> Option<RequestId> {
    RequestId::new(format!("tg:q:{query_id}")).ok()
}

/// The images a message carries: the largest size of a photo, or a
/// document whose MIME type says image.
pub(super) fn images_of(msg: &Message) -> Vec<ImageRef> {
    if let Some(largest) = msg.photo().and_then(<[_]>::last) {
        return vec![ImageRef {
            handle: largest.file.id.0.clone(),
            size: Some(u64::from(largest.file.size)),
        }];
    }
    match msg.document() {
        Some(doc)
            if doc
                .mime_type
                .as_ref()
                .is_some_and(|m| m.essence_str().starts_with("image/")) =>
        {
            vec![ImageRef {
                handle: doc.file.id.0.clone(),
                size: Some(u64::from(doc.file.size)),
            }]
        }
        _ => Vec::new(),
    }
}

/// The neutral form of `msg` (for an album: `images` of every item and the
/// caption of whichever item had one). `bot_id` tells replies to the bot apart.
pub(super) fn incoming(
    msg: &Message,
    from: &User,
    bot_id: u64,
    images: Vec<ImageRef>,
    text: String,
) -> Incoming {
    let chat = Chat {
        id: msg.chat.id.0,
        kind: if msg.chat.is_private() {
            ChatKind::Private
        } else {
            ChatKind::Group
        },
    };
    let reply_to = msg.reply_to_message().map(|r| RepliedTo {
        from_bot: r.from.as_ref().is_some_and(|u| u.id.0 == bot_id),
        result: None,
        images: images_of(r),
        author: r.from.as_ref().filter(|u| !u.is_bot).map(user_key),
    });
    Incoming {
        user: user_key(from),
        chat,
        text,
        images,
        reply_to,
        mentioned: mentions_bot(msg, bot_id),
        locale: from.language_code.clone(),
        action: None,
    }
}

/// The text or caption of a message.
pub(super) fn text_of(msg: &Message) -> String {
    msg.text()
        .or_else(|| msg.caption())
        .unwrap_or("")
        .to_owned()
}

/// A `text_mention` of the bot (users without a username are mentioned so;
/// `@username` mentions are found in the text by the core).
fn mentions_bot(msg: &Message, bot_id: u64) -> bool {
    msg.entities()
        .or_else(|| msg.caption_entities())
        .into_iter()
        .flatten()
        .any(|e| matches!(&e.kind, MessageEntityKind::TextMention { user } if user.id.0 == bot_id))
}

/// The last `cap` keys seen, to answer a redelivered update once.
pub(super) struct Recent {
    cap: usize,
    order: VecDeque<String>,
    set: HashSet<String>,
}

impl Recent {
    /// Remembers up to `cap` keys.
    pub(super) fn new(cap: usize) -> Self {
        Self {
            cap,
            order: VecDeque::new(),
            set: HashSet::new(),
        }
    }

    /// True the first time `key` is offered, false for a repeat.
    pub(super) fn first_time(&mut self, key: String) -> bool {
        if self.set.contains(&key) {
            return false;
        }
        if self.order.len() == self.cap
            && let Some(old) = self.order.pop_front()
        {
            self.set.remove(&old);
        }
        self.order.push_back(key.clone());
        self.set.insert(key);
        true
    }
}
