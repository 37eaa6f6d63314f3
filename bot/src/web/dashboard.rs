//! The admin dashboard: `/` (overview) and the `/admin/...` pages, one file
//! per page. Every read and change goes through the same functions as the
//! admin API and chat admin commands: `Gateway::operate` with an
//! [`AdminOp`] (audited as the web admin), or the ledger's and
//! `easel_gateway::reports`' read models.
//!
//! Every change is a POST with the session's CSRF token ([`CsrfForm`]); a
//! change that worked answers 303 to its page with `?done=<what>` (a closed
//! set of notices, [`notice`]), one that failed shows the page again with
//! why. A signed-in chat user asking for `/` is sent to the playground.
//!
//! [`CsrfForm`]: super::CsrfForm

mod audit;
mod chart;
mod codes;
mod notice;
mod overview;
mod plans;
mod queue;
mod users;

use axum::Router;
use axum::routing::{get, post};
use easel_gateway::service::GatewayError;
use easel_shared::UserKey;
use easel_shared::admin::{Actor, AdminOp, AdminReply};
use maud::{Markup, html};

use super::{PageCtx, WebState};

/// `/` and the admin pages.
pub(super) fn routes() -> Router<WebState> {
    Router::new()
        .route("/", get(overview::page))
        .route("/admin/users", get(users::page))
        .route("/admin/users/{user}/credits", post(users::credits))
        .route("/admin/users/{user}/plan", post(users::plan))
        .route("/admin/users/{user}/ban", post(users::ban))
        .route("/admin/codes", get(codes::page).post(codes::mint))
        .route("/admin/codes.csv", get(codes::csv))
        .route("/admin/codes/{id}/revoke", post(codes::revoke))
        .route("/admin/plans", get(plans::page))
        .route("/admin/audit", get(audit::page))
        .route("/admin/queue", get(queue::page))
        .route("/admin/queue/{id}/cancel", post(queue::cancel))
}

/// A form with nothing but its CSRF token (a button).
#[derive(Debug, serde::Deserialize)]
struct NoFields {}

/// Runs `op` as the signed-in admin: the admin API's and chat's function,
/// audited with the web admin as the actor.
async fn operate(state: &WebState, op: AdminOp) -> Result<AdminReply, GatewayError> {
    state
        .gateway
        .operate(Actor::Admin(UserKey::WEB_ADMIN), op)
        .await
}

/// Why a read or change did not work, in the page's language. The ledger's
/// own refusal (English, names the numbers) follows the translated lead.
fn failure(ctx: &PageCtx, error: &GatewayError) -> Markup {
    let (lead, detail) = match error {
        GatewayError::Refused(why) => (ctx.t("web-dash-refused"), Some(why.as_str())),
        GatewayError::Forbidden => (ctx.t("web-dash-no-runner"), None),
        other => {
            tracing::warn!(error = %other, "dashboard: gateway failed");
            (ctx.t("web-dash-unavailable"), None)
        }
    };
    html! {
        p class="error" role="alert" {
            (lead)
            @if let Some(detail) = detail { " " (detail) }
        }
    }
}

/// A reply of another kind than the operation's: a gateway bug.
fn unexpected(reply: &AdminReply) -> GatewayError {
    tracing::error!(?reply, "dashboard: unexpected admin reply");
    GatewayError::Unavailable("unexpected reply".into())
}
