//! Texts about access codes and admin work: redemption outcomes, the
//! confirmation of an admin change, code lists, usage and spend.

use easel_shared::UnixMillis;
use easel_shared::admin::{
    CodeInfo, MintedCode, Redemption, SpendStatus, TopEntry, UsageEntry, UsageOutcome,
};
use easel_shared::notice::{AdminNotice, ModelRef};

use super::time::{date, until};
use crate::core::admin::{AdminCommand, UserRef};
use crate::i18n::{Arg, Locale, t, tr};

/// The answer to /redeem.
pub fn redemption(locale: Locale, outcome: &Redemption, now: UnixMillis) -> String {
    match outcome {
        Redemption::Redeemed {
            credits,
            plan,
            plan_expires_at,
        } => {
            let mut lines = vec![t(locale, "redeem-ok")];
            if *credits > 0 {
                lines.push(tr(
                    locale,
                    "redeem-credits",
                    &[("credits", (*credits).into())],
                ));
            }
            if let Some(plan) = plan {
                lines.push(match plan_expires_at {
                    Some(at) => tr(
                        locale,
                        "redeem-plan-until",
                        &[
                            ("plan", plan.as_str().into()),
                            ("date", date(locale, *at).into()),
                            ("when", until(locale, now, *at).into()),
                        ],
                    ),
                    None => tr(locale, "redeem-plan", &[("plan", plan.as_str().into())]),
                });
            }
            lines.join("\n")
        }
        Redemption::AlreadyRedeemed => t(locale, "redeem-already"),
        Redemption::Invalid => t(locale, "redeem-invalid"),
        Redemption::Expired => t(locale, "redeem-expired"),
        Redemption::UsedUp => t(locale, "redeem-used-up"),
        Redemption::Revoked => t(locale, "redeem-revoked"),
        Redemption::PlanHeld {
            plan,
            until: Some(at),
        } => tr(
            locale,
            "redeem-plan-held",
            &[
                ("plan", plan.as_str().into()),
                ("date", date(locale, *at).into()),
                ("when", until(locale, now, *at).into()),
            ],
        ),
        Redemption::PlanHeld { plan, until: None } => tr(
            locale,
            "redeem-plan-held-forever",
            &[("plan", plan.as_str().into())],
        ),
    }
}

/// How a user is shown to admins: `tg:123` or `@name`.
pub fn user_ref(user: &UserRef) -> String {
    match user {
        UserRef::Key(key) => key.to_string(),
        UserRef::Username(name) => format!("@{name}"),
    }
}

/// The confirmation once the gateway carried out a change (grant, deduct,
/// plan, ban, unban, revoke). Listings have their own functions; for them
/// this returns `None`.
pub fn admin_done(locale: Locale, cmd: &AdminCommand) -> Option<String> {
    let user = |u: &UserRef| Arg::from(user_ref(u));
    Some(match cmd {
        AdminCommand::Grant {
            user: u, credits, ..
        } => tr(
            locale,
            "admin-granted",
            &[("user", user(u)), ("credits", (*credits).into())],
        ),
        AdminCommand::Deduct {
            user: u, credits, ..
        } => tr(
            locale,
            "admin-deducted",
            &[("user", user(u)), ("credits", (*credits).into())],
        ),
        AdminCommand::Plan {
            user: u,
            plan,
            days,
        } => match (plan, days) {
            (None, _) => tr(locale, "admin-plan-default", &[("user", user(u))]),
            (Some(p), None) => tr(
                locale,
                "admin-plan-set",
                &[("user", user(u)), ("plan", p.as_str().into())],
            ),
            (Some(p), Some(d)) => tr(
                locale,
                "admin-plan-set-days",
                &[
                    ("user", user(u)),
                    ("plan", p.as_str().into()),
                    ("days", (*d).into()),
                ],
            ),
        },
        AdminCommand::Ban { user: u, .. } => tr(locale, "admin-banned", &[("user", user(u))]),
        AdminCommand::Unban { user: u } => tr(locale, "admin-unbanned", &[("user", user(u))]),
        AdminCommand::Revoke { id } => tr(locale, "admin-revoked", &[("id", id.as_str().into())]),
        AdminCommand::Mint(_)
        | AdminCommand::ListCodes
        | AdminCommand::Usage { .. }
        | AdminCommand::Top { .. }
        | AdminCommand::Stats => return None,
    })
}

/// `@name` could not be resolved: the bot has not seen that user yet.
pub fn unknown_username(locale: Locale, name: &str) -> String {
    tr(locale, "admin-unknown-user", &[("name", name.into())])
}

/// Freshly minted codes, one per line, to copy and hand out.
pub fn minted(locale: Locale, codes: &[MintedCode]) -> String {
    let mut lines = vec![tr(locale, "admin-minted", &[("count", codes.len().into())])];
    lines.extend(codes.iter().map(|c| format!("{}  ({})", c.code, c.id)));
    lines.join("\n")
}

