//! `/admin/users`: find a user by key (`tg:123`) or @username, see their
//! plan, windows, credits and ban, change them (grant or deduct credits,
//! plan, ban), and read their recent requests.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use easel_gateway::http::admin::MAX_DELTA;
use easel_gateway::service::GatewayError;
use easel_shared::admin::{AdminOp, AdminReply, UsageEntry};
use easel_shared::{Platform, QuotaStatus, UserKey};
use maud::{Markup, html};
use serde::Deserialize;

use super::notice::{Done, banner};
use super::{failure, operate, unexpected};
use crate::core::render::admin::dollars;
use crate::core::render::quota::quota_status;
use crate::core::render::time::date;
use crate::web::{AdminSession, CsrfForm, PageCtx, WebState, page as layout};

/// Recent requests shown for a user.
const RECENT: usize = 20;

/// `?q=` (who to show) and `?done=`.
#[derive(Debug, Default, Deserialize)]
pub(super) struct Find {
    #[serde(default)]
    q: Option<String>,
    #[serde(flatten)]
    done: Done,
}

/// `GET /admin/users`.
pub(super) async fn page(
    admin: AdminSession,
    State(state): State<WebState>,
    Query(find): Query<Find>,
) -> Response {
    let ctx = admin.ctx();
    let body = view(&state, &ctx, find.q.as_deref(), banner(&ctx, &find.done)).await;
    layout(&ctx, &ctx.t("web-nav-users"), body).into_response()
}

/// The page: the search form, then the user found (or why not).
async fn view(state: &WebState, ctx: &PageCtx, q: Option<&str>, top: Markup) -> Markup {
    let q = q.map(str::trim).filter(|q| !q.is_empty());
    let found = match q {
        Some(q) => Some(resolve(state, q).await),
        None => None,
    };
    let shown = match &found {
        Some(Ok(Some(user))) => Some((*user, load(state, *user).await)),
        _ => None,
    };
    html! {
        h1 { (ctx.t("web-nav-users")) }
        (top)
        form method="get" action="/admin/users" class="card" role="search" {
            label for="q" { (ctx.t("web-dash-find-label")) }
            input id="q" name="q" type="text" value=(q.unwrap_or("")) placeholder="tg:123456 / @name"
                autocomplete="off" spellcheck="false";
            p class="muted" { (ctx.t("web-dash-find-hint")) }
            button type="submit" { (ctx.t("web-dash-find")) }
        }
        @match (&found, &shown) {
            (Some(Ok(None)), _) => p class="error" role="alert" { (ctx.t("web-dash-no-such-user")) },
            (Some(Err(e)), _) => (failure(ctx, e)),
            (_, Some((user, Ok((status, usage))))) => (account(ctx, state, *user, status, usage)),
            (_, Some((_, Err(e)))) => (failure(ctx, e)),
            _ => {}
        }
    }
}

/// A user key as typed, or a @username the bot has seen (Telegram first).
async fn resolve(state: &WebState, q: &str) -> Result<Option<UserKey>, GatewayError> {
    if let Ok(user) = q.parse::<UserKey>() {
        return Ok(Some(user));
    }
    let name = q.trim_start_matches('@');
    for platform in [Platform::Telegram, Platform::Discord] {
        if let Some(user) = state.gateway.lookup_username(platform, name).await? {
            return Ok(Some(user));
        }
    }
    Ok(None)
}

async fn load(
    state: &WebState,
    user: UserKey,
) -> Result<(QuotaStatus, Vec<UsageEntry>), GatewayError> {
    let status = match operate(state, AdminOp::Status { user }).await? {
        AdminReply::Status(status) => status,
        other => return Err(unexpected(&other)),
    };
    let usage = match operate(
        state,
        AdminOp::Usage {
            user,
            limit: RECENT,
        },
    )
    .await?
    {
        AdminReply::Usage { entries, .. } => entries,
        other => return Err(unexpected(&other)),
    };
    Ok((status, usage))
}

