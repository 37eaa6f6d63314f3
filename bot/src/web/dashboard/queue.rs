//! `/admin/queue`: the live queue. Waiting jobs in the order they will
//! start, each with a cancel button (full refund; the user's stream ends
//! with "cancelled"), and the jobs running now (they run to the end: the
//! provider bills them).

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use easel_gateway::service::GatewayError;
use easel_shared::RequestId;
use easel_shared::admin::{AdminOp, AdminReply};
use easel_shared::job::{CancelOutcome, QueuedJob};
use maud::{Markup, html};

use super::notice::{Done, banner};
use super::{NoFields, failure, operate, unexpected};
use crate::core::render::time::date;
use crate::web::{AdminSession, CsrfForm, PageCtx, WebState, page as layout};

/// `GET /admin/queue`.
pub(super) async fn page(
    admin: AdminSession,
    State(state): State<WebState>,
    Query(done): Query<Done>,
) -> Response {
    let ctx = admin.ctx();
    let body = view(&state, &ctx, banner(&ctx, &done)).await;
    layout(&ctx, &ctx.t("web-nav-queue"), body).into_response()
}

async fn view(state: &WebState, ctx: &PageCtx, top: Markup) -> Markup {
    let snapshot = match operate(state, AdminOp::Queue).await {
        Ok(AdminReply::Queue(q)) => Ok(q),
        Ok(other) => Err(unexpected(&other)),
        Err(e) => Err(e),
    };
    html! {
        h1 { (ctx.t("web-nav-queue")) }
        (top)
        p { a href="/admin/queue" { (ctx.t("web-dash-refresh")) } }
        @match &snapshot {
            Ok(q) => {
                section class="card" aria-labelledby="waiting-h" {
                    h2 id="waiting-h" { (ctx.t("web-dash-waiting")) }
                    (jobs(ctx, &q.waiting, true))
                }
                section class="card" aria-labelledby="running-h" {
                    h2 id="running-h" { (ctx.t("web-dash-running")) }
                    (jobs(ctx, &q.running, false))
                }
            }
            Err(e) => (failure(ctx, e)),
        }
    }
}

fn jobs(ctx: &PageCtx, jobs: &[QueuedJob], cancellable: bool) -> Markup {
    html! {
        @if jobs.is_empty() {
            p class="muted" { (ctx.t("web-dash-queue-empty")) }
        } @else {
            div class="table-wrap" {
                table {
                    thead { tr {
                        @if cancellable { th scope="col" { "#" } }
                        th scope="col" { (ctx.t("web-dash-user")) }
                        th scope="col" { (ctx.t("web-dash-images")) }
                        th scope="col" { (ctx.t("web-dash-credits")) }
                        th scope="col" { (ctx.t("web-dash-since")) }
                        @if cancellable { th scope="col" { span class="visually-hidden" { (ctx.t("web-dash-cancel")) } } }
                    } }
                    tbody {
                        @for job in jobs {
                            tr data-job=(job.id) {
                                @if cancellable { td { (job.position.map_or(0, |p| p + 1)) } }
                                td { a href=(format!("/admin/users?q={}", job.user)) { (job.user) } }
                                td { (job.images) }
                                td { (job.credits) }
                                td { (date(ctx.lang, job.since)) }
                                @if cancellable {
                                    td {
                                        form method="post" action=(format!("/admin/queue/{}/cancel", job.id)) class="inline" {
                                            (ctx.csrf_field())
                                            button type="submit" class="secondary"
                                                aria-label=(format!("{} {}", ctx.t("web-dash-cancel"), job.id)) {
                                                (ctx.t("web-dash-cancel"))
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// `POST /admin/queue/{id}/cancel`.
pub(super) async fn cancel(
    admin: AdminSession,
    State(state): State<WebState>,
    Path(id): Path<String>,
    CsrfForm(NoFields {}): CsrfForm<NoFields>,
) -> Response {
    let ctx = admin.ctx();
    let Ok(id) = RequestId::new(id) else {
        return Redirect::to("/admin/queue?done=gone").into_response();
    };
    match operate(&state, AdminOp::CancelJob { id }).await {
        Ok(AdminReply::JobCancelled { outcome, .. }) => {
            let word = match outcome {
                CancelOutcome::Cancelled => "cancelled",
                CancelOutcome::AlreadyStarted => "started",
                CancelOutcome::Unknown => "gone",
            };
            Redirect::to(&format!("/admin/queue?done={word}")).into_response()
        }
        Ok(other) => refused(&state, &ctx, &unexpected(&other)).await,
        Err(e) => refused(&state, &ctx, &e).await,
    }
}

async fn refused(state: &WebState, ctx: &PageCtx, e: &GatewayError) -> Response {
    let body = view(state, ctx, failure(ctx, e)).await;
    let page = layout(ctx, &ctx.t("web-nav-queue"), body);
    (StatusCode::SERVICE_UNAVAILABLE, page).into_response()
}
