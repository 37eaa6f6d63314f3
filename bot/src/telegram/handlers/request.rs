//! Image requests: build the gateway `Request` from an intent (downloading
//! the user's photos, naming earlier results as inputs), submit it, and
//! follow the job; or explain in the user's language why it was not taken.

use easel_shared::admin::AdminActor;
use std::sync::Arc;

use bytes::Bytes;
use easel_gateway::service::{Gateway, GatewayError};
use easel_shared::admin::AdminOp;
use easel_shared::render::RenderOptions;
use easel_shared::request::{InputImage, Request};
use easel_shared::results::{InputRef, ResultId};
use easel_shared::{Denial, UserKey};
use teloxide::net::Download;
use teloxide::prelude::*;

use super::super::send::Target;
use super::super::{State, TgBot, job, now};
use super::{Ctx, reply};
use crate::core::render::{self, Notice, VARY_PROMPT};
use crate::core::{ImageRef, Incoming, Intent};
use crate::i18n::Locale;

/// Submits the request an intent describes; a spawned task follows the job.
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
    let defaults = ctx.settings.apply(RenderOptions::default());
    let built = match intent {
        Intent::Generate { prompt, flags } => {
            Ok((prompt, flags.apply_to(&defaults), Vec::new(), None))
        }
        Intent::Edit {
            prompt,
            flags,
            inputs,
        } => download_all(state, locale, &inputs, 0)
            .await
            .map(|inputs| (prompt, flags.apply_to(&defaults), inputs, None)),
        Intent::Refine {
            result,
            prompt,
            flags,
            extra_inputs,
        } => match stored(state, locale, &result.0).await {
            Ok((rid, record_options, _)) => {
                let mut inputs = vec![InputImage::Output {
                    result: rid.clone(),
                    index: 0,
                }];
                match download_all(state, locale, &extra_inputs, 1).await {
                    Ok(extra) => {
                        inputs.extend(extra);
                        Ok((prompt, flags.apply_to(&record_options), inputs, Some(rid)))
                    }
                    Err(text) => Err(text),
                }
            }
            Err(text) => Err(text),
        },
        Intent::Again { result } => match stored(state, locale, &result.0).await {
            Ok((rid, options, record)) => {
                let inputs = again_inputs(&rid, &record.inputs);
                Ok((record.prompt.clone(), options, inputs, Some(rid)))
            }
            Err(text) => Err(text),
        },
        Intent::Vary { result } => match stored(state, locale, &result.0).await {
            Ok((rid, options, _)) => Ok((
                VARY_PROMPT.to_owned(),
                options,
                vec![InputImage::Output {
                    result: rid.clone(),
                    index: 0,
                }],
                Some(rid),
            )),
            Err(text) => Err(text),
        },
        _ => return,
    };
    let (prompt, options, inputs, parent) = match built {
        Ok(parts) => parts,
        Err(text) => return reply(bot, &ctx.msg, text).await,
    };
    let request = Request {
        id: id.clone(),
        user: ctx.user,
        prompt: prompt.clone(),
        options,
        inputs,
        parent,
        mask: None,
    };
    let target = Target {
        chat: ctx.msg.chat.id,
        group: incoming.chat.kind == crate::core::ChatKind::Group,
        reply_to: ctx.msg.id,
        locale,
        // The caption of a variation shows the prompt it varies.
        prompt: prompt_for_caption(state, &request).await.unwrap_or(prompt),
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

/// For Vary, the parent's prompt reads better in the caption than the
/// instruction sent upstream.
async fn prompt_for_caption(state: &State, request: &Request) -> Option<String> {
    if request.prompt != VARY_PROMPT {
        return None;
    }
    let parent = request.parent.as_ref()?;
    let record = state.inner.gateway.result(parent).await.ok()??;
    Some(record.prompt)
}

/// The stored result named by a button or reply, with its options.
async fn stored(
    state: &State,
    locale: Locale,
    id: &str,
) -> Result<(ResultId, RenderOptions, easel_shared::results::ResultRecord), String> {
    let unknown = || render::notice(locale, Notice::ResultUnknown);
    let rid: ResultId = id.parse().map_err(|_| unknown())?;
    match state.inner.gateway.result(&rid).await {
        Ok(Some(record)) => Ok((rid, record.options.clone(), record)),
        Ok(None) => Err(unknown()),
        Err(_) => Err(render::text::unavailable(locale)),
    }
}

/// Again repeats a request's inputs exactly as they were sent upstream; the
/// gateway answers `InputExpired` once their bytes passed the retention.
fn again_inputs(result: &ResultId, inputs: &[InputRef]) -> Vec<InputImage> {
    (0..inputs.len())
        .filter_map(|i| u8::try_from(i).ok())
        .map(|index| InputImage::Input {
            result: result.clone(),
            index,
        })
        .collect()
}

/// Downloads every image; `first` numbers them in error messages.
async fn download_all(
    state: &State,
    locale: Locale,
    images: &[ImageRef],
    first: usize,
) -> Result<Vec<InputImage>, String> {
    let mut out = Vec::with_capacity(images.len());
    for (i, image) in images.iter().enumerate() {
        let bytes = download(state, locale, image, first + i).await?;
        out.push(InputImage::Upload { bytes });
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

/// What to tell the user about a refusal; `None`: say nothing (a redelivered
/// event that was already answered). Nothing was charged in any case.
pub(super) async fn explain(
    state: &State,
    bot: &TgBot,
    user: UserKey,
    locale: Locale,
    error: GatewayError,
) -> Option<String> {
    let gateway = &state.inner.gateway;
    Some(match error {
        GatewayError::Denied {
            denial,
            notify_admins,
        } => {
            if notify_admins {
                tokio::spawn(notify_budget(
                    gateway.clone(),
                    bot.clone(),
                    state.inner.admins.clone(),
                ));
            }
            // The window's numbers make a quota denial concrete.
            let status = match denial {
                Denial::Quota { .. } => gateway.quota(user).await.ok(),
                _ => None,
            };
            let now = status.as_ref().map_or_else(now, |s| s.now);
            render::denial(locale, &denial, now, status.as_ref())
        }
        GatewayError::BadInput { index, error } => render::bad_input(locale, index, error.key()),
        GatewayError::BadMask { error } => render::bad_mask(locale, error.key()),
        GatewayError::InputExpired(_) => render::notice(locale, Notice::InputExpired),
        GatewayError::Duplicate(_) => return None,
        GatewayError::Forbidden => render::problem(locale, &crate::core::Problem::NotAdmin),
        GatewayError::Refused(why) => why,
        GatewayError::Unavailable(why) => {
            tracing::warn!(reason = %why, "gateway unavailable");
            render::text::unavailable(locale)
        }
    })
}

/// Tells every Telegram admin, once, that the daily spend cap is reached.
async fn notify_budget(gateway: Arc<dyn Gateway>, bot: TgBot, admins: Vec<UserKey>) {
    let telegram = admins
        .into_iter()
        .filter(|a| a.platform == easel_shared::Platform::Telegram);
    for admin in telegram {
        let Ok(easel_shared::admin::AdminReply::Stats(spend)) =
            gateway.admin(AdminActor::User(admin), AdminOp::Stats).await
        else {
            continue;
        };
        let text = render::admin::budget_reached(Locale::En, &spend);
        let _ = bot.send_message(ChatId(admin.id as i64), text).await;
    }
}