/// The code listing.
pub fn code_list(locale: Locale, codes: &[CodeInfo], now: UnixMillis) -> String {
    if codes.is_empty() {
        return t(locale, "admin-codes-empty");
    }
    let lines = codes.iter().map(|c| {
        let state = if c.revoked {
            t(locale, "admin-code-revoked")
        } else {
            match c.spec.redeem_by {
                Some(at) if at <= now => t(locale, "admin-code-expired"),
                Some(at) => tr(
                    locale,
                    "admin-code-until",
                    &[("date", date(locale, at).into())],
                ),
                None => t(locale, "admin-code-open"),
            }
        };
        tr(
            locale,
            "admin-code-line",
            &[
                ("id", c.id.as_str().into()),
                ("uses", c.uses.into()),
                ("max", c.spec.max_uses.into()),
                ("credits", c.spec.credits.into()),
                ("plan", c.spec.plan.as_deref().unwrap_or("-").into()),
                ("days", c.spec.plan_days.into()),
                ("state", state.into()),
                ("note", c.spec.note.as_str().into()),
            ],
        )
    });
    lines.collect::<Vec<_>>().join("\n")
}

/// A user's recent usage, newest first as given.
pub fn usage(locale: Locale, user: &UserRef, entries: &[UsageEntry]) -> String {
    let mut lines = vec![tr(
        locale,
        "admin-usage-title",
        &[("user", user_ref(user).into())],
    )];
    if entries.is_empty() {
        lines.push(t(locale, "admin-usage-empty"));
    }
    lines.extend(entries.iter().map(|e| {
        let outcome = match e.outcome {
            UsageOutcome::Delivered => "admin-outcome-delivered",
            UsageOutcome::Partial => "admin-outcome-partial",
            UsageOutcome::Failed => "admin-outcome-failed",
            UsageOutcome::Expired => "admin-outcome-expired",
        };
        tr(
            locale,
            "admin-usage-line",
            &[
                ("date", date(locale, e.at).into()),
                ("images", e.images.into()),
                ("credits", e.credits.into()),
                ("cost", dollars(e.cost_micros).into()),
                ("outcome", t(locale, outcome).into()),
            ],
        )
    }));
    lines.join("\n")
}

/// The heaviest users over `days` days.
pub fn top(locale: Locale, days: u32, entries: &[TopEntry]) -> String {
    let mut lines = vec![tr(locale, "admin-top-title", &[("days", days.into())])];
    if entries.is_empty() {
        lines.push(t(locale, "admin-usage-empty"));
    }
    lines.extend(entries.iter().enumerate().map(|(i, e)| {
        tr(
            locale,
            "admin-top-line",
            &[
                ("rank", (i + 1).into()),
                ("user", e.user.to_string().into()),
                ("credits", e.credits.into()),
            ],
        )
    }));
    lines.join("\n")
}

/// Today's spend against the daily cap, by backend.
pub fn stats(locale: Locale, spend: &SpendStatus) -> String {
    let spent = dollars(spend.spent_micros);
    let percent = spend
        .spent_micros
        .saturating_mul(100)
        .checked_div(spend.cap_micros);
    let mut lines = vec![match percent {
        None => tr(locale, "admin-stats-nocap", &[("spent", spent.into())]),
        Some(percent) => tr(
            locale,
            "admin-stats",
            &[
                ("spent", spent.into()),
                ("cap", dollars(spend.cap_micros).into()),
                ("percent", percent.into()),
            ],
        ),
    }];
    lines.extend(
        spend
            .by_backend
            .iter()
            .map(|(name, micros)| format!("  {name}: {}", dollars(*micros))),
    );
    lines.join("\n")
}

/// What the gateway tells the admins (budget reached, a model retiring or
/// gone), in the admin's language. Every adapter sends this text.
pub fn notice(locale: Locale, notice: &AdminNotice) -> String {
    let model_args = |m: &ModelRef| -> Vec<(&'static str, Arg<'static>)> {
        vec![
            ("model", m.model.clone().into()),
            ("backend", m.backend.clone().into()),
            ("key", m.config_key.clone().into()),
        ]
    };
    match notice {
        AdminNotice::BudgetReached { cap_micros } => tr(
            locale,
            "admin-budget-reached",
            &[("cap", dollars(*cap_micros).into())],
        ),
        AdminNotice::ModelRetiring {
            model,
            shutdown,
            days_left,
        } => {
            let mut args = model_args(model);
            args.push(("date", shutdown.to_string().into()));
            args.push(("days", (*days_left).into()));
            tr(locale, "admin-model-retiring", &args)
        }
        AdminNotice::ModelGone { model, usable } => {
            let mut args = model_args(model);
            let usable = if usable.is_empty() {
                t(locale, "admin-model-usable-none")
            } else {
                usable.join(", ")
            };
            args.push(("usable", usable.into()));
            tr(locale, "admin-model-gone", &args)
        }
    }
}

/// Micro-dollars as `$1.23` (rounded down to the cent; amounts are estimates).
pub fn dollars(micros: u64) -> String {
    format!(
        "${}.{:02}",
        micros / 1_000_000,
        (micros % 1_000_000) / 10_000
    )
}
