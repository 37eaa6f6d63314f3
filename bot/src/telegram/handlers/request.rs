//! Image requests: download the user's photos, let the core build the
//! gateway `Request` from the intent, submit it, and follow the job; or
//! explain (the core's words) why it was not taken.

use std::sync::Arc;

use bytes::Bytes;
use easel_gateway::service::{Gateway, GatewayError};
use easel_shared::{RequestId, UserKey};
use teloxide::net::Download;
use teloxide::prelude::*;

use super::super::send::Target;
use super::super::{State, TgBot, job};
use super::{Ctx, reply};
use crate::core::render;
use crate::core::request::{self, Built, FromResult};
use crate::core::{ImageRef, Incoming, Intent, ResultId, act};
use crate::i18n::Locale;

/// Submits the request an intent describes (built by the core); a spawned
/// task follows the job.
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
    let built = match intent {
        Intent::Generate { prompt, flags } => Ok(request::fresh(
            id.clone(),
            ctx.user,
            &prompt,
            &flags,
            &ctx.settings,
            Vec::new(),
        )),
        Intent::Edit {
            prompt,
            flags,
            inputs,
        } => download_all(state, locale, &inputs, 0)
            .await
            .map(|uploads| {
                request::fresh(
                    id.clone(),
                    ctx.user,
                    &prompt,
                    &flags,
                    &ctx.settings,
                    uploads,
                )
            }),
        Intent::Refine {
            result,
            prompt,
            flags,
            extra_inputs,
        } => match download_all(state, locale, &extra_inputs, 1).await {
            // Numbered from 2: the refined result is the request's first input.
            Ok(uploads) => {
                let what = FromResult::Refine {
                    prompt,
                    flags,
                    uploads,
                };
                from_result(gateway, &id, ctx, &result, what).await
            }
            Err(text) => Err(text),
        },
        Intent::Again { result } => {
            from_result(gateway, &id, ctx, &result, FromResult::Again).await
        }
        Intent::Vary { result } => from_result(gateway, &id, ctx, &result, FromResult::Vary).await,
        _ => return,
    };
    let Built { request, caption } = match built {
        Ok(built) => built,
        Err(text) => return reply(bot, &ctx.msg, text).await,
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
            if let Some(text) = explain(state, bot, ctx.user, locale, e).await {
                reply(bot, &ctx.msg, text).await;
            }
        }
    }
}

/// The core's request about an earlier result, or the text saying why not.
async fn from_result(
    gateway: &dyn Gateway,
    id: &RequestId,
    ctx: &Ctx,
    result: &ResultId,
    what: FromResult,
) -> Result<Built, String> {
    request::from_result(gateway, id.clone(), ctx.user, result, what)
        .await
        .map_err(|e| e.text(ctx.locale))
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
/// charged in any case. A refusal that reached the daily spend cap also
/// tells the Telegram admins, once; awaited rather than spawned (it happens
/// at most once a day), so the notice is out before the user's reply.
pub(super) async fn explain(
    state: &State,
    bot: &TgBot,
    user: UserKey,
    locale: Locale,
    error: GatewayError,
) -> Option<String> {
    let gateway = &state.inner.gateway;
    if let GatewayError::Denied {
        notify_admins: true,
        ..
    } = error
    {
        notify_budget(gateway.clone(), bot.clone(), state.inner.admins.clone()).await;
    }
    act::explain(&**gateway, user, locale, &error).await
}

/// Tells every Telegram admin, once, that the daily spend cap is reached.
async fn notify_budget(gateway: Arc<dyn Gateway>, bot: TgBot, admins: Vec<UserKey>) {
    let telegram = admins
        .into_iter()
        .filter(|a| a.platform == easel_shared::Platform::Telegram);
    for admin in telegram {
        let Some(text) = act::budget_notice(&*gateway, admin, Locale::En).await else {
            continue;
        };
        let _ = bot.send_message(ChatId(admin.id as i64), text).await;
    }
}
