//! Following one submitted request: a status message with queue position
//! and elapsed time (edited in place, paced, honouring 429 `retry_after`), a
//! Cancel button while queued, the `upload_photo` chat action every ~4 s,
//! partial previews when the backend streams, then the results or the
//! failure in the user's language.

use std::time::{Duration, Instant};

use bytes::Bytes;
use easel_gateway::service::JobStream;
use easel_shared::RequestId;
use easel_shared::job::JobEvent;
use teloxide::prelude::*;
use teloxide::types::{
    ChatAction, InlineKeyboardButton, InlineKeyboardMarkup, InputFile, InputMedia, InputMediaPhoto,
    MessageId, ReplyParameters,
};

use super::send::{self, Target};
use super::{State, TgBot};
use crate::core::render::{self, ButtonKind};
use crate::core::{Action, act};
use crate::i18n::Locale;

/// How often the chat action is re-sent (it shows for ~5 s).
const CHAT_ACTION_EVERY: Duration = Duration::from_secs(4);
/// How often the status is refreshed when no event arrives.
const TICK: Duration = Duration::from_millis(500);

/// Follows `events` to the end, showing progress and then the outcome.
pub(super) async fn follow(
    state: State,
    bot: TgBot,
    target: Target,
    id: RequestId,
    mut events: JobStream,
) {
    let chat = target.chat;
    let group = target.group;
    let actions = tokio::spawn(chat_actions(state.clone(), bot.clone(), chat, group));
    let mut status = Status::new(&state, &target, id);
    let mut tick = tokio::time::interval(TICK);
    loop {
        tokio::select! {
            event = events.recv() => match event {
                Some(JobEvent::Queued { position }) => status.queued = Some(position),
                Some(JobEvent::Started | JobEvent::Retrying { .. }) => status.queued = None,
                Some(JobEvent::Partial { preview, .. }) => {
                    status.partial = Some(preview.bytes);
                    // The first preview is news worth showing at once; later
                    // ones replace it at the pace of edits.
                    if status.preview.is_none() {
                        status.next_edit = Instant::now();
                    }
                }
                Some(JobEvent::Done { images, result, quota, .. }) => {
                    actions.abort();
                    status.clear(&bot).await;
                    send::results(&state, &bot, &target, &images, result.as_ref(), quota.as_ref()).await;
                    return;
                }
                Some(JobEvent::Failed { failure, .. }) => {
                    actions.abort();
                    let text = render::failure(target.locale, &failure, act::system_now());
                    status.finish(&bot, text).await;
                    return;
                }
                None => {
                    actions.abort();
                    let text = render::text::internal_error(target.locale, status.id.as_str());
                    status.finish(&bot, text).await;
                    return;
                }
            },
            _ = tick.tick() => {}
        }
        status.refresh(&state, &bot).await;
    }
}

/// `upload_photo` every few seconds until aborted.
async fn chat_actions(state: State, bot: TgBot, chat: ChatId, group: bool) {
    loop {
        state.inner.pacer.ready(chat.0, group).await;
        let _ = bot.send_chat_action(chat, ChatAction::UploadPhoto).await;
        tokio::time::sleep(CHAT_ACTION_EVERY).await;
    }
}

/// The progress message and what it should show.
struct Status {
    target: Target,
    id: RequestId,
    started: Instant,
    interval: Duration,
    /// Queue position while waiting; `None` once running.
    queued: Option<u32>,
    /// The newest partial preview not yet shown.
    partial: Option<Bytes>,
    message: Option<MessageId>,
    preview: Option<MessageId>,
    shown: String,
    shown_cancel: bool,
    next_edit: Instant,
}

impl Status {
    fn new(state: &State, target: &Target, id: RequestId) -> Self {
        Self {
            target: target.clone(),
            id,
            started: Instant::now(),
            interval: state.inner.pacer.interval(target.group),
            queued: Some(0),
            partial: None,
            message: None,
            preview: None,
            shown: String::new(),
            shown_cancel: false,
            next_edit: Instant::now(),
        }
    }

    fn text(&self) -> String {
        let elapsed = self.started.elapsed().as_millis() as i64;
        match self.queued {
            Some(position) => render::text::progress_queued(self.target.locale, position, elapsed),
            None => render::text::progress_running(self.target.locale, elapsed),
        }
    }

    fn keyboard(&self) -> Option<InlineKeyboardMarkup> {
        self.queued
            .is_some()
            .then(|| cancel_keyboard(self.target.locale, &self.id))
    }

