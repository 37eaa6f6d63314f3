//! `/admin/codes`: mint access codes (each shown once, with a copy button,
//! and never again: the ledger keeps only hashes), the listing with uses
//! and revocation, and the listing as CSV.

use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use easel_gateway::service::GatewayError;
use easel_shared::admin::{AdminOp, AdminReply, CodeInfo, CodeSpec, MintedCode};
use maud::{Markup, html};
use serde::Deserialize;

use super::notice::{Done, banner};
use super::{NoFields, failure, operate, unexpected};
use crate::core::render::time::{date, day};
use crate::web::{AdminSession, CsrfForm, PageCtx, WebState, page as layout};

/// The most codes one mint from the page makes (as from chat).
const MAX_BATCH: u32 = 100;

/// `GET /admin/codes`.
pub(super) async fn page(
    admin: AdminSession,
    State(state): State<WebState>,
    Query(done): Query<Done>,
) -> Response {
    let ctx = admin.ctx();
    let body = view(&state, &ctx, banner(&ctx, &done)).await;
    layout(&ctx, &ctx.t("web-nav-codes"), body).into_response()
}

async fn view(state: &WebState, ctx: &PageCtx, top: Markup) -> Markup {
    let plans: Vec<String> = state.config.load().plans.keys().cloned().collect();
    let codes = match operate(state, AdminOp::ListCodes).await {
        Ok(AdminReply::Codes(codes)) => Ok(codes),
        Ok(other) => Err(unexpected(&other)),
        Err(e) => Err(e),
    };
    html! {
        h1 { (ctx.t("web-nav-codes")) }
        (top)
        form method="post" action="/admin/codes" class="card" {
            h2 { (ctx.t("web-dash-mint")) }
            (ctx.csrf_field())
            div class="grid" {
                div {
                    label for="count" { (ctx.t("web-dash-count")) }
                    input id="count" name="count" type="number" min="1" max=(MAX_BATCH) value="1" required;
                }
                div {
                    label for="credits" { (ctx.t("web-dash-credits")) }
                    input id="credits" name="credits" type="number" min="0" value="0" required;
                }
                div {
                    label for="max_uses" { (ctx.t("web-dash-max-uses")) }
                    input id="max_uses" name="max_uses" type="number" min="1" value="1" required;
                }
                div {
                    label for="plan" { (ctx.t("web-dash-plan")) }
                    select id="plan" name="plan" {
                        option value="" { (ctx.t("web-dash-no-plan")) }
                        @for name in &plans { option value=(name) { (name) } }
                    }
                }
                div {
                    label for="plan_days" { (ctx.t("web-dash-days")) }
                    input id="plan_days" name="plan_days" type="number" min="0" value="0";
                }
                div {
                    label for="redeem_days" { (ctx.t("web-dash-redeem-days")) }
                    input id="redeem_days" name="redeem_days" type="number" min="0" value="0";
                }
            }
            label for="note" { (ctx.t("web-dash-note")) }
            input id="note" name="note" type="text" maxlength="200";
            button type="submit" { (ctx.t("web-dash-mint")) }
        }
        section class="card" aria-labelledby="codes-h" {
            h2 id="codes-h" { (ctx.t("web-dash-code-list")) }
            p { a href="/admin/codes.csv" download { (ctx.t("web-dash-csv")) } }
            @match &codes {
                Ok(codes) if codes.is_empty() => p class="muted" { (ctx.t("web-dash-codes-none")) },
                Ok(codes) => (table(ctx, codes)),
                Err(e) => (failure(ctx, e)),
            }
        }
    }
}

