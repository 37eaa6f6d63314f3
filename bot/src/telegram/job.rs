//! Following one submitted request: a status message with queue position
//! and elapsed time (edited in place, paced, honouring 429 `retry_after`), a
//! Cancel button while queued, the `upload_photo` chat action every ~4 s,
//! partial previews when the backend streams, then the results or the
//! failure in the user's language.
//!
//! Every wait here (the edit interval, a `retry_after`, the chat action
//! renewal, the elapsed time shown) is read from the state's clock, so a
//! test with a manual clock decides when they are due.

use std::time::Duration;

use bytes::Bytes;
use easel_gateway::service::JobStream;
use easel_shared::job::JobEvent;
use easel_shared::{RequestId, UnixMillis};
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
/// How often the status is looked at when nothing changed (the elapsed time).
const TICK: Duration = Duration::from_millis(500);

/// Follows `events` to the end, showing progress and then the outcome.
pub(super) async fn follow(
    state: State,
    bot: TgBot,
    target: Target,
    id: RequestId,
    mut events: JobStream,
) {
    let clock = state.inner.clock.clone();
    let mut status = Status::new(&state, &target, id);
    let mut next_action = clock.now();
    // A final event that arrived before a due look: handled right after it.
    let mut held: Option<JobEvent> = None;
    loop {
        let event = match held.take() {
            Some(event) => Some(Some(event)),
            None => {
                let wake = status.wake(clock.now()).min(next_action);
                tokio::select! {
                    // A due timer goes first, so what was due before an event is
                    // done before it (and a test's clock moves are seen in order).
                    biased;
                    () = clock.sleep_until(wake) => {
                        // Progress that already arrived is older than this look:
                        // take it in, or the look would show a state already left.
                        held = status.take_arrived(&mut events, &clock);
                        None
                    }
                    event = events.recv() => Some(event),
                }
            }
        };
        if let Some(event) = event {
            match event {
                Some(JobEvent::Done {
                    images,
                    result,
                    quota,
                    ..
                }) => {
                    status.clear(&bot).await;
                    send::results(
                        &state,
                        &bot,
                        &target,
                        &images,
                        result.as_ref(),
                        quota.as_ref(),
                    )
                    .await;
                    return;
                }
                Some(JobEvent::Failed { failure, .. }) => {
                    let text = render::failure(target.locale, &failure, act::system_now());
                    status.finish(&bot, text).await;
                    return;
                }
                Some(progress) => status.absorb(progress, &clock),
                None => {
                    let text = render::text::internal_error(target.locale, status.id.as_str());
                    status.finish(&bot, text).await;
                    return;
                }
            }
        }
        // One reading for both, taken before any request: a later reading
        // could include time a test moved while Telegram answered.
        let now = clock.now();
        status.refresh(&state, &bot, now).await;
        // After the status: a message from the bot clears the indicator.
        if now >= next_action {
            state.inner.pacer.ready(target.chat.0, target.group).await;
            let _ = bot
                .send_chat_action(target.chat, ChatAction::UploadPhoto)
                .await;
            next_action = now.plus(CHAT_ACTION_EVERY);
        }
    }
}

/// The progress message and what it should show.
struct Status {
    target: Target,
    id: RequestId,
    started: UnixMillis,
    interval: Duration,
    /// Queue position while waiting; `None` once running.
    queued: Option<u32>,
    /// The newest partial preview not yet shown.
    partial: Option<Bytes>,
    message: Option<MessageId>,
    preview: Option<MessageId>,
    shown: String,
    shown_cancel: bool,
    /// No edit before this (the interval, or longer after a `retry_after`).
    next_edit: UnixMillis,
}

impl Status {
    fn new(state: &State, target: &Target, id: RequestId) -> Self {
        let now = state.inner.clock.now();
        Self {
            target: target.clone(),
            id,
            started: now,
            interval: state.inner.pacer.interval(target.group),
            queued: Some(0),
            partial: None,
            message: None,
            preview: None,
            shown: String::new(),
            shown_cancel: false,
            next_edit: now,
        }
    }

    /// Takes in a progress event (queue position, running, a preview).
    fn absorb(&mut self, event: JobEvent, clock: &easel_gateway::ledger::Clock) {
        match event {
            JobEvent::Queued { position } => self.queued = Some(position),
            JobEvent::Started | JobEvent::Retrying { .. } => self.queued = None,
            JobEvent::Partial { preview, .. } => {
                self.partial = Some(preview.bytes);
                // The first preview is news worth showing at once; later
                // ones replace it at the pace of edits.
                if self.preview.is_none() {
                    self.next_edit = clock.now();
                }
            }
            JobEvent::Done { .. } | JobEvent::Failed { .. } => {}
        }
    }

    /// Takes in every progress event already waiting in `events`; returns
    /// the first final event (or the stream's end) instead, unhandled.
    fn take_arrived(
        &mut self,
        events: &mut JobStream,
        clock: &easel_gateway::ledger::Clock,
    ) -> Option<JobEvent> {
        while let Ok(event) = events.try_recv() {
            match event {
                JobEvent::Done { .. } | JobEvent::Failed { .. } => return Some(event),
                progress => self.absorb(progress, clock),
            }
        }
        None
    }

    fn text(&self, now: UnixMillis) -> String {
        let elapsed = now.0.saturating_sub(self.started.0).max(0);
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

    /// When the status next needs a look: at `next_edit` if something new
    /// waits to be shown, else one tick on (the elapsed time moves).
    fn wake(&self, now: UnixMillis) -> UnixMillis {
        let news = self.message.is_none()
            || self.partial.is_some()
            || self.text(now) != self.shown
            || self.keyboard().is_some() != self.shown_cancel;
        if news {
            self.next_edit
        } else {
            self.next_edit.max(now.plus(TICK))
        }
    }

    /// Shows the current state: sends the status message the first time,
    /// then edits it (and the preview) no more often than the pacing allows.
    /// The next edit is timed from when this look began, not from when
    /// Telegram answered, so the clock a test moved meanwhile still counts.
    async fn refresh(&mut self, state: &State, bot: &TgBot, now: UnixMillis) {
        let text = self.text(now);
        let keyboard = self.keyboard();
        let Some(message) = self.message else {
            let mut req = bot
                .send_message(self.target.chat, &text)
                .reply_parameters(reply_to(self.target.reply_to));
            if let Some(k) = keyboard.clone() {
                req = req.reply_markup(k);
            }
            match req.await {
                Ok(sent) => {
                    self.message = Some(sent.id);
                    self.shown = text;
                    self.shown_cancel = keyboard.is_some();
                    self.next_edit = now.plus(self.interval);
                }
                // Try again a tick later rather than at once, over and over.
                Err(_) => self.next_edit = now.plus(TICK),
            }
            return;
        };
        if now < self.next_edit {
            return;
        }
        if let Some(preview) = self.partial.take() {
            self.show_preview(state, bot, preview, now).await;
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
        self.after_edit(result.map(|_| ()), now);
        self.shown = text;
        self.shown_cancel = keyboard.is_some();
    }

    async fn show_preview(&mut self, state: &State, bot: &TgBot, preview: Bytes, now: UnixMillis) {
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
        self.after_edit(result, now);
    }

    /// Schedules the next edit from `now` (when the edit was decided), later
    /// if Telegram asked us to wait.
    fn after_edit(&mut self, result: Result<(), teloxide::RequestError>, now: UnixMillis) {
        let wait = match result {
            Err(teloxide::RequestError::RetryAfter(secs)) => secs.duration().max(self.interval),
            _ => self.interval,
        };
        self.next_edit = now.plus(wait);
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
