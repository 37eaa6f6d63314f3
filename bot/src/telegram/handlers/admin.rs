//! Admin commands from Telegram: users named by id, by `@username` once
//! seen, or by replying to their message; the gateway checks the actor is an
//! admin (live config) and carries the change out at once.

use easel_shared::admin::AdminActor;
use easel_shared::admin::{AdminOp, AdminReply};
use easel_shared::{Platform, UserKey};

use super::super::{State, TgBot, now};
use super::Ctx;
use super::request::explain;
use crate::core::render;
use crate::core::{AdminCommand, UserRef};

/// Entries shown by `/usage USER` and users by `/usage top`.
const LIST_LIMIT: usize = 20;

/// Runs one admin command and returns the reply.
pub(super) async fn run(state: &State, bot: &TgBot, ctx: &Ctx, cmd: AdminCommand) -> String {
    let locale = ctx.locale;
    let op = match to_op(state, &cmd).await {
        Ok(op) => op,
        Err(text) => return text(locale),
    };
    match state
        .inner
        .gateway
        .admin(AdminActor::User(ctx.user), op)
        .await
    {
        Ok(reply) => match (reply, &cmd) {
            (AdminReply::Minted(codes), _) => render::minted(locale, &codes),
            (AdminReply::Codes(codes), _) => render::code_list(locale, &codes, now()),
            (AdminReply::Usage { entries, .. }, AdminCommand::Usage { user }) => {
                render::usage(locale, user, &entries)
            }
            (AdminReply::Top(entries), AdminCommand::Top { days }) => {
                render::top(locale, *days, &entries)
            }
            (AdminReply::Stats(spend), _) => render::stats(locale, &spend),
            (AdminReply::Status(status), _) => render::quota_status(locale, &status),
            _ => render::admin_done(locale, &cmd).unwrap_or_default(),
        },
        Err(e) => explain(state, bot, ctx.user, locale, e)
            .await
            .unwrap_or_default(),
    }
}

type Reply = Box<dyn FnOnce(crate::i18n::Locale) -> String + Send>;

/// The gateway operation, with `@username`s resolved.
async fn to_op(state: &State, cmd: &AdminCommand) -> Result<AdminOp, Reply> {
    Ok(match cmd.clone() {
        AdminCommand::Grant {
            user,
            credits,
            reason,
        } => AdminOp::Grant {
            user: resolve(state, &user).await?,
            credits,
            reason,
        },
        AdminCommand::Deduct {
            user,
            credits,
            reason,
        } => AdminOp::Deduct {
            user: resolve(state, &user).await?,
            credits,
            reason,
        },
        AdminCommand::Plan { user, plan, days } => AdminOp::Plan {
            user: resolve(state, &user).await?,
            plan,
            days: days.unwrap_or(0),
        },
        AdminCommand::Ban { user, reason } => AdminOp::Ban {
            user: resolve(state, &user).await?,
            banned: true,
            reason,
        },
        AdminCommand::Unban { user } => AdminOp::Ban {
            user: resolve(state, &user).await?,
            banned: false,
            reason: String::new(),
        },
        AdminCommand::Mint(req) => AdminOp::MintCodes {
            spec: req.spec(now()),
            count: req.count,
        },
        AdminCommand::ListCodes => AdminOp::ListCodes,
        AdminCommand::Revoke { id } => AdminOp::RevokeCode { id },
        AdminCommand::Usage { user } => AdminOp::Usage {
            user: resolve(state, &user).await?,
            limit: LIST_LIMIT,
        },
        AdminCommand::Top { days } => AdminOp::Top {
            days,
            limit: LIST_LIMIT,
        },
        AdminCommand::Stats => AdminOp::Stats,
    })
}

async fn resolve(state: &State, user: &UserRef) -> Result<UserKey, Reply> {
    match user {
        UserRef::Key(key) => Ok(*key),
        UserRef::Username(name) => {
            match state
                .inner
                .gateway
                .lookup_username(Platform::Telegram, name)
                .await
            {
                Ok(Some(key)) => Ok(key),
                Ok(None) => {
                    let name = name.clone();
                    Err(Box::new(move |l| render::admin::unknown_username(l, &name)))
                }
                Err(_) => Err(Box::new(render::text::unavailable)),
            }
        }
    }
}
