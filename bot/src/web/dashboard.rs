//! The admin dashboard: `/` (overview) and the `/admin/...` pages. For now
//! only the overview's frame (the dashboard pages come next); a signed-in
//! chat user is sent to the playground instead.

use axum::Router;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use maud::html;

use super::WebState;
use super::layout::page;
use super::session::UserSession;

/// `/` and the admin pages.
pub(super) fn routes() -> Router<WebState> {
    Router::new().route("/", get(overview))
}

async fn overview(who: UserSession) -> Response {
    if !who.admin {
        return Redirect::to("/play").into_response();
    }
    let ctx = who.ctx();
    let title = ctx.t("web-overview-title");
    page(&ctx, &title, html! { h1 { (title) } }).into_response()
}
