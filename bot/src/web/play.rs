//! The playground at `/play`: a frontend of the conversation core for any
//! signed-in person. For now only its frame (the playground comes next).

use axum::Router;
use axum::routing::get;
use maud::{Markup, html};

use super::WebState;
use super::layout::page;
use super::session::UserSession;
use crate::i18n::Arg;

/// `/play` and its endpoints.
pub(super) fn routes() -> Router<WebState> {
    Router::new().route("/play", get(play))
}

async fn play(who: UserSession) -> Markup {
    let ctx = who.ctx();
    let title = ctx.t("web-play-title");
    let user = who.user.to_string();
    page(
        &ctx,
        &title,
        html! {
            h1 { (title) }
            p class="muted" id="signed-in-as" { (ctx.t_args("web-signed-in-as", &[("user", Arg::from(user))])) }
        },
    )
}