    /// Shows the current state: sends the status message the first time,
    /// then edits it (and the preview) no more often than the pacing allows.
    async fn refresh(&mut self, state: &State, bot: &TgBot) {
        let text = self.text();
        let keyboard = self.keyboard();
        let Some(message) = self.message else {
            let mut req = bot
                .send_message(self.target.chat, &text)
                .reply_parameters(reply_to(self.target.reply_to));
            if let Some(k) = keyboard.clone() {
                req = req.reply_markup(k);
            }
            if let Ok(sent) = req.await {
                self.message = Some(sent.id);
                self.shown = text;
                self.shown_cancel = keyboard.is_some();
                self.next_edit = Instant::now() + self.interval;
            }
            return;
        };
        if Instant::now() < self.next_edit {
            return;
        }
        if let Some(preview) = self.partial.take() {
            self.show_preview(state, bot, preview).await;
            return;
        }
        if text == self.shown && keyboard.is_some() == self.shown_cancel {
            return;
        }
        state
            .inner
            .pacer
            .ready(self.target.chat.0, self.target.group)
            .await;
        let mut req = bot.edit_message_text(self.target.chat, message, &text);
        if let Some(k) = keyboard.clone() {
            req = req.reply_markup(k);
        }
        let result = req.await;
        self.after_edit(result.map(|_| ()));
        self.shown = text;
        self.shown_cancel = keyboard.is_some();
    }

    async fn show_preview(&mut self, state: &State, bot: &TgBot, preview: Bytes) {
        state
            .inner
            .pacer
            .ready(self.target.chat.0, self.target.group)
            .await;
        let file = InputFile::memory(preview).file_name("preview.png");
        let result = match self.preview {
            None => match bot
                .send_photo(self.target.chat, file)
                .reply_parameters(reply_to(self.target.reply_to))
                .await
            {
                Ok(sent) => {
                    self.preview = Some(sent.id);
                    Ok(())
                }
                Err(e) => Err(e),
            },
            Some(id) => bot
                .edit_message_media(
                    self.target.chat,
                    id,
                    InputMedia::Photo(InputMediaPhoto::new(file)),
                )
                .await
                .map(|_| ()),
        };
        self.after_edit(result);
    }

    /// Schedules the next edit, later if Telegram asked us to wait.
    fn after_edit(&mut self, result: Result<(), teloxide::RequestError>) {
        let wait = match result {
            Err(teloxide::RequestError::RetryAfter(secs)) => secs.duration().max(self.interval),
            _ => self.interval,
        };
        self.next_edit = Instant::now() + wait;
    }

    /// Removes the progress and preview messages before the results arrive.
    async fn clear(&mut self, bot: &TgBot) {
        for id in [self.message.take(), self.preview.take()]
            .into_iter()
            .flatten()
        {
            let _ = bot.delete_message(self.target.chat, id).await;
        }
    }

    /// Ends with `text` in place of the progress (or as a new reply).
    async fn finish(&mut self, bot: &TgBot, text: String) {
        if let Some(id) = self.preview.take() {
            let _ = bot.delete_message(self.target.chat, id).await;
        }
        let edited = match self.message {
            Some(id) => shown(bot.edit_message_text(self.target.chat, id, &text).await),
            None => false,
        };
        if !edited {
            let _ = bot
                .send_message(self.target.chat, text)
                .reply_parameters(reply_to(self.target.reply_to))
                .await;
        }
    }
}

/// Whether an edit left the message showing what was sent: Telegram's
/// "message is not modified" means it already did, and sending the text
/// again would only repeat it.
fn shown<T>(result: Result<T, teloxide::RequestError>) -> bool {
    matches!(
        result,
        Ok(_)
            | Err(teloxide::RequestError::Api(
                teloxide::ApiError::MessageNotModified
            ))
    )
}

fn cancel_keyboard(locale: Locale, id: &RequestId) -> InlineKeyboardMarkup {
    InlineKeyboardMarkup::new([[InlineKeyboardButton::callback(
        render::text::button(locale, ButtonKind::Cancel),
        Action::Cancel(id.clone()).encode(),
    )]])
}

/// Reply to the user's message; still send if it was deleted meanwhile.
pub(super) fn reply_to(id: MessageId) -> ReplyParameters {
    ReplyParameters::new(id).allow_sending_without_reply()
}
