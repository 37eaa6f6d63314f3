//! `/admin/plans`: the plans as configured (windows, limits) with how many
//! users on each were charged today and for how many credits.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use easel_gateway::reports::{PlanUsage, plan_usage};
use easel_shared::config::PlanConfig;
use maud::{Markup, html};

use super::failure;
use crate::core::render::time::period;
use crate::i18n::Arg;
use crate::web::{AdminSession, PageCtx, WebState, page as layout};

/// `GET /admin/plans`.
pub(super) async fn page(admin: AdminSession, State(state): State<WebState>) -> Response {
    let ctx = admin.ctx();
    let config = state.config.load_full();
    let usage = plan_usage(&*state.ledger, &config)
        .await
        .map_err(Into::into);
    let title = ctx.t("web-nav-plans");
    let body = html! {
        h1 { (title) }
        p class="muted" { (ctx.t("web-dash-plans-hint")) }
        @match &usage {
            Ok(rows) => {
                @for row in rows {
                    @if let Some(plan) = config.plans.get(&row.name) { (card(&ctx, row, plan)) }
                }
            }
            Err(e) => (failure(&ctx, e)),
        }
    };
    layout(&ctx, &title, body).into_response()
}

fn card(ctx: &PageCtx, usage: &PlanUsage, plan: &PlanConfig) -> Markup {
    html! {
        section class="card" aria-labelledby=(format!("plan-{}", usage.name)) {
            h2 id=(format!("plan-{}", usage.name)) {
                (usage.name)
                @if usage.is_default { " " span class="tag" { (ctx.t("web-dash-default-plan")) } }
            }
            p class="big" {
                (ctx.t_args("web-dash-plan-today", &[
                    ("users", Arg::Num(f64::from(usage.users_today))),
                    ("credits", Arg::Num(usage.credits_today as f64)),
                ]))
            }
            ul class="plain" {
                @for w in &plan.windows {
                    li { (ctx.t_args("web-dash-plan-window", &[
                        ("limit", Arg::Num(f64::from(w.limit))),
                        ("period", Arg::from(period(ctx.lang, w.period.as_secs()))),
                    ])) }
                }
                li { (ctx.t_args("web-dash-plan-limits", &[
                    ("n", Arg::Num(f64::from(plan.max_n))),
                    ("inflight", Arg::Num(f64::from(plan.max_in_flight))),
                    ("priority", Arg::Num(f64::from(plan.priority))),
                ])) }
                li { (if plan.allow_edit { ctx.t("web-dash-plan-edit") } else { ctx.t("web-dash-plan-no-edit") }) }
            }
        }
    }
}
