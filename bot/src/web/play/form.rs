//! What the playground's form sends, as the conversation core reads it: the
//! prompt, the photos dropped on the page, and which stored result it is
//! about (refine it, Again, Vary). [`PlayForm::incoming`] makes the core's
//! neutral message, so the web follows the same rules as a chat message
//! (flags, refine-by-reply, Again and Vary buttons); [`Uploads`] is the
//! adapter's [`Downloader`] over the bytes the browser already sent.

use bytes::Bytes;
use easel_shared::UserKey;

use crate::core::build::{Downloader, FetchError};
use crate::core::{Action, Chat, ImageRef, Incoming, RepliedTo, ResultId};

/// A button on a stored result that redraws it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Redo {
    /// The same request once more.
    Again(ResultId),
    /// A close variation.
    Vary(ResultId),
}

/// One submit of the playground's form.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PlayForm {
    /// The words typed (flags such as `--ar 16:9` included).
    pub prompt: String,
    /// The result to refine with the prompt (the page's "refine" choice),
    /// like a chat reply to a result.
    pub refine: Option<ResultId>,
    /// Again or Vary on a result; the prompt and photos are then ignored.
    pub redo: Option<Redo>,
    /// The dropped photos' bytes, in order.
    pub photos: Vec<Bytes>,
}

impl PlayForm {
    /// The core's message for this form. The playground is a private chat
    /// of one user with the bot: every message is addressed to it.
    pub fn incoming(&self, user: UserKey) -> Incoming {
        let images = self
            .photos
            .iter()
            .enumerate()
            .map(|(i, bytes)| ImageRef {
                handle: i.to_string(),
                size: Some(bytes.len() as u64),
            })
            .collect();
        let reply_to = self.refine.clone().map(|result| RepliedTo {
            from_bot: true,
            result: Some(result),
            ..RepliedTo::default()
        });
        let action = self.redo.clone().map(|redo| match redo {
            Redo::Again(result) => Action::Again(result),
            Redo::Vary(result) => Action::Vary(result),
        });
        Incoming {
            text: self.prompt.clone(),
            images,
            reply_to,
            action,
            ..Incoming::new(user, Chat::default())
        }
    }
}

/// The playground's [`Downloader`]: the photos arrived with the form, so a
/// "download" hands back their bytes, within the same cap as chat uploads.
#[derive(Debug)]
pub struct Uploads<'a> {
    /// The form's photos; an [`ImageRef`] handle is an index into them.
    pub photos: &'a [Bytes],
    /// The most bytes one photo may have.
    pub cap: u64,
}

impl Downloader for Uploads<'_> {
    fn max_bytes(&self) -> u64 {
        self.cap
    }

    async fn fetch(&self, image: &ImageRef) -> Result<Bytes, FetchError> {
        let photo = image
            .handle
            .parse::<usize>()
            .ok()
            .and_then(|i| self.photos.get(i))
            .ok_or(FetchError::Unreadable)?;
        if photo.len() as u64 > self.cap {
            return Err(FetchError::TooLarge);
        }
        Ok(photo.clone())
    }
}
