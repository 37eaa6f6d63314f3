//! `/admin/audit`: the audit trail of admin changes, newest first.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use maud::html;

use super::failure;
use crate::core::render::time::date;
use crate::web::{AdminSession, WebState, page as layout};

/// Entries shown (the ledger keeps more; the admin API pages further).
const SHOWN: usize = 200;

/// `GET /admin/audit`.
pub(super) async fn page(admin: AdminSession, State(state): State<WebState>) -> Response {
    let ctx = admin.ctx();
    let entries = state.ledger.audit(SHOWN).await.map_err(Into::into);
    let title = ctx.t("web-nav-audit");
    let body = html! {
        h1 { (title) }
        @match &entries {
            Ok(entries) if entries.is_empty() => p class="muted" { (ctx.t("web-dash-audit-none")) },
            Ok(entries) => div class="table-wrap" {
                table {
                    thead { tr {
                        th scope="col" { (ctx.t("web-dash-when")) }
                        th scope="col" { (ctx.t("web-dash-actor")) }
                        th scope="col" { (ctx.t("web-dash-user")) }
                        th scope="col" { (ctx.t("web-dash-action")) }
                        th scope="col" { (ctx.t("web-dash-detail")) }
                        th scope="col" { (ctx.t("web-dash-reason")) }
                    } }
                    tbody {
                        @for e in entries {
                            tr {
                                td { (date(ctx.lang, e.at)) }
                                td { (e.actor) }
                                td {
                                    @if let Some(user) = e.user {
                                        a href=(format!("/admin/users?q={user}")) { (user) }
                                    }
                                }
                                td { code { (e.action) } }
                                td { (e.detail) }
                                td { (e.reason) }
                            }
                        }
                    }
                }
            },
            Err(e) => (failure(&ctx, e)),
        }
    };
    layout(&ctx, &title, body).into_response()
}
