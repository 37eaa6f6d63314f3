//! The session cookie and the extractors that require it.
//!
//! `easel_session` holds a 256-bit token (HttpOnly, SameSite=Strict,
//! Path=/, Secure when `http.public_url` is https); the ledger keeps only
//! its SHA-256 with the user, the admin flag, the CSRF token and the expiry
//! (`easel_gateway::ledger::web_session`). A handler that takes
//! [`UserSession`] or [`AdminSession`] cannot run without a live session.
//! The session is looked up once per request and kept in the request's
//! extensions, so [`super::CsrfForm`] and the handler share one lookup.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use easel_gateway::ledger::{MintedSession, WebSession};
use easel_shared::UserKey;
use easel_shared::config::Config;

use super::WebState;
use super::csrf::CsrfToken;
use super::lang::{self, Lang};
use super::layout::PageCtx;
use super::reject::{Rejection, Why};

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "easel_session";

/// Any signed-in person: an admin (playing as [`UserKey::WEB_ADMIN`]) or a
/// chat user signed in through a `/web` link (their own Telegram or Discord
/// account: same quota and history).
#[derive(Debug, Clone)]
pub struct UserSession {
    /// Whose account the browser acts for.
    pub user: UserKey,
    /// Signed in with the admin token.
    pub admin: bool,
    /// What every change must carry back.
    pub csrf: CsrfToken,
    /// The page language.
    pub lang: Lang,
}

impl UserSession {
    /// The layout's view of this visitor.
    pub fn ctx(&self) -> PageCtx {
        PageCtx::signed_in(self.lang, self.user, self.admin, self.csrf.clone())
    }
}

/// Someone signed in with the admin token.
#[derive(Debug, Clone)]
pub struct AdminSession {
    /// What every change must carry back.
    pub csrf: CsrfToken,
    /// The page language.
    pub lang: Lang,
}

impl AdminSession {
    /// The layout's view of this visitor.
    pub fn ctx(&self) -> PageCtx {
        PageCtx::signed_in(self.lang, UserKey::WEB_ADMIN, true, self.csrf.clone())
    }
}

/// The session found for this request (cached in its extensions).
#[derive(Clone)]
struct Found(Option<WebSession>);

/// The live session of the request, if any; looked up once per request.
pub(super) async fn lookup(
    parts: &mut Parts,
    state: &WebState,
) -> Result<Option<WebSession>, Rejection> {
    if let Some(Found(found)) = parts.extensions.get::<Found>() {
        return Ok(found.clone());
    }
    let jar = CookieJar::from_headers(&parts.headers);
    let found = match jar.get(SESSION_COOKIE) {
        None => None,
        Some(cookie) => state
            .ledger
            .web_session(cookie.value())
            .await
            .map_err(|e| {
                tracing::warn!(error = %e, "web session lookup failed");
                Rejection::new(Why::Unavailable, &parts.headers)
            })?,
    };
    parts.extensions.insert(Found(found.clone()));
    Ok(found)
}

/// The refusal for a request without a session: sign in and come back.
fn sign_in_first(parts: &Parts) -> Rejection {
    let next = parts
        .uri
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .to_owned();
    Rejection::new(Why::SignIn { next }, &parts.headers)
}

impl FromRequestParts<WebState> for UserSession {
    type Rejection = Rejection;

    async fn from_request_parts(parts: &mut Parts, state: &WebState) -> Result<Self, Rejection> {
        let session = lookup(parts, state)
            .await?
            .ok_or_else(|| sign_in_first(parts))?;
        Ok(UserSession {
            user: session.user,
            admin: session.admin,
            csrf: CsrfToken::new(session.csrf),
            lang: lang::from_headers(&parts.headers),
        })
    }
}

impl FromRequestParts<WebState> for AdminSession {
    type Rejection = Rejection;

    async fn from_request_parts(parts: &mut Parts, state: &WebState) -> Result<Self, Rejection> {
        let session = lookup(parts, state)
            .await?
            .ok_or_else(|| sign_in_first(parts))?;
        if !session.admin {
            return Err(Rejection::new(Why::NotAdmin, &parts.headers));
        }
        Ok(AdminSession {
            csrf: CsrfToken::new(session.csrf),
            lang: lang::from_headers(&parts.headers),
        })
    }
}

/// The cookie that carries a new session (lives as long as the session).
pub fn cookie(config: &Config, minted: &MintedSession, now_ms: i64) -> Cookie<'static> {
    let left_ms = (minted.session.expires_at.0 - now_ms).max(0);
    Cookie::build((SESSION_COOKIE, minted.token.expose().to_owned()))
        .http_only(true)
        .same_site(SameSite::Strict)
        .path("/")
        .secure(secure(config))
        .max_age(time::Duration::milliseconds(left_ms))
        .build()
}

/// The cookie that removes the session from the browser (sign-out).
pub fn removal(config: &Config) -> Cookie<'static> {
    let mut gone = Cookie::build((SESSION_COOKIE, ""))
        .http_only(true)
        .same_site(SameSite::Strict)
        .path("/")
        .secure(secure(config))
        .build();
    gone.make_removal();
    gone
}

/// Cookies are `Secure` when the public URL is https (browsers then never
/// send them over plain http).
fn secure(config: &Config) -> bool {
    config.http.public_url.starts_with("https://")
}
