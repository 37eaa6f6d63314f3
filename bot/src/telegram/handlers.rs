//! The endpoints of the handler tree and the dispatch on intents. A chat's
//! updates are handled in order up to the gateway's answer (so `/lang`
//! then a prompt, or a redelivery then the next message, keep their order);
//! what takes long runs in spawned tasks: following a job to its end,
//! sending an original, and collecting an album, so the chat's next updates
//! (the rest of an album, a Cancel press) are never stuck behind them.

mod admin;
mod request;

pub(super) use request::refused_early;

use easel_gateway::service::GatewayError;
use easel_shared::UserKey;
use easel_shared::admin::AdminActor;
use easel_shared::results::UserSettings;
use teloxide::prelude::*;
use teloxide::types::{ForceReply, InputFile, Message, MessageId, ReplyMarkup};

use super::convert::{self, images_of, message_ref, text_of, user_key};
use super::job::reply_to;
use super::send;
use super::{State, TgBot, album, text};
use crate::core::render::{self, Notice};
use crate::core::{
    Action, ChangeTarget, Context, ImageRef, Incoming, Intent, ResultId as CoreResultId, act,
    apikey, interpret, privacy, weblink,
};
use crate::i18n::Locale;

/// A message (text, photo, document, album item, reply).
pub(super) async fn message(bot: TgBot, msg: Message, state: State) -> anyhow::Result<()> {
    let Some(from) = msg.from.clone() else {
        return Ok(());
    };
    if from.is_bot || !state.first_time(format!("m:{}:{}", msg.chat.id.0, msg.id.0)) {
        return Ok(());
    }
    if let Some(username) = &from.username {
        state.remember(user_key(&from), username).await;
    }
    if let Some(group) = msg.media_group_id() {
        album::add(&state, &bot, group.0.clone(), msg);
        return Ok(());
    }
    let images = images_of(&msg);
    let text = text_of(&msg);
    on_message(state, bot, msg, images, text).await;
    Ok(())
}

/// A button press.
pub(super) async fn callback(bot: TgBot, q: CallbackQuery, state: State) -> anyhow::Result<()> {
    if !state.first_time(format!("q:{}", q.id.0)) {
        return Ok(());
    }
    // Stop the client's spinner first; the answer follows as messages.
    let _ = bot.answer_callback_query(q.id.clone()).await;
    let (Some(data), Some(shown)) = (q.data.as_deref(), q.message.as_ref()) else {
        return Ok(());
    };
    let Some(action) = Action::decode(data) else {
        return Ok(());
    };
    let Some(shown) = shown.regular_message().cloned() else {
        return Ok(());
    };
    let user = user_key(&q.from);
    let settings = state.settings(user).await;
    let locale = Locale::for_user(
        settings.language.as_deref(),
        q.from.language_code.as_deref(),
    );
    let mut incoming = Incoming::new(
        user,
        crate::core::Chat {
            id: shown.chat.id.0,
            kind: if shown.chat.is_private() {
                crate::core::ChatKind::Private
            } else {
                crate::core::ChatKind::Group
            },
        },
    );
    incoming.action = Some(action.clone());
    let ctx = Ctx {
        msg: shown,
        user,
        locale,
        settings,
        request: convert::button_request_id(&q.id.0),
    };
    if let Action::Original(id) = &action {
        if let Some((result, index)) = id.original_target() {
            let (chat, reply) = (ctx.msg.chat.id, ctx.msg.id);
            tokio::spawn(async move {
                send::original(&state, &bot, chat, reply, locale, &result, index).await;
            });
        }
        return Ok(());
    }
    let owned = state.context(user);
    if let Ok(intent) = interpret(&incoming, &Context::from(&owned)) {
        act(state, bot, ctx, incoming, intent).await;
    }
    Ok(())
}

/// What an intent is carried out for.
pub(super) struct Ctx {
    /// The message to answer (the user's message, or the one with the button).
    pub(super) msg: Message,
    /// Who asked.
    pub(super) user: UserKey,
    /// Their language.
    pub(super) locale: Locale,
    /// Their saved defaults.
    pub(super) settings: UserSettings,
    /// The request id of this event, if it is a valid one.
    pub(super) request: Option<easel_shared::RequestId>,
}

