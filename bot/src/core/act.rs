//! Carrying out the intents that are answered with text (quota, redeem,
//! settings, admin commands) through the [`Gateway`] port, and turning the
//! gateway's refusals into the user's language. Platform-free: an adapter
//! only delivers the returned text.

use easel_gateway::service::{Gateway, GatewayError};
use easel_shared::admin::AdminActor;
use easel_shared::admin::{AdminOp, AdminReply};
use easel_shared::results::UserSettings;
use easel_shared::{Platform, Refusal, UnixMillis, UserKey};

use super::admin::{AdminCommand, UserRef};
use super::intent::SettingsChange;
use super::render;
use crate::i18n::Locale;

/// The text for a gateway error; `None` for a duplicate (a redelivered
/// event), which gets no answer at all.
pub fn gateway_error(locale: Locale, err: &GatewayError, now: UnixMillis) -> Option<String> {
    Some(match err {
        GatewayError::Denied(Refusal { denial, .. }) => render::denial(locale, denial, now, None),
        GatewayError::BadInput { index, error } => render::bad_input(locale, *index, error.key()),
        GatewayError::BadMask { error } => render::bad_mask(locale, error.key()),
        GatewayError::InputExpired(_) => render::notice(locale, render::Notice::InputExpired),
        GatewayError::Duplicate(_) => return None,
        GatewayError::Forbidden => render::problem(locale, &super::Problem::NotAdmin),
        GatewayError::Refused(reason) => reason.clone(),
        GatewayError::Busy => render::text::busy(locale),
        GatewayError::Unavailable(why) => {
            tracing::warn!(reason = %why, "gateway unavailable");
            render::text::unavailable(locale)
        }
    })
}

/// Like [`gateway_error`], but a denial is told with the user's quota
/// numbers and on the gateway's clock (it says when it can work again).
pub async fn explain(
    gateway: &dyn Gateway,
    user: UserKey,
    locale: Locale,
    err: &GatewayError,
) -> Option<String> {
    if let GatewayError::Denied(Refusal { denial, .. }) = err {
        let status = gateway.quota(user).await.ok();
        let now = status.as_ref().map_or_else(system_now, |s| s.now);
        return Some(render::denial(locale, denial, now, status.as_ref()));
    }
    gateway_error(locale, err, system_now())
}

/// This machine's clock, for relative times when the gateway gave none.
pub fn system_now() -> UnixMillis {
    let ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
    UnixMillis(ms)
}

/// The /quota answer.
pub async fn quota(
    gateway: &dyn Gateway,
    user: UserKey,
    locale: Locale,
) -> Result<String, GatewayError> {
    Ok(render::quota_status(locale, &gateway.quota(user).await?))
}

/// The /redeem answer (a rate-limit denial comes back as the error).
pub async fn redeem(
    gateway: &dyn Gateway,
    user: UserKey,
    code: &str,
    locale: Locale,
    now: UnixMillis,
) -> Result<String, GatewayError> {
    let outcome = gateway.redeem(user, code).await?;
    Ok(render::redemption(locale, &outcome, now))
}

/// The /settings answer: shows, changes or resets the user's defaults.
pub async fn settings(
    gateway: &dyn Gateway,
    user: UserKey,
    change: &SettingsChange,
    locale: Locale,
) -> Result<String, GatewayError> {
    let mut current = gateway.settings(user).await?;
    let changed = match change {
        SettingsChange::Show => false,
        SettingsChange::Reset => {
            current = UserSettings {
                language: current.language.take(),
                ..UserSettings::default()
            };
            true
        }
        SettingsChange::Set(flags) => {
            current.shape = flags.shape.or(current.shape);
            current.quality = flags.quality.or(current.quality);
            current.background = flags.background.or(current.background);
            current.format = flags.format.or(current.format);
            current.n = flags.n.or(current.n);
            true
        }
    };
    if changed {
        gateway.set_settings(user, current.clone()).await?;
    }
    let defaults = current.apply(Default::default());
    Ok(render::text::settings(locale, &defaults, changed))
}

/// Ledger entries shown by `/usage USER`.
const USAGE_LIMIT: usize = 20;

/// Users shown by `/usage top` (a short list fits one Discord message too).
const TOP_LIMIT: usize = 10;

