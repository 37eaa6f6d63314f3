//! Image requests: the core builds the gateway `Request` from the intent
//! and clears it with the gateway's pre-check; only then are the user's
//! photos downloaded, the request submitted and the job followed. Every
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
use crate::core::render;
use crate::core::request::Built;
use crate::core::{Context, ImageRef, Incoming, Intent, act, admit, interpret};
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
    let gateway = &*state.inner.gateway;
    let max = state.inner.config.max_download_bytes;
    let cleared = match admit::clear(
        gateway,
        id.clone(),
        ctx.user,
        intent,
        &ctx.settings,
        locale,
        max,
    )
    .await
    {
        Ok(cleared) => cleared,
        Err(Some(text)) => return reply(bot, &ctx.msg, text).await,
        Err(None) => return,
    };
    let uploads = match download_all(state, locale, cleared.uploads(), cleared.first_upload()).await
    {
        Ok(uploads) => uploads,
        Err(text) => return reply(bot, &ctx.msg, text).await,
    };
    let Built { request, caption } = cleared.with_uploads(uploads);
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
    let max = state.inner.config.max_download_bytes;
    let gateway = &*state.inner.gateway;
    match admit::clear(gateway, id, incoming.user, intent, &settings, locale, max).await {
        Ok(_) => false,
        Err(Some(text)) => {
            reply(bot, msg, text).await;
            true
        }
        Err(None) => true,
    }
}

/// Downloads every image; `first` numbers them in error messages.
async fn download_all(
    state: &State,
    locale: Locale,
    images: &[ImageRef],
    first: usize,
) -> Result<Vec<Bytes>, String> {
    let mut out = Vec::with_capacity(images.len());
    for (i, image) in images.iter().enumerate() {
        out.push(download(state, locale, image, first + i).await?);
    }
    Ok(out)
}

async fn download(
    state: &State,
    locale: Locale,
    image: &ImageRef,
    index: usize,
) -> Result<Bytes, String> {
    let max = state.inner.config.max_download_bytes;
    let too_large = || render::input_too_large(locale, index, max);
    if image.size.is_some_and(|s| s > max) {
        return Err(too_large());
    }
    let bot = &state.inner.raw;
    let file = bot
        .get_file(image.handle.clone().into())
        .await
        .map_err(|_| render::text::unavailable(locale))?;
    if u64::from(file.size) > max {
        return Err(too_large());
    }
    let mut buf: Vec<u8> = Vec::with_capacity(file.size as usize);
    bot.download_file(&file.path, &mut buf)
        .await
        .map_err(|_| render::text::unavailable(locale))?;
    if buf.len() as u64 > max {
        return Err(too_large());
    }
    Ok(Bytes::from(buf))
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