/// A whole message (an album: every item's images, the caption found).
pub(super) async fn on_message(
    state: State,
    bot: TgBot,
    msg: Message,
    images: Vec<ImageRef>,
    text: String,
) {
    let Some(from) = msg.from.clone() else {
        return;
    };
    let mut incoming = convert::incoming(&msg, &from, state.inner.bot_id, images, text);
    let user = incoming.user;
    // Only a reply to one of our messages can name a result.
    if let (Some(reply), Some(replied)) = (incoming.reply_to.as_mut(), msg.reply_to_message())
        && reply.from_bot
        && let Ok(Some(record)) = state
            .inner
            .gateway
            .find_by_message(&message_ref(replied))
            .await
    {
        reply.result = Some(CoreResultId(record.id.to_string()));
    }
    let owned = state.context(user);
    let intent = interpret(&incoming, &Context::from(&owned));
    if matches!(intent, Ok(Intent::Ignore)) {
        return;
    }
    let settings = state.settings(user).await;
    let locale = Locale::for_user(settings.language.as_deref(), incoming.locale.as_deref());
    let ctx = Ctx {
        request: convert::request_id(msg.chat.id.0, msg.id.0),
        msg,
        user,
        locale,
        settings,
    };
    match intent {
        Ok(intent) => act(state, bot, ctx, incoming, intent).await,
        Err(problem) => reply(&bot, &ctx.msg, render::problem(locale, &problem)).await,
    }
}

/// Carries out one intent.
async fn act(state: State, bot: TgBot, ctx: Ctx, incoming: Incoming, intent: Intent) {
    let locale = ctx.locale;
    let gateway = state.inner.gateway.clone();
    let text = match intent {
        Intent::Ignore => return,
        Intent::Start => render::start(locale),
        Intent::Help { admin } => render::help(locale, admin),
        Intent::Generate { .. }
        | Intent::Edit { .. }
        | Intent::Refine { .. }
        | Intent::Again { .. }
        | Intent::Vary { .. } => {
            request::run(&state, &bot, &ctx, &incoming, intent).await;
            return;
        }
        Intent::AskChange(target) => {
            ask_change(&state, &bot, &ctx, target).await;
            return;
        }
        Intent::Original { result } => match result.original_target() {
            Some((result, index)) => {
                send::original(
                    &state,
                    &bot,
                    ctx.msg.chat.id,
                    ctx.msg.id,
                    locale,
                    &result,
                    index,
                )
                .await;
                return;
            }
            None => render::notice(locale, Notice::ResultUnknown),
        },
        Intent::Cancel { job } => match gateway.cancel(ctx.user, &job).await {
            // The job's own stream reports the cancellation in place.
            Ok(easel_gateway::service::CancelOutcome::Cancelled) => return,
            Ok(easel_gateway::service::CancelOutcome::AlreadyStarted) => {
                render::notice(locale, Notice::CancelTooLate)
            }
            Ok(easel_gateway::service::CancelOutcome::Unknown) => return,
            Err(_) => render::text::unavailable(locale),
        },
        Intent::Admin(cmd)
            if privacy::delivery(incoming.chat.kind, &cmd) == privacy::Delivery::Privately =>
        {
            admin::answer_privately(&state, &bot, &ctx, cmd).await;
            return;
        }
        Intent::ApiKey(action)
            if privacy::apikey_delivery(incoming.chat.kind) == privacy::Delivery::Privately =>
        {
            admin::apikey_privately(&state, &bot, &ctx, action).await;
            return;
        }
        Intent::WebLink
            if privacy::apikey_delivery(incoming.chat.kind) == privacy::Delivery::Privately =>
        {
            admin::weblink_privately(&state, &bot, &ctx).await;
            return;
        }
        Intent::WebLink => {
            let answer = weblink::answer(&*state.inner.gateway, ctx.user, locale).await;
            let text = match answer {
                Ok(text) => text,
                Err(e) => match request::explain(&state, ctx.user, locale, e).await {
                    Some(text) => text,
                    None => return,
                },
            };
            // No preview: a preview fetcher must never be the one who opens it.
            let sent = bot
                .send_message(ctx.msg.chat.id, text)
                .reply_parameters(reply_to(ctx.msg.id))
                .link_preview_options(no_preview())
                .await;
            if let Err(e) = sent {
                tracing::warn!(error = %e, "sending a sign-in link failed");
            }
            return;
        }
        Intent::Quota
        | Intent::ApiKey(_)
        | Intent::Redeem { .. }
        | Intent::Settings(_)
        | Intent::Lang(_)
        | Intent::Forget { .. }
        | Intent::Admin(_) => match answer(&state, &ctx, intent).await {
            Ok(text) => text,
            Err(e) => match request::explain(&state, ctx.user, locale, e).await {
                Some(text) => text,
                None => return,
            },
        },
    };
    reply(&bot, &ctx.msg, text).await;
}

