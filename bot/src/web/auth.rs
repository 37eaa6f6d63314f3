//! Signing in and out: the admin token exchanged for a session cookie, and
//! the one-time `/web` links the bot hands chat users.
//!
//! - `GET /signin`, `POST /signin`: the admin token, compared in constant
//!   time after the attempt passed the [`super::limiter`]; a refusal says
//!   why and, when limited, when to retry.
//! - `POST /signout`: ends the session in the ledger and drops the cookie.
//! - `GET /web/link?t=`: only a confirmation page with a button, so link
//!   previews and scanners that fetch the URL never use the link up;
//!   `POST /web/link` takes it (exactly once, atomically in the ledger) and
//!   signs the chat user in as their own account.

use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::http::header::RETRY_AFTER;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum_extra::extract::cookie::CookieJar;
use easel_shared::UserKey;
use maud::{Markup, html};
use serde::Deserialize;
use subtle::ConstantTimeEq;

use super::WebState;
use super::csrf::{CsrfForm, SameOrigin};
use super::form::Form;
use super::lang::{self, Lang};
use super::layout::{PageCtx, page};
use super::limiter::ClientAddr;
use super::reject::{Rejection, Why, local_path, secs};
use super::session::{self, SESSION_COOKIE, UserSession};
use crate::i18n::Arg;

/// The sign-in, sign-out and link routes.
pub(super) fn routes() -> Router<WebState> {
    Router::new()
        .route("/signin", get(signin_page).post(signin))
        .route("/signout", post(signout))
        .route("/web/link", get(link_page).post(take_link))
}

#[derive(Deserialize)]
struct Next {
    #[serde(default)]
    next: String,
}

#[derive(Deserialize)]
struct SignIn {
    #[serde(default)]
    token: String,
    #[serde(default)]
    next: String,
}

/// Why the sign-in form is shown again.
enum Problem {
    Wrong,
    Disabled,
    TooMany(std::time::Duration),
}

async fn signin_page(headers: axum::http::HeaderMap, Query(q): Query<Next>) -> Markup {
    let ctx = PageCtx::anonymous(lang::from_headers(&headers));
    signin_form(&ctx, local_path(&q.next), None)
}

async fn signin(
    State(state): State<WebState>,
    _: SameOrigin,
    ClientAddr(client): ClientAddr,
    headers: axum::http::HeaderMap,
    jar: CookieJar,
    Form(form): Form<SignIn>,
) -> Response {
    let ctx = PageCtx::anonymous(lang::from_headers(&headers));
    let next = local_path(&form.next).to_owned();
    let config = state.config.load_full();
    let expected = config.http.admin_token.expose().as_bytes();
    if expected.is_empty() {
        return refused(&ctx, &next, Problem::Disabled);
    }
    if let Err(wait) = state.limiter.check(
        client,
        config.web.signin_per_client,
        config.web.signin_global,
        config.web.signin_window,
    ) {
        tracing::warn!(client = ?client, "web sign-in attempts limited");
        return refused(&ctx, &next, Problem::TooMany(wait));
    }
    let given = form.token.trim().as_bytes();
    if !(given.len() == expected.len() && bool::from(given.ct_eq(expected))) {
        tracing::warn!(client = ?client, "web sign-in with a wrong admin token");
        return refused(&ctx, &next, Problem::Wrong);
    }
    start_session(&state, &headers, jar, UserKey::WEB_ADMIN, true, &next).await
}

/// Ends any session the browser had (no fixation), starts a new one and
/// sends the browser on to `next`.
async fn start_session(
    state: &WebState,
    headers: &axum::http::HeaderMap,
    jar: CookieJar,
    user: UserKey,
    admin: bool,
    next: &str,
) -> Response {
    let config = state.config.load_full();
    if let Some(old) = jar.get(SESSION_COOKIE)
        && let Err(e) = state.ledger.end_web_session(old.value()).await
    {
        tracing::warn!(error = %e, "could not end the previous web session");
    }
    match state
        .ledger
        .create_web_session(user, admin, config.web.session_ttl)
        .await
    {
        Ok(minted) => {
            tracing::info!(%user, admin, "web session started");
            let cookie = session::cookie(&config, &minted, state.clock.now().0);
            (jar.add(cookie), Redirect::to(next)).into_response()
        }
        Err(e) => {
            tracing::warn!(error = %e, "could not store a web session");
            Rejection::new(Why::Unavailable, headers).into_response()
        }
    }
}

