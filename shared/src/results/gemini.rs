//! The Gemini chat history a result keeps so a refine continues the
//! conversation ([`super::Continuation::GeminiTurns`]).
//!
//! What is stored: every turn's text and each part's `thoughtSignature`
//! exactly as Gemini returned it (without them the model silently loses the
//! context), and for images only a reference into the result store (the
//! store already keeps inputs and the provider's original outputs; storing
//! them twice would double its size). The gateway resolves references to
//! bytes for the next call ([`TurnImage::bytes`], never serialised).
//!
//! History bound (the rule, applied by the gateway before each call and by
//! the backend when it stores a new turn): at most [`MAX_TURNS`] turns,
//! oldest exchange (a user turn and its model reply) dropped first; and at
//! most [`MAX_INLINE_BYTES`] of image bytes in one request, again dropping
//! the oldest exchanges first, so the request stays under Gemini's 20 MB
//! inline limit. An exchange whose images expired from the store is
//! dropped with everything older than it.

use bytes::Bytes;
use serde::{Deserialize, Serialize};

use super::ResultId;

/// Most turns (user and model) kept in a history: four exchanges.
pub const MAX_TURNS: usize = 8;

/// Most image bytes (before base64) one request carries: base64 grows them
/// by a third, so 14 MiB stays under Gemini's 20 MB inline request limit
/// with room for the text and the new inputs' own budget.
pub const MAX_INLINE_BYTES: usize = 14 * 1024 * 1024;

/// Who spoke a turn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TurnRole {
    /// The person asking (prompt and input images).
    User,
    /// Gemini's answer (text and the image it made).
    Model,
}

/// One turn of a Gemini conversation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GeminiTurn {
    /// Who spoke.
    pub role: TurnRole,
    /// What was said, in order.
    pub parts: Vec<TurnPart>,
}

/// One part of a turn: text or an image, with the signature Gemini attached.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TurnPart {
    /// The content.
    pub content: PartContent,
    /// Gemini's `thoughtSignature` for this part, echoed back byte for byte.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thought_signature: Option<String>,
}

/// A part's content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PartContent {
    /// Text.
    Text {
        /// The words.
        text: String,
    },
    /// An image, by reference into the result store.
    Image(TurnImage),
}

/// An image of a turn: where the result store keeps it, and (only while a
/// job runs) its bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TurnImage {
    /// Where the bytes are kept.
    pub source: ImageSource,
    /// The bytes, filled in by the gateway for one call; never stored.
    #[serde(skip)]
    pub bytes: Option<TurnBytes>,
}

/// Image bytes with their type, in transit to the backend.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TurnBytes {
    /// MIME type, e.g. `image/png`.
    pub mime: String,
    /// The bytes exactly as first sent or received.
    pub bytes: Bytes,
}

/// Which stored image a turn shows.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "of", rename_all = "snake_case")]
pub enum ImageSource {
    /// An input of the result this history is stored with (its id is not
    /// known when the backend writes the turn).
    OwnInput {
        /// 0-based input index.
        index: u8,
    },
    /// An output of the result this history is stored with.
    OwnOutput {
        /// 0-based output index.
        index: u8,
    },
    /// An input of an earlier result of the conversation.
    Input {
        /// The earlier result.
        result: ResultId,
        /// 0-based input index.
        index: u8,
    },
    /// An output (the provider's original bytes) of an earlier result.
    Output {
        /// The earlier result.
        result: ResultId,
        /// 0-based output index.
        index: u8,
    },
}

impl ImageSource {
    /// The same image named from outside `owner`, the result holding it.
    pub fn anchored(&self, owner: &ResultId) -> ImageSource {
        match self {
            ImageSource::OwnInput { index } => ImageSource::Input {
                result: owner.clone(),
                index: *index,
            },
            ImageSource::OwnOutput { index } => ImageSource::Output {
                result: owner.clone(),
                index: *index,
            },
            other => other.clone(),
        }
    }
}

impl GeminiTurn {
    /// The turn with every own-image reference anchored to `owner`.
    pub fn anchored(&self, owner: &ResultId) -> GeminiTurn {
        let mut turn = self.clone();
        for part in &mut turn.parts {
            if let PartContent::Image(image) = &mut part.content {
                image.source = image.source.anchored(owner);
            }
        }
        turn
    }

    /// The turn's images, mutable (for the gateway to fill their bytes).
    pub fn images_mut(&mut self) -> impl Iterator<Item = &mut TurnImage> {
        self.parts.iter_mut().filter_map(|p| match &mut p.content {
            PartContent::Image(image) => Some(image),
            PartContent::Text { .. } => None,
        })
    }

    /// Bytes of the images already filled in.
    pub fn inline_bytes(&self) -> usize {
        self.parts
            .iter()
            .filter_map(|p| match &p.content {
                PartContent::Image(TurnImage { bytes: Some(b), .. }) => Some(b.bytes.len()),
                _ => None,
            })
            .sum()
    }
}

/// Drops the oldest exchanges until at most `max_turns` turns remain and
/// the history starts with a user turn (Gemini wants user first).
pub fn keep_recent(turns: &mut Vec<GeminiTurn>, max_turns: usize) {
    let mut drop = turns.len().saturating_sub(max_turns);
    while drop < turns.len() && turns[drop].role != TurnRole::User {
        drop += 1;
    }
    turns.drain(..drop);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn turn(role: TurnRole, text: &str) -> GeminiTurn {
        GeminiTurn {
            role,
            parts: vec![TurnPart {
                content: PartContent::Text { text: text.into() },
                thought_signature: None,
            }],
        }
    }

    #[test]
    fn the_oldest_exchanges_go_first_and_the_history_starts_with_the_user() {
        let mut turns: Vec<_> = (0..10)
            .map(|i| {
                let role = if i % 2 == 0 {
                    TurnRole::User
                } else {
                    TurnRole::Model
                };
                turn(role, &i.to_string())
            })
            .collect();
        keep_recent(&mut turns, 8);
        assert_eq!(turns.len(), 8);
        assert_eq!(turns[0], turn(TurnRole::User, "2"));
        keep_recent(&mut turns, 3);
        assert_eq!(turns.len(), 2, "a model turn never leads");
        assert_eq!(turns[0], turn(TurnRole::User, "8"));
    }

    #[test]
    fn own_images_are_anchored_and_bytes_never_stored() {
        let owner: ResultId = "0123456789AB".parse().unwrap();
        let turn = GeminiTurn {
            role: TurnRole::Model,
            parts: vec![TurnPart {
                content: PartContent::Image(TurnImage {
                    source: ImageSource::OwnOutput { index: 0 },
                    bytes: Some(TurnBytes {
                        mime: "image/png".into(),
                        bytes: Bytes::from_static(b"png"),
                    }),
                }),
                thought_signature: Some("sig".into()),
            }],
        };
        let json = serde_json::to_string(&turn).unwrap();
        assert!(!json.contains("png\""), "no bytes in {json}");
        assert!(json.contains("\"sig\""));
        let anchored = turn.anchored(&owner);
        let PartContent::Image(image) = &anchored.parts[0].content else {
            panic!("image part expected");
        };
        assert_eq!(
            image.source,
            ImageSource::Output {
                result: owner,
                index: 0
            }
        );
    }
}