/// The intents the core answers with text through the gateway.
async fn answer(state: &State, ctx: &Ctx, intent: Intent) -> Result<String, GatewayError> {
    let gateway = &*state.inner.gateway;
    let (user, locale) = (ctx.user, ctx.locale);
    match intent {
        Intent::Quota => act::quota(gateway, user, locale).await,
        Intent::Redeem { code } => {
            act::redeem(gateway, user, &code, locale, act::system_now()).await
        }
        Intent::Settings(change) => act::settings(gateway, user, &change, locale).await,
        Intent::Lang(chosen) => act::lang(gateway, user, chosen).await,
        Intent::Forget { confirmed } => act::forget(gateway, user, confirmed, locale).await,
        Intent::ApiKey(action) => apikey::answer(gateway, user, &action, locale).await,
        Intent::Admin(cmd) => {
            let actor = AdminActor::User(user);
            act::admin(gateway, &actor, &cmd, locale, act::system_now()).await
        }
        _ => Ok(render::text::internal_error(locale, "intent")),
    }
}

/// Asks what to change; the user's reply to the question is read like any reply.
async fn ask_change(state: &State, bot: &TgBot, ctx: &Ctx, target: ChangeTarget) {
    let question = render::ask_change(ctx.locale);
    let force = ReplyMarkup::ForceReply(ForceReply::new().selective());
    match target {
        ChangeTarget::Result(id) => {
            let sent = bot
                .send_message(ctx.msg.chat.id, question)
                .reply_parameters(reply_to(ctx.msg.id))
                .reply_markup(force)
                .await;
            if let (Ok(sent), Ok(id)) = (sent, id.0.parse()) {
                let _ = state
                    .inner
                    .gateway
                    .attach_message(&id, message_ref(&sent))
                    .await;
            }
        }
        ChangeTarget::Images(images) => {
            // Re-show the (first) image by file id, so the reply carries it.
            let Some(first) = images.first() else { return };
            let _ = bot
                .send_photo(
                    ctx.msg.chat.id,
                    InputFile::file_id(first.handle.clone().into()),
                )
                .caption(question)
                .reply_parameters(reply_to(ctx.msg.id))
                .reply_markup(force)
                .await;
        }
    }
}

/// Link previews off: for messages carrying a one-time link.
pub(super) fn no_preview() -> teloxide::types::LinkPreviewOptions {
    teloxide::types::LinkPreviewOptions {
        is_disabled: true,
        url: None,
        prefer_small_media: false,
        prefer_large_media: false,
        show_above_text: false,
    }
}

/// Replies to `msg` with plain text.
pub(super) async fn reply(bot: &TgBot, msg: &Message, text: String) {
    reply_id(bot, msg.chat.id, msg.id, text).await;
}

/// Replies to message `id` in `chat` with plain text, in several messages
/// when it is longer than Telegram takes in one (the first replies to `id`).
pub(super) async fn reply_id(bot: &TgBot, chat: ChatId, id: MessageId, text: String) {
    for (i, piece) in text::pieces(&text).into_iter().enumerate() {
        let mut req = bot.send_message(chat, piece);
        if i == 0 {
            req = req.reply_parameters(reply_to(id));
        }
        if let Err(e) = req.await {
            return tracing::warn!(error = %e, "sending a reply failed");
        }
    }
}

impl State {
    /// True the first time an update key is seen (redeliveries are dropped).
    fn first_time(&self, key: String) -> bool {
        self.inner
            .seen
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .first_time(key)
    }

    /// Remembers `@username` once per process, for admin commands naming users.
    async fn remember(&self, user: UserKey, username: &str) {
        if self.first_time(format!("u:{user}:{username}")) {
            let _ = self.inner.gateway.remember_username(user, username).await;
        }
    }

    /// The user's saved defaults, or none if the store is unreachable (the
    /// request then fails closed at admission with a clear reply).
    pub(super) async fn settings(&self, user: UserKey) -> UserSettings {
        self.inner.gateway.settings(user).await.unwrap_or_default()
    }

    /// The core's view of the deployment for `user`. Admin rights come from
    /// the gateway (live config), so a changed admin list needs no restart.
    pub(super) fn context(&self, user: UserKey) -> OwnedContext {
        OwnedContext {
            username: self.inner.username.clone(),
            admins: if self.inner.gateway.is_admin(&AdminActor::User(user)) {
                vec![user]
            } else {
                Vec::new()
            },
        }
    }
}

/// Owned data behind a core [`Context`].
pub(super) struct OwnedContext {
    username: String,
    admins: Vec<UserKey>,
}

impl<'a> From<&'a OwnedContext> for Context<'a> {
    fn from(c: &'a OwnedContext) -> Self {
        Context {
            bot_username: &c.username,
            admins: &c.admins,
        }
    }
}
