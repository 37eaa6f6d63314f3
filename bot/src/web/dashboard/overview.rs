//! `/`: the overview. Today's spend against the daily cap, images, cost and
//! credits per day over the last two weeks (inline SVG), the queue's depth, and
//! upstream errors by backend since the process started.

use axum::response::{IntoResponse, Redirect, Response};
use easel_shared::admin::{AdminOp, AdminReply, BackendErrorCount, DaySpend, SpendStatus};
use easel_shared::job::QueueSnapshot;
use maud::{Markup, html};

use super::chart::{Bar, bars};
use super::{failure, operate, unexpected};
use crate::core::render::admin::dollars;
use crate::core::render::time;
use crate::i18n::Arg;
use crate::web::{PageCtx, UserSession, WebState, page as layout};
use axum::extract::State;

/// Days the charts cover, today included.
const CHART_DAYS: u32 = 14;

/// What the overview shows; each part may fail on its own.
struct Overview {
    spend: Result<SpendStatus, easel_gateway::service::GatewayError>,
    days: Result<Vec<DaySpend>, easel_gateway::service::GatewayError>,
    queue: Result<QueueSnapshot, easel_gateway::service::GatewayError>,
    errors: Result<Vec<BackendErrorCount>, easel_gateway::service::GatewayError>,
}

/// `GET /`: admins see the overview; a chat user goes to the playground.
pub(super) async fn page(who: UserSession, State(state): State<WebState>) -> Response {
    if !who.admin {
        return Redirect::to("/play").into_response();
    }
    let ctx = who.ctx();
    let data = Overview {
        spend: match operate(&state, AdminOp::Stats).await {
            Ok(AdminReply::Stats(s)) => Ok(s),
            Ok(other) => Err(unexpected(&other)),
            Err(e) => Err(e),
        },
        days: state
            .ledger
            .spend_days(CHART_DAYS)
            .await
            .map_err(Into::into),
        queue: match operate(&state, AdminOp::Queue).await {
            Ok(AdminReply::Queue(q)) => Ok(q),
            Ok(other) => Err(unexpected(&other)),
            Err(e) => Err(e),
        },
        errors: match operate(&state, AdminOp::BackendErrors).await {
            Ok(AdminReply::BackendErrors(e)) => Ok(e),
            Ok(other) => Err(unexpected(&other)),
            Err(e) => Err(e),
        },
    };
    let title = ctx.t("web-overview-title");
    layout(&ctx, &title, body(&ctx, &title, &data)).into_response()
}

fn body(ctx: &PageCtx, title: &str, data: &Overview) -> Markup {
    html! {
        h1 { (title) }
        div class="grid" {
            section class="card" aria-labelledby="spend-h" {
                h2 id="spend-h" { (ctx.t("web-dash-spend-today")) }
                @match &data.spend {
                    Ok(spend) => (spend_today(ctx, spend)),
                    Err(e) => (failure(ctx, e)),
                }
            }
            section class="card" aria-labelledby="queue-h" {
                h2 id="queue-h" { (ctx.t("web-dash-queue-depth")) }
                @match &data.queue {
                    Ok(q) => p class="big" {
                        (ctx.t_args("web-dash-queue-counts", &[
                            ("waiting", Arg::Num(q.waiting.len() as f64)),
                            ("running", Arg::Num(q.running.len() as f64)),
                        ]))
                    },
                    Err(e) => (failure(ctx, e)),
                }
                p { a href="/admin/queue" { (ctx.t("web-nav-queue")) } }
            }
        }
        section class="card" aria-labelledby="days-h" {
            h2 id="days-h" { (ctx.t_args("web-dash-last-days", &[("days", Arg::Num(f64::from(CHART_DAYS)))])) }
            @match &data.days {
                Ok(days) => {
                    (bars(&ctx.t("web-dash-chart-images"), &day_bars(days, |d| d.images), |v| v.to_string()))
                    (bars(&ctx.t("web-dash-chart-cost"), &day_bars(days, |d| d.cost_micros), dollars))
                    (bars(&ctx.t("web-dash-chart-credits"), &day_bars(days, |d| d.credits), |v| v.to_string()))
                }
                Err(e) => (failure(ctx, e)),
            }
        }
        section class="card" aria-labelledby="errors-h" {
            h2 id="errors-h" { (ctx.t("web-dash-errors")) }
            @match &data.errors {
                Ok(rows) if rows.is_empty() => p class="muted" { (ctx.t("web-dash-errors-none")) },
                Ok(rows) => div class="table-wrap" {
                    table {
                        thead { tr {
                            th scope="col" { (ctx.t("web-dash-backend")) }
                            th scope="col" { (ctx.t("web-dash-error-kind")) }
                            th scope="col" { (ctx.t("web-dash-count")) }
                        } }
                        tbody {
                            @for row in rows {
                                tr { td { (row.backend) } td { code { (row.kind) } } td { (row.count) } }
                            }
                        }
                    }
                },
                Err(e) => (failure(ctx, e)),
            }
        }
    }
}

/// Spent today, the cap and a meter of one against the other.
fn spend_today(ctx: &PageCtx, spend: &SpendStatus) -> Markup {
    html! {
        @if spend.cap_micros == 0 {
            p class="big" { (dollars(spend.spent_micros)) }
            p class="muted" { (ctx.t("web-dash-no-cap")) }
        } @else {
            p class="big" {
                (ctx.t_args("web-dash-spend-of-cap", &[
                    ("spent", Arg::from(dollars(spend.spent_micros))),
                    ("cap", Arg::from(dollars(spend.cap_micros))),
                ]))
            }
            meter min="0" max=(spend.cap_micros) value=(spend.spent_micros.min(spend.cap_micros))
                high=(spend.cap_micros / 10 * 8) optimum="0"
                aria-label=(ctx.t("web-dash-spend-today")) {}
        }
        @if !spend.by_backend.is_empty() {
            ul class="plain" {
                @for (backend, micros) in &spend.by_backend {
                    li { (backend) ": " (dollars(*micros)) }
                }
            }
        }
    }
}

/// One bar per day, labelled with its date.
fn day_bars(days: &[DaySpend], value: impl Fn(&DaySpend) -> u64) -> Vec<Bar> {
    days.iter()
        .map(|d| Bar {
            label: time::day(d.day),
            value: value(d),
        })
        .collect()
}