/// The /lang answer: saves the chosen language over the user's current
/// settings (read afresh, so a failed read never overwrites them).
pub async fn lang(
    gateway: &dyn Gateway,
    user: UserKey,
    chosen: Locale,
) -> Result<String, GatewayError> {
    let mut current = gateway.settings(user).await?;
    current.language = Some(chosen.tag().to_owned());
    gateway.set_settings(user, current).await?;
    Ok(render::text::lang_set(chosen))
}

/// The /forget answer: deletes the user's stored images once confirmed,
/// otherwise asks for the confirmation.
pub async fn forget(
    gateway: &dyn Gateway,
    user: UserKey,
    confirmed: bool,
    locale: Locale,
) -> Result<String, GatewayError> {
    if confirmed {
        gateway.forget(user).await?;
    }
    Ok(render::text::forget(locale, confirmed))
}

/// Runs an admin command for `actor` and renders the outcome.
pub async fn admin(
    gateway: &dyn Gateway,
    actor: &AdminActor,
    cmd: &AdminCommand,
    locale: Locale,
    now: UnixMillis,
) -> Result<String, GatewayError> {
    let resolve = |u: UserRef| async move {
        match u {
            UserRef::Key(k) => Ok::<_, GatewayError>(Some(k)),
            UserRef::Username(name) => gateway.lookup_username(actor.user().platform, &name).await,
        }
    };
    let user_of = |u: &UserRef| u.clone();
    let target = match cmd {
        AdminCommand::Grant { user, .. }
        | AdminCommand::Deduct { user, .. }
        | AdminCommand::Plan { user, .. }
        | AdminCommand::Ban { user, .. }
        | AdminCommand::Unban { user }
        | AdminCommand::Usage { user } => Some(user_of(user)),
        _ => None,
    };
    let key = match target.clone() {
        Some(u) => match resolve(u.clone()).await? {
            Some(k) => Some(k),
            None => {
                let name = match u {
                    UserRef::Username(n) => n,
                    UserRef::Key(k) => k.to_string(),
                };
                return Ok(render::admin::unknown_username(locale, &name));
            }
        },
        None => None,
    };
    let who = || {
        key.unwrap_or(UserKey {
            platform: Platform::Web,
            id: 0,
        })
    };
    let op = match cmd {
        AdminCommand::Grant {
            credits, reason, ..
        } => AdminOp::Grant {
            user: who(),
            credits: *credits,
            reason: reason.clone(),
        },
        AdminCommand::Deduct {
            credits, reason, ..
        } => AdminOp::Deduct {
            user: who(),
            credits: *credits,
            reason: reason.clone(),
        },
        AdminCommand::Plan { plan, days, .. } => AdminOp::Plan {
            user: who(),
            plan: plan.clone(),
            days: days.unwrap_or(0),
        },
        AdminCommand::Ban { reason, .. } => AdminOp::Ban {
            user: who(),
            banned: true,
            reason: reason.clone(),
        },
        AdminCommand::Unban { .. } => AdminOp::Ban {
            user: who(),
            banned: false,
            reason: String::new(),
        },
        AdminCommand::Mint(req) => AdminOp::MintCodes {
            spec: req.spec(now),
            count: req.count,
        },
        AdminCommand::ListCodes => AdminOp::ListCodes,
        AdminCommand::Revoke { id } => AdminOp::RevokeCode { id: id.clone() },
        AdminCommand::Usage { .. } => AdminOp::Usage {
            user: who(),
            limit: USAGE_LIMIT,
        },
        AdminCommand::Top { days } => AdminOp::Top {
            days: *days,
            limit: TOP_LIMIT,
        },
        AdminCommand::Stats => AdminOp::Stats,
    };
    let reply = gateway.admin(actor.clone(), op).await?;
    Ok(match reply {
        AdminReply::Minted(codes) => render::minted(locale, &codes),
        AdminReply::Codes(codes) => render::code_list(locale, &codes, now),
        AdminReply::Usage { entries, .. } => {
            render::usage(locale, &target.unwrap_or(UserRef::Key(who())), &entries)
        }
        AdminReply::Top(entries) => match cmd {
            AdminCommand::Top { days } => render::top(locale, *days, &entries),
            _ => render::top(locale, 7, &entries),
        },
        AdminReply::Stats(spend) => render::stats(locale, &spend),
        AdminReply::Status(status) => render::quota_status(locale, &status),
        _ => render::admin_done(locale, cmd).unwrap_or_default(),
    })
}
