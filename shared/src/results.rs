//! What a frontend remembers about a result so a conversation can continue
//! (Again, Vary, a reply that edits it), even after a restart: the result's
//! id, its lineage and images, the messages that show it, and per-user
//! settings. The store itself lives in the gateway; these are its answers.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::ids::{Platform, RequestId, UnixMillis, UserKey};
use crate::render::{Background, OutputFormat, Quality, RenderOptions, Shape};

pub mod gemini;

pub use gemini::GeminiTurn;

/// Crockford's base32 alphabet: no I, L, O or U, so ids read aloud safely.
const CROCKFORD: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// Names one stored result: 12 Crockford base32 characters (60 random bits).
///
/// Short and URL/callback safe, so `again:<id>` fits Telegram's 64-byte
/// callback data and Discord's 100-character custom ids.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ResultId(String);

impl ResultId {
    /// Characters in every id.
    pub const LEN: usize = 12;

    /// The id made from the low 60 bits of `entropy` (the caller brings the randomness).
    pub fn from_entropy(entropy: u64) -> Self {
        let id = (0..Self::LEN)
            .rev()
            .map(|i| char::from(CROCKFORD[((entropy >> (5 * i)) & 31) as usize]))
            .collect();
        Self(id)
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Why a string is not a result id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a result id: expected 12 characters of 0-9 and A-Z without I, L, O, U")]
pub struct BadResultId(pub String);

impl FromStr for ResultId {
    type Err = BadResultId;

    /// Accepts lower case too (users retype ids); stores upper case.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let upper = s.to_ascii_uppercase();
        if upper.len() == Self::LEN && upper.bytes().all(|b| CROCKFORD.contains(&b)) {
            Ok(Self(upper))
        } else {
            Err(BadResultId(s.to_owned()))
        }
    }
}

impl TryFrom<String> for ResultId {
    type Error = BadResultId;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<ResultId> for String {
    fn from(id: ResultId) -> String {
        id.0
    }
}

impl fmt::Display for ResultId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One platform message that shows a result, so a reply to it finds the result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct MessageRef {
    /// Where the message lives.
    pub platform: Platform,
    /// Telegram chat id (negative for groups) or Discord channel snowflake
    /// (snowflakes stay below 2^63 until 2084).
    pub chat: i64,
    /// The message id within the chat (Telegram) or the message snowflake (Discord).
    pub message: i64,
}

impl fmt::Display for MessageRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.platform.tag(), self.chat, self.message)
    }
}

/// What is known of a stored image without loading its bytes.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ImageMeta {
    /// MIME type, e.g. `image/png`.
    pub mime: String,
    /// Size in bytes.
    pub size: u64,
    /// SHA-256 of the bytes, lower-case hex (lets a frontend prove an "original" is untouched).
    pub sha256: String,
}

/// One input image of a result.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum InputRef {
    /// An upload whose bytes the store keeps beside the outputs.
    Stored {
        /// What was uploaded.
        image: ImageMeta,
    },
    /// An output of an earlier result, referenced instead of copied.
    Output {
        /// The earlier result.
        result: ResultId,
        /// Which of its outputs (0-based).
        index: u8,
    },
}

/// Everything kept about one result apart from image bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResultRecord {
    /// Its id.
    pub id: ResultId,
    /// Who asked for it (owns it for /forget).
    pub user: UserKey,
    /// The request that produced it.
    pub request: RequestId,
    /// The user's words, whole.
    pub prompt: String,
    /// How it was rendered (Again repeats these).
    pub options: RenderOptions,
    /// Its input images, in order (empty for a text-only generation).
    pub inputs: Vec<InputRef>,
    /// The result it refines or varies (lineage).
    pub parent: Option<ResultId>,
    /// When it was stored.
    pub created_at: UnixMillis,
    /// The image bytes are kept until at most this time (earlier if the
    /// size cap evicts them); the record itself stays.
    pub images_until: UnixMillis,
    /// The provider's output images, in order.
    pub outputs: Vec<ImageMeta>,
    /// Messages showing it, sorted.
    pub messages: Vec<MessageRef>,
    /// How the backend that made it can continue the conversation from it
    /// (a refine of this result sends it back); `None` for backends without
    /// multi-turn state and for records stored before multi-turn existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub continuation: Option<Continuation>,
}

