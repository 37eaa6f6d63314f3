//! Cross-site request forgery checks for every change.
//!
//! A change is a POST carrying the session's CSRF token: the hidden
//! `_csrf` field of a form ([`CsrfForm`]) or the `X-CSRF-Token` header of a
//! `fetch` or multipart upload ([`CsrfChecked`]), compared in constant time.
//! On top, when the browser says where the request came from
//! (`Sec-Fetch-Site`, `Origin`), it must be this site ([`SameOrigin`], also
//! used alone by the forms that exist before a session: sign-in, language).
//! The session cookie is SameSite=Strict as a third fence.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::HeaderMap;
use axum::http::header::{HOST, ORIGIN};
use axum::http::request::Parts;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use subtle::ConstantTimeEq;

use super::WebState;
use super::form;
use super::reject::{Rejection, Why};
use super::session::lookup;

/// The header a script sends the token in.
pub const CSRF_HEADER: &str = "x-csrf-token";
/// The hidden form field that carries the token.
pub const CSRF_FIELD: &str = "_csrf";

/// A session's CSRF token (256 random bits, made with the session).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsrfToken(String);

impl CsrfToken {
    /// Wraps a stored token.
    pub fn new(token: String) -> Self {
        Self(token)
    }

    /// The token, for a hidden field or a `<meta>` the script reads.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether `given` is this token, in constant time.
    pub fn matches(&self, given: &str) -> bool {
        let (given, expected) = (given.as_bytes(), self.0.as_bytes());
        !expected.is_empty() && given.len() == expected.len() && bool::from(given.ct_eq(expected))
    }
}

/// Proof that the request came from this site, as far as the browser says.
#[derive(Debug, Clone, Copy)]
pub struct SameOrigin;

impl<S: Send + Sync> FromRequestParts<S> for SameOrigin {
    type Rejection = Rejection;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Rejection> {
        if same_origin(&parts.headers) {
            Ok(SameOrigin)
        } else {
            Err(Rejection::new(Why::CrossSite, &parts.headers))
        }
    }
}

/// `Sec-Fetch-Site` must be `same-origin` (or `none`: typed by the user);
/// `Origin`, when sent, must name the host the request was sent to.
/// Browsers send at least one of them on every POST; other clients send
/// neither and meet the token check alone.
pub fn same_origin(headers: &HeaderMap) -> bool {
    let header = |name| {
        headers
            .get(name)
            .and_then(|v: &axum::http::HeaderValue| v.to_str().ok())
    };
    if let Some(site) = header("sec-fetch-site")
        && site != "same-origin"
        && site != "none"
    {
        return false;
    }
    match header(ORIGIN.as_str()) {
        None => true,
        Some(origin) => {
            let host = header(HOST.as_str()).unwrap_or("");
            let origin_host = origin.split_once("://").map_or("", |(_, h)| h);
            !host.is_empty() && origin_host.eq_ignore_ascii_case(host)
        }
    }
}

/// Proof that a `fetch` or multipart change carried the session's token in
/// `X-CSRF-Token` and came from this site. Take it before the body extractor.
#[derive(Debug, Clone, Copy)]
pub struct CsrfChecked;

impl FromRequestParts<WebState> for CsrfChecked {
    type Rejection = Rejection;

    async fn from_request_parts(parts: &mut Parts, state: &WebState) -> Result<Self, Rejection> {
        SameOrigin::from_request_parts(parts, state).await?;
        let session = session_for_change(parts, state).await?;
        let given = parts
            .headers
            .get(CSRF_HEADER)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if CsrfToken::new(session.csrf).matches(given) {
            Ok(CsrfChecked)
        } else {
            Err(Rejection::new(Why::CsrfMissing, &parts.headers))
        }
    }
}

/// A url-encoded form change of type `T` whose `_csrf` field matched the
/// session's token (`T` itself must not deny unknown fields: `_csrf` is
/// one). Take [`super::UserSession`] or [`super::AdminSession`] beside it
/// for who is asking: the session is looked up once.
pub struct CsrfForm<T>(pub T);

#[derive(Deserialize)]
struct Field {
    #[serde(rename = "_csrf", default)]
    csrf: String,
}

impl<T: DeserializeOwned + Send> FromRequest<WebState> for CsrfForm<T> {
    type Rejection = Rejection;

    async fn from_request(req: Request, state: &WebState) -> Result<Self, Rejection> {
        let (mut parts, body) = req.into_parts();
        SameOrigin::from_request_parts(&mut parts, state).await?;
        let session = session_for_change(&mut parts, state).await?;
        let headers = parts.headers.clone();
        let bytes = Bytes::from_request(Request::from_parts(parts, body), state)
            .await
            .map_err(|_| Rejection::new(Why::BadForm, &headers))?;
        let field: Field = form::parse(&headers, &bytes)?;
        if !CsrfToken::new(session.csrf).matches(&field.csrf) {
            return Err(Rejection::new(Why::CsrfMissing, &headers));
        }
        form::parse(&headers, &bytes).map(CsrfForm)
    }
}

/// The session a change is made in; without one the change is refused
/// like any other signed-out request.
async fn session_for_change(
    parts: &mut Parts,
    state: &WebState,
) -> Result<easel_gateway::ledger::WebSession, Rejection> {
    lookup(parts, state).await?.ok_or_else(|| {
        let next = parts.uri.path().to_owned();
        Rejection::new(Why::SignIn { next }, &parts.headers)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().unwrap());
        }
        h
    }

    #[test]
    fn tokens_match_only_themselves() {
        let token = CsrfToken::new("abc123".into());
        assert!(token.matches("abc123"));
        assert!(!token.matches("abc124"));
        assert!(!token.matches("abc12"));
        assert!(!token.matches(""));
        assert!(!CsrfToken::new(String::new()).matches(""));
    }

    #[test]
    fn another_site_is_refused_and_this_one_passes() {
        let host = ("host", "easel.example:8787");
        assert!(same_origin(&headers(&[host])));
        assert!(same_origin(&headers(&[
            host,
            ("sec-fetch-site", "same-origin")
        ])));
        assert!(same_origin(&headers(&[
            host,
            ("origin", "http://easel.example:8787")
        ])));
        assert!(!same_origin(&headers(&[
            host,
            ("sec-fetch-site", "cross-site")
        ])));
        assert!(!same_origin(&headers(&[
            host,
            ("sec-fetch-site", "same-site")
        ])));
        assert!(!same_origin(&headers(&[
            host,
            ("origin", "https://evil.example")
        ])));
        assert!(!same_origin(&headers(&[host, ("origin", "null")])));
    }
}
