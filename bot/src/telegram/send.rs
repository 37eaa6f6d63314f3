//! Showing results within Telegram's media rules: one image as a photo with
//! caption and buttons, several as an album followed by a message with the
//! buttons, and the provider's untouched bytes as a document (Original).
//! Every message that shows a result is attached to it in the result store,
//! so a reply to it refines that result, also after a restart.

use bytes::Bytes;
use easel_gateway::imaging::{self, PreviewLimits};
use easel_shared::QuotaStatus;
use easel_shared::job::ImageData;
use easel_shared::results::ResultId;
use teloxide::prelude::*;
use teloxide::types::{
    InlineKeyboardButton, InlineKeyboardMarkup, InputFile, InputMedia, InputMediaPhoto, Message,
    MessageId,
};

use super::convert::message_ref;
use super::job::reply_to;
use super::text::utf16_len;
use super::{State, TgBot};
use crate::core::ResultId as CoreResultId;
use crate::core::render::{self, Notice};
use crate::i18n::Locale;

/// Telegram's caption limit, in UTF-16 code units.
const CAPTION_MAX: usize = 1024;

/// Where and to whom a request's answers go.
#[derive(Debug, Clone)]
pub(super) struct Target {
    /// The chat.
    pub(super) chat: ChatId,
    /// Whether others read along (slower progress edits).
    pub(super) group: bool,
    /// The message that asked (answers reply to it).
    pub(super) reply_to: MessageId,
    /// The user's language.
    pub(super) locale: Locale,
    /// The prompt, for the caption.
    pub(super) prompt: String,
}

/// Sends the finished images with caption and buttons and attaches every
/// message to the result.
pub(super) async fn results(
    state: &State,
    bot: &TgBot,
    target: &Target,
    images: &[ImageData],
    result: Option<&ResultId>,
    quota: Option<&QuotaStatus>,
) {
    let caption = caption(target.locale, &target.prompt, quota);
    let keyboard = result.map(|id| buttons(target.locale, id, images.len()));
    let mut shown: Vec<Message> = Vec::new();
    if let [image] = images {
        let mut req = bot
            .send_photo(target.chat, photo(&image.bytes, 0).await)
            .caption(caption)
            .reply_parameters(reply_to(target.reply_to));
        if let Some(k) = keyboard {
            req = req.reply_markup(k);
        }
        match req.await {
            Ok(m) => shown.push(m),
            Err(e) => tracing::warn!(error = %e, "sending a result photo failed"),
        }
    } else {
        let mut media = Vec::with_capacity(images.len().min(10));
        for (i, img) in images.iter().take(10).enumerate() {
            media.push(InputMedia::Photo(InputMediaPhoto::new(
                photo(&img.bytes, i).await,
            )));
        }
        match bot
            .send_media_group(target.chat, media)
            .reply_parameters(reply_to(target.reply_to))
            .await
        {
            Ok(ms) => shown.extend(ms),
            Err(e) => tracing::warn!(error = %e, "sending a result album failed"),
        }
        let mut req = bot.send_message(target.chat, caption);
        if let Some(k) = keyboard {
            req = req.reply_markup(k);
        }
        if let Ok(m) = req.await {
            shown.push(m);
        }
    }
    if let Some(id) = result {
        for m in &shown {
            if let Err(e) = state.inner.gateway.attach_message(id, message_ref(m)).await {
                tracing::warn!(error = %e, result = %id, "attaching a message to a result failed");
            }
        }
    }
}

/// Sends output `index` of `result` exactly as the provider made it.
pub(super) async fn original(
    state: &State,
    bot: &TgBot,
    chat: ChatId,
    reply: MessageId,
    locale: Locale,
    result: &ResultId,
    index: usize,
) {
    let text = match state.inner.gateway.original(result, index).await {
        Ok(Some(image)) => {
            let name = format!("easel-{result}-{}.{}", index + 1, extension(&image.mime));
            let sent = bot
                .send_document(chat, InputFile::memory(image.bytes).file_name(name))
                .reply_parameters(reply_to(reply))
                .await;
            match sent {
                Ok(_) => return,
                Err(e) => {
                    tracing::warn!(error = %e, "sending an original failed");
                    render::text::internal_error(locale, result.as_str())
                }
            }
        }
        Ok(None) => render::notice(locale, Notice::OriginalExpired),
        Err(_) => render::text::unavailable(locale),
    };
    let _ = bot
        .send_message(chat, text)
        .reply_parameters(reply_to(reply))
        .await;
}

/// The photo to show: the provider's bytes when Telegram takes them as a
/// photo, else a derived JPEG preview within Telegram's limits (decoding is
/// CPU work, so it runs off the async threads). The untouched file is
/// always one Original press away.
async fn photo(bytes: &Bytes, index: usize) -> InputFile {
    let original = bytes.clone();
    let shown = tokio::task::spawn_blocking(move || {
        imaging::preview(&original, &PreviewLimits::telegram_photo())
    })
    .await;
    let (bytes, mime) = match shown {
        Ok(Ok(p)) => (p.image.bytes, p.image.mime),
        // Telegram decides; the Original button still has the file.
        _ => (bytes.clone(), "image/png"),
    };
    InputFile::memory(bytes).file_name(format!("easel-{}.{}", index + 1, extension(mime)))
}

/// The result caption, shortened until it fits Telegram's limit.
fn caption(locale: Locale, prompt: &str, quota: Option<&QuotaStatus>) -> String {
    let mut chars = render::CAPTION_PROMPT_CHARS;
    loop {
        let text = render::result_caption(locale, &render::excerpt(prompt, chars), quota);
        if utf16_len(&text) <= CAPTION_MAX {
            return text;
        }
        if chars < 10 {
            break;
        }
        chars /= 2;
    }
    // A few graphemes can still be longer than the whole caption (a letter
    // under hundreds of combining marks): cut by code units then, or
    // Telegram refuses the photo and the user sees no result at all.
    let room = CAPTION_MAX.saturating_sub(utf16_len(&render::result_caption(locale, "…", quota)));
    let mut used = 0;
    let cut: String = prompt
        .trim()
        .chars()
        .take_while(|c| {
            used += c.len_utf16();
            used <= room
        })
        .collect();
    render::result_caption(locale, &format!("{cut}…"), quota)
}

/// The core's result buttons as an inline keyboard.
fn buttons(locale: Locale, id: &ResultId, count: usize) -> InlineKeyboardMarkup {
    let rows = render::result_buttons(locale, &CoreResultId(id.to_string()), count);
    InlineKeyboardMarkup::new(rows.map(|row| {
        row.into_iter()
            .map(|b| InlineKeyboardButton::callback(b.label, b.data))
            .collect::<Vec<_>>()
    }))
}

fn extension(mime: &str) -> &'static str {
    easel_shared::job::file_extension(mime)
}
