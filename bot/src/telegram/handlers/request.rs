//! Image requests: the core's builder makes the gateway `Request` from the
//! intent and clears it with the gateway's pre-check; only then are the
//! user's photos downloaded (through [`Files`], this adapter's
//! [`Downloader`]), the request submitted and the job followed. Every
//! refusal is explained in the core's words.

use bytes::Bytes;
use easel_gateway::service::GatewayError;
use easel_shared::UserKey;
use teloxide::net::Download;
use teloxide::prelude::*;

use super::super::convert::{self, images_of, text_of};
use super::super::send::Target;
use super::super::{State, TgBot, job};
use super::{Ctx, OwnedContext, reply};
use crate::core::build::{self, Declined, Downloader, FetchError, Order};
use crate::core::request::Built;
use crate::core::{Context, ImageRef, Incoming, Intent, act, interpret};
use crate::i18n::Locale;

/// Submits the request an intent describes: the core builds it and asks
/// the gateway's pre-check first, so nothing is downloaded for a request
/// that would be refused; then the photos are fetched and a spawned task
/// follows the job.
pub(super) async fn run(
    state: &State,
    bot: &TgBot,
    ctx: &Ctx,
    incoming: &Incoming,
    intent: Intent,
) {
    let locale = ctx.locale;
    let Some(id) = ctx.request.clone() else {
        return;
    };
    let order = Order {
        id: id.clone(),
        user: ctx.user,
        intent,
        settings: &ctx.settings,
        locale,
        mask: None,
    };
    let gateway = &*state.inner.gateway;
    let Built { request, caption } = match build::request(gateway, &Files(state), order).await {
        Ok(built) => built,
        Err(Declined::Tell(text)) => return reply(bot, &ctx.msg, text).await,
        Err(Declined::Silently) => return,
    };
    let target = Target {
        chat: ctx.msg.chat.id,
        group: incoming.chat.kind == crate::core::ChatKind::Group,
        reply_to: ctx.msg.id,
        locale,
        prompt: caption,
    };
    match state.inner.gateway.submit(request).await {
        Ok(events) => {
            tokio::spawn(job::follow(state.clone(), bot.clone(), target, id, events));
        }
        Err(e) => {
            if let Some(text) = explain(state, ctx.user, locale, e).await {
                reply(bot, &ctx.msg, text).await;
            }
        }
    }
}

/// The first photo of an album, as it arrives: when its sender would be
/// refused anyway (banned, no access, no quota left, ...), says so at once
/// and returns true, so none of the album's photos is ever fetched. Only an
/// addressed edit is checked here; the complete album is cleared again,
/// with its photo count, before anything is downloaded.
pub(in super::super) async fn refused_early(state: &State, bot: &TgBot, msg: &Message) -> bool {
    let Some(from) = msg.from.as_ref() else {
        return false;
    };
    let incoming = convert::incoming(msg, from, state.inner.bot_id, images_of(msg), text_of(msg));
    let owned: OwnedContext = state.context(incoming.user);
    let intent = interpret(&incoming, &Context::from(&owned));
    let (Ok(intent @ Intent::Edit { .. }), Some(id)) =
        (intent, convert::request_id(msg.chat.id.0, msg.id.0))
    else {
        return false;
    };
    let settings = state.settings(incoming.user).await;
    let locale = Locale::for_user(settings.language.as_deref(), incoming.locale.as_deref());
    let order = Order {
        id,
        user: incoming.user,
        intent,
        settings: &settings,
        locale,
        mask: None,
    };
    let gateway = &*state.inner.gateway;
    match build::clear(gateway, Files(state).max_bytes(), order).await {
        Ok(_) => false,
        Err(Declined::Tell(text)) => {
            reply(bot, msg, text).await;
            true
        }
        Err(Declined::Silently) => true,
    }
}

/// Telegram's downloads: `getFile`, then the file, within the configured cap.
struct Files<'a>(&'a State);

impl Downloader for Files<'_> {
    fn max_bytes(&self) -> u64 {
        self.0.inner.config.max_download_bytes
    }

    async fn fetch(&self, image: &ImageRef) -> Result<Bytes, FetchError> {
        let max = self.max_bytes();
        let bot = &self.0.inner.raw;
        let file = bot
            .get_file(image.handle.clone().into())
            .await
            .map_err(|_| FetchError::Unavailable)?;
        if u64::from(file.size) > max {
            return Err(FetchError::TooLarge);
        }
        let mut buf: Vec<u8> = Vec::with_capacity(file.size as usize);
        bot.download_file(&file.path, &mut buf)
            .await
            .map_err(|_| FetchError::Unavailable)?;
        if buf.len() as u64 > max {
            return Err(FetchError::TooLarge);
        }
        Ok(Bytes::from(buf))
    }
}

/// What to tell the user about a refusal (the core's words); `None`: say
/// nothing (a redelivered event that was already answered). Nothing was
/// charged in any case. (A refusal that reached the daily spend cap reaches
/// the admins through the gateway's notices, not from here.)
pub(super) async fn explain(
    state: &State,
    user: UserKey,
    locale: Locale,
    error: GatewayError,
) -> Option<String> {
    let gateway = &state.inner.gateway;
    act::explain(&**gateway, user, locale, &error).await
}
