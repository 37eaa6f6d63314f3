//! Quota texts: the /quota answer, the one-line summary under a result, and
//! every denial with why and when it can work.

use easel_shared::render::SizeRefusal;
use easel_shared::{Denial, QuotaStatus, UnixMillis, WindowStatus};

use super::time::{date, period, until};
use crate::i18n::{Locale, t, tr};

/// One window: "12/40 left in this 3 h window, next +1 in 1 h 20 min".
pub fn window_line(locale: Locale, w: &WindowStatus, now: UnixMillis) -> String {
    let left = w.remaining();
    let args = [
        ("left", left.into()),
        ("limit", w.limit.into()),
        ("period", period(locale, w.period_secs).into()),
    ];
    match w.next_free_at.filter(|_| left < w.limit) {
        Some(at) => {
            let mut args = args.to_vec();
            args.push(("when", until(locale, now, at).into()));
            tr(locale, "quota-window-next", &args)
        }
        None => tr(locale, "quota-window", &args),
    }
}

/// The short summary for a result's caption: the tightest window, plus
/// prepaid credits if any.
pub fn quota_line(locale: Locale, status: &QuotaStatus) -> String {
    let mut parts = Vec::new();
    if let Some(w) = tightest(&status.windows) {
        parts.push(window_line(locale, w, status.now));
    }
    if status.credits > 0 {
        parts.push(tr(
            locale,
            "quota-credits",
            &[("credits", status.credits.into())],
        ));
    }
    parts.join(" · ")
}

/// The full /quota answer: plan and expiry, every window, credits, running jobs.
pub fn quota_status(locale: Locale, status: &QuotaStatus) -> String {
    let now = status.now;
    let mut lines = Vec::new();
    if status.banned {
        lines.push(t(locale, "quota-banned"));
        return lines.join("\n");
    }
    lines.push(match (&status.plan, status.plan_expires_at) {
        (None, _) => t(locale, "quota-no-plan"),
        (Some(plan), None) => tr(locale, "quota-plan", &[("plan", plan.as_str().into())]),
        (Some(plan), Some(at)) => tr(
            locale,
            "quota-plan-until",
            &[
                ("plan", plan.as_str().into()),
                ("date", date(locale, at).into()),
                ("when", until(locale, now, at).into()),
            ],
        ),
    });
    lines.extend(status.windows.iter().map(|w| window_line(locale, w, now)));
    lines.push(tr(
        locale,
        "quota-credits",
        &[("credits", status.credits.into())],
    ));
    if status.in_flight > 0 {
        lines.push(tr(
            locale,
            "quota-in-flight",
            &[("n", status.in_flight.into())],
        ));
    }
    lines.join("\n")
}

/// Why a request was refused and when it can work. `status`, when the
/// caller has it, adds the numbers of the window that is full.
pub fn denial(
    locale: Locale,
    denial: &Denial,
    now: UnixMillis,
    status: Option<&QuotaStatus>,
) -> String {
    let when = |at: UnixMillis| until(locale, now, at);
    match denial {
        Denial::Banned => t(locale, "denial-banned"),
        Denial::NeedsCode => t(locale, "denial-needs-code"),
        Denial::NotAllowed => t(locale, "denial-not-allowed"),
        Denial::Quota { fits, retry_at } => quota_denial(locale, *fits, *retry_at, now, status),
        Denial::InFlight { limit } => tr(locale, "denial-in-flight", &[("limit", (*limit).into())]),
        Denial::Burst { retry_at } => {
            tr(locale, "denial-burst", &[("when", when(*retry_at).into())])
        }
        Denial::TooCostly => t(locale, "denial-too-costly"),
        Denial::Budget { resets_at } => tr(
            locale,
            "denial-budget",
            &[("when", when(*resets_at).into())],
        ),
        Denial::PlanForbids { what, max } => {
            let id = match what.as_str() {
                "n" => "denial-plan-n",
                "quality" => "denial-plan-quality",
                "edit" => "denial-plan-edit",
                "size" => "denial-plan-size",
                "inputs" => "denial-plan-inputs",
                _ => "denial-plan-other",
            };
            tr(
                locale,
                id,
                &[
                    ("max", max.unwrap_or(0).into()),
                    ("what", what.as_str().into()),
                ],
            )
        }
        Denial::RedeemRate { retry_at } => tr(
            locale,
            "denial-redeem-rate",
            &[("when", when(*retry_at).into())],
        ),
        Denial::Cooldown { until: at } => {
            tr(locale, "denial-cooldown", &[("when", when(*at).into())])
        }
        Denial::Size(refusal) => size_denial(locale, refusal),
        Denial::Restarting => t(locale, "denial-restarting"),
        Denial::KeyRevoked => t(locale, "denial-key-revoked"),
    }
}

fn quota_denial(
    locale: Locale,
    fits: u32,
    retry_at: Option<UnixMillis>,
    now: UnixMillis,
    status: Option<&QuotaStatus>,
) -> String {
    let Some(at) = retry_at else {
        return tr(locale, "denial-quota-too-big", &[("fits", fits.into())]);
    };
    let when = until(locale, now, at);
    if fits > 0 {
        return tr(
            locale,
            "denial-quota-fits",
            &[("fits", fits.into()), ("when", when.into())],
        );
    }
    match status.and_then(|s| tightest(&s.windows)) {
        Some(w) => tr(
            locale,
            "denial-quota-window",
            &[
                ("left", w.remaining().into()),
                ("limit", w.limit.into()),
                ("period", period(locale, w.period_secs).into()),
                ("when", when.into()),
            ],
        ),
        None => tr(locale, "denial-quota", &[("when", when.into())]),
    }
}

/// The window with the least room; on a tie the longest, which frees last
/// and so is the one that binds.
fn tightest(windows: &[WindowStatus]) -> Option<&WindowStatus> {
    windows
        .iter()
        .min_by_key(|w| (w.remaining(), std::cmp::Reverse(w.period_secs)))
}

/// A `--size` the model would refuse: its rule, and a size that works.
fn size_denial(locale: Locale, refusal: &SizeRefusal) -> String {
    let rule = &refusal.rule;
    let suggestion = refusal
        .suggestion
        .map_or_else(|| "--ar 1:1".to_owned(), |(w, h)| format!("--size {w}x{h}"));
    tr(
        locale,
        "denial-size",
        &[
            (
                "size",
                format!("{}x{}", refusal.width, refusal.height).into(),
            ),
            ("multiple", rule.multiple_of.into()),
            ("max_edge", rule.max_edge.into()),
            ("max_ratio", rule.max_ratio.into()),
            ("min_pixels", rule.min_pixels.into()),
            ("max_pixels", rule.max_pixels.into()),
            ("suggestion", suggestion.into()),
        ],
    )
}