fn table(ctx: &PageCtx, codes: &[CodeInfo]) -> Markup {
    html! {
        div class="table-wrap" {
            table {
                thead { tr {
                    th scope="col" { "ID" }
                    th scope="col" { (ctx.t("web-dash-grants")) }
                    th scope="col" { (ctx.t("web-dash-uses")) }
                    th scope="col" { (ctx.t("web-dash-note")) }
                    th scope="col" { (ctx.t("web-dash-created")) }
                    th scope="col" { span class="visually-hidden" { (ctx.t("web-dash-revoke")) } }
                } }
                tbody {
                    @for c in codes {
                        tr data-code=(c.id) {
                            td { code { (c.id) } }
                            td { (grants(&c.spec)) }
                            td class="uses" { (c.uses) " / " (c.spec.max_uses) }
                            td { (c.spec.note) }
                            td { (date(ctx.lang, c.created_at)) }
                            td {
                                @if c.revoked {
                                    span class="muted" { (ctx.t("web-dash-revoked")) }
                                } @else {
                                    form method="post" action=(format!("/admin/codes/{}/revoke", c.id)) class="inline" {
                                        (ctx.csrf_field())
                                        button type="submit" class="secondary"
                                            aria-label=(format!("{} {}", ctx.t("web-dash-revoke"), c.id)) {
                                            (ctx.t("web-dash-revoke"))
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

/// What a code grants, short: `50 cr + pro 30 d`.
fn grants(spec: &CodeSpec) -> String {
    let mut parts = Vec::new();
    if spec.credits > 0 {
        parts.push(format!("{} cr", spec.credits));
    }
    if let Some(plan) = &spec.plan {
        parts.push(match spec.plan_days {
            0 => plan.clone(),
            d => format!("{plan} {d} d"),
        });
    }
    if let Some(by) = spec.redeem_by {
        parts.push(format!("≤ {}", day(by.day())));
    }
    parts.join(" + ")
}

/// The mint form.
#[derive(Debug, Deserialize)]
pub(super) struct MintForm {
    count: u32,
    credits: u64,
    max_uses: u32,
    #[serde(default)]
    plan: String,
    #[serde(default)]
    plan_days: u32,
    /// Days the code may be redeemed (0: no limit).
    #[serde(default)]
    redeem_days: u32,
    #[serde(default)]
    note: String,
}

/// `POST /admin/codes`: mints, and answers with the page showing the new
/// codes this once (not stored, not cached: a reload does not show them).
pub(super) async fn mint(
    admin: AdminSession,
    State(state): State<WebState>,
    CsrfForm(form): CsrfForm<MintForm>,
) -> Response {
    let ctx = admin.ctx();
    if !(1..=MAX_BATCH).contains(&form.count) {
        let e = GatewayError::Refused(format!("count must be 1..={MAX_BATCH}"));
        return refused(&state, &ctx, &e).await;
    }
    let redeem_by = (form.redeem_days > 0).then(|| {
        state.clock.now().plus(std::time::Duration::from_secs(
            u64::from(form.redeem_days) * 86_400,
        ))
    });
    let spec = CodeSpec {
        credits: form.credits,
        plan: Some(form.plan).filter(|p| !p.is_empty()),
        plan_days: form.plan_days,
        max_uses: form.max_uses,
        redeem_by,
        note: form.note,
    };
    let count = form.count;
    match operate(&state, AdminOp::MintCodes { spec, count }).await {
        Ok(AdminReply::Minted(codes)) => {
            let body = view(&state, &ctx, minted(&ctx, &codes)).await;
            (
                [(header::CACHE_CONTROL, "no-store")],
                layout(&ctx, &ctx.t("web-nav-codes"), body),
            )
                .into_response()
        }
        Ok(other) => refused(&state, &ctx, &unexpected(&other)).await,
        Err(e) => refused(&state, &ctx, &e).await,
    }
}

/// The copy-once display of freshly minted codes.
fn minted(ctx: &PageCtx, codes: &[MintedCode]) -> Markup {
    let all: Vec<&str> = codes.iter().map(|c| c.code.as_str()).collect();
    html! {
        section class="card minted" role="status" aria-labelledby="minted-h" {
            h2 id="minted-h" { (ctx.t("web-dash-minted")) }
            p { strong { (ctx.t("web-dash-minted-once")) } }
            ul class="plain" {
                @for c in codes {
                    li {
                        code class="secret" { (c.code) } " "
                        button type="button" class="secondary" data-copy=(c.code)
                            aria-label=(format!("{} {}", ctx.t("web-dash-copy"), c.id)) {
                            (ctx.t("web-dash-copy"))
                        }
                    }
                }
            }
            @if codes.len() > 1 {
                button type="button" data-copy=(all.join("\n")) { (ctx.t("web-dash-copy-all")) }
            }
        }
    }
}

/// `POST /admin/codes/{id}/revoke`.
pub(super) async fn revoke(
    admin: AdminSession,
    State(state): State<WebState>,
    Path(id): Path<String>,
    CsrfForm(NoFields {}): CsrfForm<NoFields>,
) -> Response {
    let ctx = admin.ctx();
    match operate(&state, AdminOp::RevokeCode { id }).await {
        Ok(AdminReply::Revoked { found: true, .. }) => {
            Redirect::to("/admin/codes?done=revoked").into_response()
        }
        Ok(AdminReply::Revoked { found: false, .. }) => {
            Redirect::to("/admin/codes?done=gone").into_response()
        }
        Ok(other) => refused(&state, &ctx, &unexpected(&other)).await,
        Err(e) => refused(&state, &ctx, &e).await,
    }
}

async fn refused(state: &WebState, ctx: &PageCtx, e: &GatewayError) -> Response {
    let status = match e {
        GatewayError::Refused(_) => StatusCode::CONFLICT,
        _ => StatusCode::SERVICE_UNAVAILABLE,
    };
    let body = view(state, ctx, failure(ctx, e)).await;
    (status, layout(ctx, &ctx.t("web-nav-codes"), body)).into_response()
}

/// `GET /admin/codes.csv`: the admin API's CSV, for a signed-in admin.
pub(super) async fn csv(_: AdminSession, State(state): State<WebState>) -> Response {
    match state.ledger.list_codes().await {
        Ok(codes) => (
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
                (
                    header::CONTENT_DISPOSITION,
                    "attachment; filename=\"easel-codes.csv\"",
                ),
            ],
            easel_gateway::reports::codes_csv(&codes),
        )
            .into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "dashboard: code listing failed");
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
    }
}
