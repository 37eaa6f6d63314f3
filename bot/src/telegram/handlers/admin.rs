//! Admin answers only the admin may read (the core's privacy rule), asked
//! in a group: run the command, send the answer to the admin's private
//! chat, and leave a short note in the group; or, when Telegram will not
//! let the bot write to the admin first, a hint to open that chat.

use easel_shared::admin::AdminActor;
use teloxide::prelude::*;
use teloxide::types::ChatAction;
use teloxide::{ApiError, RequestError};

use super::super::{State, TgBot};
use super::{Ctx, no_preview, reply};
use easel_gateway::service::GatewayError;

use crate::core::{AdminCommand, ApiKeyAction, act, apikey, privacy, weblink};

/// Answers `cmd` in the admin's private chat. The private chat is probed
/// first (a chat action), so a command that creates something (codes) is
/// not run when its answer could never be delivered.
pub(super) async fn answer_privately(state: &State, bot: &TgBot, ctx: &Ctx, cmd: AdminCommand) {
    let gateway = &*state.inner.gateway;
    let actor = AdminActor::User(ctx.user);
    let (locale, now) = (ctx.locale, act::system_now());
    privately(
        state,
        bot,
        ctx,
        act::admin(gateway, &actor, &cmd, locale, now),
    )
    .await;
}

/// Answers `/apikey` in the user's private chat (a new key's secret must
/// never land in a group); probed first, so no key is created whose answer
/// could not be delivered.
pub(super) async fn apikey_privately(state: &State, bot: &TgBot, ctx: &Ctx, action: ApiKeyAction) {
    let gateway = &*state.inner.gateway;
    privately(
        state,
        bot,
        ctx,
        apikey::answer(gateway, ctx.user, &action, ctx.locale),
    )
    .await;
}

/// Sends a `/web` sign-in link to the user's private chat (it signs its
/// holder in as the user, so never into a group).
pub(super) async fn weblink_privately(state: &State, bot: &TgBot, ctx: &Ctx) {
    let gateway = &*state.inner.gateway;
    privately(
        state,
        bot,
        ctx,
        weblink::answer(gateway, ctx.user, ctx.locale),
    )
    .await;
}

/// Probes the private chat, then runs `answer` and sends its text there,
/// leaving a note (or the hint to open the chat) in the group.
async fn privately(
    state: &State,
    bot: &TgBot,
    ctx: &Ctx,
    answer: impl std::future::Future<Output = Result<String, GatewayError>>,
) {
    let locale = ctx.locale;
    let private = ChatId(i64::try_from(ctx.user.id).unwrap_or(i64::MAX));
    let link = format!("https://t.me/{}", state.inner.username);
    if let Err(e) = bot.send_chat_action(private, ChatAction::Typing).await {
        let text = refusal(locale, &link, &e);
        return reply(bot, &ctx.msg, text).await;
    }
    let gateway = &*state.inner.gateway;
    let text = match answer.await {
        Ok(text) => text,
        Err(e) => act::explain(gateway, ctx.user, locale, &e)
            .await
            .unwrap_or_default(),
    };
    // No link previews: a sign-in link must be opened by its user only.
    let sent = bot
        .send_message(private, text)
        .link_preview_options(no_preview())
        .await;
    let note = match sent {
        Ok(_) => privacy::sent_privately(locale),
        Err(e) => refusal(locale, &link, &e),
    };
    reply(bot, &ctx.msg, note).await;
}

/// What to tell the group when the private chat refused: the hint to open
/// it for Telegram's "bot can't initiate conversation" (and a block), else
/// the generic apology. Never the answer itself.
fn refusal(locale: crate::i18n::Locale, link: &str, e: &RequestError) -> String {
    let closed = match e {
        RequestError::Api(
            ApiError::BotBlocked | ApiError::CantInitiateConversation | ApiError::UserDeactivated,
        ) => true,
        // teloxide matches the old "Unauthorized: ..." wording of the
        // refusal; today's "Forbidden: bot can't initiate conversation with
        // a user" arrives as an unknown API error.
        RequestError::Api(ApiError::Unknown(text)) => text.starts_with("Forbidden"),
        _ => false,
    };
    if closed {
        privacy::open_private_chat(locale, link)
    } else {
        tracing::warn!(error = %e, "private admin answer not delivered");
        privacy::not_delivered(locale)
    }
}