fn account(
    ctx: &PageCtx,
    state: &WebState,
    user: UserKey,
    status: &QuotaStatus,
    usage: &[UsageEntry],
) -> Markup {
    let plans: Vec<String> = state.config.load().plans.keys().cloned().collect();
    let base = format!("/admin/users/{user}");
    html! {
        section class="card" aria-labelledby="user-h" {
            h2 id="user-h" { (user) }
            pre class="status" { (quota_status(ctx.lang, status)) }
        }
        div class="grid" {
            form method="post" action=(format!("{base}/credits")) class="card" {
                h3 { (ctx.t("web-dash-credits")) }
                (ctx.csrf_field())
                label for="amount" { (ctx.t("web-dash-amount")) }
                input id="amount" name="amount" type="number" min="1" max=(MAX_DELTA) required;
                label for="credits-reason" { (ctx.t("web-dash-reason")) }
                input id="credits-reason" name="reason" type="text";
                div class="buttons" {
                    button type="submit" name="action" value="grant" { (ctx.t("web-dash-grant")) }
                    button type="submit" name="action" value="deduct" class="secondary" { (ctx.t("web-dash-deduct")) }
                }
            }
            form method="post" action=(format!("{base}/plan")) class="card" {
                h3 { (ctx.t("web-dash-plan")) }
                (ctx.csrf_field())
                label for="plan" { (ctx.t("web-dash-plan")) }
                select id="plan" name="plan" {
                    option value="" selected[status.plan.is_none()] { (ctx.t("web-dash-default-plan")) }
                    @for name in &plans {
                        option value=(name) selected[status.plan.as_deref() == Some(name)] { (name) }
                    }
                }
                label for="days" { (ctx.t("web-dash-days")) }
                input id="days" name="days" type="number" min="0" max="3650" value="0";
                button type="submit" { (ctx.t("web-dash-set-plan")) }
            }
            form method="post" action=(format!("{base}/ban")) class="card" {
                h3 { (ctx.t("web-dash-ban")) }
                (ctx.csrf_field())
                input type="hidden" name="banned" value=(!status.banned);
                label for="ban-reason" { (ctx.t("web-dash-reason")) }
                input id="ban-reason" name="reason" type="text";
                @if status.banned {
                    button type="submit" { (ctx.t("web-dash-unban")) }
                } @else {
                    button type="submit" class="danger" { (ctx.t("web-dash-ban")) }
                }
            }
        }
        section class="card" aria-labelledby="recent-h" {
            h2 id="recent-h" { (ctx.t("web-dash-recent")) }
            @if usage.is_empty() {
                p class="muted" { (ctx.t("web-dash-recent-none")) }
            } @else {
                div class="table-wrap" {
                    table {
                        thead { tr {
                            th scope="col" { (ctx.t("web-dash-when")) }
                            th scope="col" { (ctx.t("web-dash-images")) }
                            th scope="col" { (ctx.t("web-dash-credits")) }
                            th scope="col" { (ctx.t("web-dash-cost")) }
                            th scope="col" { (ctx.t("web-dash-outcome")) }
                        } }
                        tbody {
                            @for e in usage {
                                tr {
                                    td { (date(ctx.lang, e.at)) }
                                    td { (e.images) }
                                    td { (e.credits) }
                                    td { (dollars(e.cost_micros)) }
                                    td { (format!("{:?}", e.outcome).to_lowercase()) }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The credits form.
#[derive(Debug, Deserialize)]
pub(super) struct CreditsForm {
    amount: u64,
    action: String,
    #[serde(default)]
    reason: String,
}

/// `POST /admin/users/{user}/credits`: grant or deduct.
pub(super) async fn credits(
    admin: AdminSession,
    State(state): State<WebState>,
    Path(user): Path<String>,
    CsrfForm(form): CsrfForm<CreditsForm>,
) -> Response {
    let ctx = admin.ctx();
    let Ok(user) = user.parse::<UserKey>() else {
        return not_found(&state, &ctx).await;
    };
    let in_range = (1..=MAX_DELTA.unsigned_abs()).contains(&form.amount);
    let op = match form.action.as_str() {
        "grant" if in_range => AdminOp::Grant {
            user,
            credits: form.amount,
            reason: form.reason,
        },
        "deduct" if in_range => AdminOp::Deduct {
            user,
            credits: form.amount,
            reason: form.reason,
        },
        _ => {
            let e = GatewayError::Refused(format!("1..={MAX_DELTA} credits, grant or deduct"));
            return again(&state, &ctx, user, &e).await;
        }
    };
    done(&state, &ctx, user, op, "credits").await
}

/// The plan form.
#[derive(Debug, Deserialize)]
pub(super) struct PlanForm {
    #[serde(default)]
    plan: String,
    #[serde(default)]
    days: u32,
}

/// `POST /admin/users/{user}/plan`: a plan for some days, or the default.
pub(super) async fn plan(
    admin: AdminSession,
    State(state): State<WebState>,
    Path(user): Path<String>,
    CsrfForm(form): CsrfForm<PlanForm>,
) -> Response {
    let ctx = admin.ctx();
    let Ok(user) = user.parse::<UserKey>() else {
        return not_found(&state, &ctx).await;
    };
    let plan = Some(form.plan).filter(|p| !p.is_empty());
    let op = AdminOp::Plan {
        user,
        plan,
        days: form.days,
    };
    done(&state, &ctx, user, op, "plan").await
}

/// The ban form.
#[derive(Debug, Deserialize)]
pub(super) struct BanForm {
    banned: bool,
    #[serde(default)]
    reason: String,
}

/// `POST /admin/users/{user}/ban`: ban, or lift the ban.
pub(super) async fn ban(
    admin: AdminSession,
    State(state): State<WebState>,
    Path(user): Path<String>,
    CsrfForm(form): CsrfForm<BanForm>,
) -> Response {
    let ctx = admin.ctx();
    let Ok(user) = user.parse::<UserKey>() else {
        return not_found(&state, &ctx).await;
    };
    let word = if form.banned { "ban" } else { "unban" };
    let op = AdminOp::Ban {
        user,
        banned: form.banned,
        reason: form.reason,
    };
    done(&state, &ctx, user, op, word).await
}

/// Runs a change: 303 back to the user with a notice, or the page with why.
async fn done(state: &WebState, ctx: &PageCtx, user: UserKey, op: AdminOp, word: &str) -> Response {
    match operate(state, op).await {
        Ok(_) => Redirect::to(&format!("/admin/users?q={user}&done={word}")).into_response(),
        Err(e) => again(state, ctx, user, &e).await,
    }
}

/// The user's page again, with why the change did not happen.
async fn again(state: &WebState, ctx: &PageCtx, user: UserKey, e: &GatewayError) -> Response {
    let status = match e {
        GatewayError::Refused(_) => StatusCode::CONFLICT,
        _ => StatusCode::SERVICE_UNAVAILABLE,
    };
    let body = view(state, ctx, Some(&user.to_string()), failure(ctx, e)).await;
    (status, layout(ctx, &ctx.t("web-nav-users"), body)).into_response()
}

async fn not_found(state: &WebState, ctx: &PageCtx) -> Response {
    let top = html! { p class="error" role="alert" { (ctx.t("web-dash-no-such-user")) } };
    let body = view(state, ctx, None, top).await;
    (
        StatusCode::NOT_FOUND,
        layout(ctx, &ctx.t("web-nav-users"), body),
    )
        .into_response()
}