fn refused(ctx: &PageCtx, next: &str, problem: Problem) -> Response {
    let (status, text) = match &problem {
        Problem::Wrong => (StatusCode::UNAUTHORIZED, ctx.t("web-signin-wrong")),
        Problem::Disabled => (StatusCode::FORBIDDEN, ctx.t("web-signin-disabled")),
        Problem::TooMany(wait) => (
            StatusCode::TOO_MANY_REQUESTS,
            ctx.t_args("web-err-too-many", &[("seconds", Arg::from(secs(*wait)))]),
        ),
    };
    let mut response = (status, signin_form(ctx, next, Some(&text))).into_response();
    if let Problem::TooMany(wait) = problem {
        response
            .headers_mut()
            .insert(RETRY_AFTER, secs(wait).into());
    }
    response
}

fn signin_form(ctx: &PageCtx, next: &str, error: Option<&str>) -> Markup {
    let title = ctx.t("web-signin-title");
    let body = html! {
        div class="signin card" {
            h1 { (title) }
            @if let Some(error) = error {
                p class="error" role="alert" id="signin-error" { (error) }
            }
            form method="post" action="/signin" {
                input type="hidden" name="next" value=(next);
                label for="token" { (ctx.t("web-signin-token")) }
                // No autofocus: keyboard users meet the skip link first.
                input type="password" id="token" name="token" required autocomplete="current-password"
                    aria-describedby=[error.map(|_| "signin-error")];
                button type="submit" { (ctx.t("web-signin-submit")) }
            }
            p class="muted" { (ctx.t("web-signin-chat-hint")) }
        }
    };
    page(ctx, &title, body)
}

#[derive(Deserialize)]
struct NoFields {}

async fn signout(
    State(state): State<WebState>,
    who: UserSession,
    headers: axum::http::HeaderMap,
    jar: CookieJar,
    CsrfForm(NoFields {}): CsrfForm<NoFields>,
) -> Response {
    if let Some(cookie) = jar.get(SESSION_COOKIE)
        && let Err(e) = state.ledger.end_web_session(cookie.value()).await
    {
        tracing::warn!(error = %e, "could not end a web session");
        return Rejection::new(Why::Unavailable, &headers).into_response();
    }
    tracing::info!(user = %who.user, "web session ended");
    let config = state.config.load_full();
    (jar.add(session::removal(&config)), Redirect::to("/signin")).into_response()
}

#[derive(Deserialize)]
struct LinkToken {
    #[serde(default)]
    t: String,
}

async fn link_page(headers: axum::http::HeaderMap, Query(q): Query<LinkToken>) -> Markup {
    let ctx = PageCtx::anonymous(lang::from_headers(&headers));
    let title = ctx.t("web-link-title");
    let body = html! {
        div class="signin card" {
            h1 { (title) }
            p { (ctx.t("web-link-intro")) }
            form method="post" action="/web/link" {
                input type="hidden" name="t" value=(q.t);
                button type="submit" { (ctx.t("web-link-continue")) }
            }
        }
    };
    page(&ctx, &title, body)
}

async fn take_link(
    State(state): State<WebState>,
    _: SameOrigin,
    headers: axum::http::HeaderMap,
    jar: CookieJar,
    Form(form): Form<LinkToken>,
) -> Response {
    match state.ledger.take_web_link(&form.t).await {
        Ok(Some(user)) => start_session(&state, &headers, jar, user, false, "/play").await,
        Ok(None) => link_gone(lang::from_headers(&headers)),
        Err(e) => {
            tracing::warn!(error = %e, "could not take a web sign-in link");
            Rejection::new(Why::Unavailable, &headers).into_response()
        }
    }
}

/// A used, expired or unknown link: say how to get a new one.
fn link_gone(lang: Lang) -> Response {
    let ctx = PageCtx::anonymous(lang);
    let title = ctx.t("web-link-gone-title");
    let body = html! {
        div class="signin card" {
            h1 { (title) }
            p role="alert" { (ctx.t("web-link-gone")) }
        }
    };
    (StatusCode::GONE, page(&ctx, &title, body)).into_response()
}