/// A backend's handle on the conversation that produced a result, so the
/// next turn (a reply, Again of a refine, the Edit button) continues it
/// instead of starting over from the image alone.
///
/// Semantics every backend keeps: a continuation is only used by the
/// backend named in it (another backend, e.g. after a fallback, edits the
/// stored image as before); one the provider no longer knows (expired,
/// deleted, another key) falls back to an edit of the stored image inside
/// the same reservation, so the user sees no difference and is charged
/// once. Stored with the result for the result store's retention.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Continuation {
    /// OpenAI Responses API: the response whose image this result holds;
    /// the next turn sends it as `previous_response_id`.
    OpenaiResponse {
        /// The configured backend name that made it.
        backend: String,
        /// The provider's response id (`resp_...`).
        response_id: String,
    },
    /// Gemini chat: the conversation up to this result, resent on the next
    /// turn with each part's thought signature (rules in [`gemini`]).
    GeminiTurns {
        /// The configured backend name that made it.
        backend: String,
        /// Earlier turns, oldest first, ending with the user turn that
        /// asked for this result.
        history: Vec<GeminiTurn>,
        /// Gemini's answer per output image (`replies[i]` made output `i`);
        /// a refine of output `i` continues with `history + replies[i]`.
        replies: Vec<GeminiTurn>,
    },
}

impl Continuation {
    /// The configured backend name that can continue it.
    pub fn backend(&self) -> &str {
        match self {
            Continuation::OpenaiResponse { backend, .. }
            | Continuation::GeminiTurns { backend, .. } => backend,
        }
    }
}

/// A user's own defaults, applied under the flags of each request.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct UserSettings {
    /// Default shape (`--ar`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shape: Option<Shape>,
    /// Default quality (`--q`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quality: Option<Quality>,
    /// Default background (`--bg`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub background: Option<Background>,
    /// Default output format (`--fmt`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub format: Option<OutputFormat>,
    /// Default number of images (`--n`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub n: Option<u8>,
    /// Language override (e.g. `en`, `zh-CN`); none means the platform's locale.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
}

impl UserSettings {
    /// `base` with this user's defaults put over it.
    pub fn apply(&self, base: RenderOptions) -> RenderOptions {
        RenderOptions {
            shape: self.shape.unwrap_or(base.shape),
            quality: self.quality.unwrap_or(base.quality),
            background: self.background.unwrap_or(base.background),
            format: self.format.unwrap_or(base.format),
            n: self.n.unwrap_or(base.n),
            tuning: base.tuning,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_twelve_crockford_chars_and_round_trip() {
        for entropy in [0, 1, u64::MAX, 0x0123_4567_89ab_cdef] {
            let id = ResultId::from_entropy(entropy);
            assert_eq!(id.as_str().len(), ResultId::LEN);
            assert_eq!(id.as_str().parse::<ResultId>().unwrap(), id);
        }
        assert_eq!(ResultId::from_entropy(0).as_str(), "000000000000");
        assert_eq!(ResultId::from_entropy(31).as_str(), "00000000000Z");
        assert_ne!(ResultId::from_entropy(1), ResultId::from_entropy(2));
    }

    #[test]
    fn ids_refuse_junk_and_accept_lower_case() {
        assert_eq!(
            "0123456789ab".parse::<ResultId>().unwrap().as_str(),
            "0123456789AB"
        );
        for junk in [
            "",
            "0123456789A",
            "0123456789ABC",
            "0123456789AI",
            "01234567:9AB",
        ] {
            assert!(junk.parse::<ResultId>().is_err(), "{junk} accepted");
        }
        assert!(serde_json::from_str::<ResultId>("\"0123456789AU\"").is_err());
    }

    #[test]
    fn settings_override_only_what_they_set() {
        let s = UserSettings {
            quality: Some(Quality::High),
            n: Some(3),
            ..UserSettings::default()
        };
        let out = s.apply(RenderOptions::default());
        assert_eq!(out.quality, Quality::High);
        assert_eq!(out.n, 3);
        assert_eq!(out.format, OutputFormat::Png);
        assert_eq!(
            serde_json::to_string(&UserSettings::default()).unwrap(),
            "{}"
        );
    }
}
