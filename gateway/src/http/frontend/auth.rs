//! Frontend authentication as a typed extractor: each frontend (a bot
//! process) presents its own bearer token from `gateway.frontends`.

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use subtle::ConstantTimeEq;

use super::super::AppState;
use super::error::FrontendError;

/// Proof that the caller is the named frontend.
#[derive(Debug, Clone)]
pub struct Frontend(pub String);

impl FromRequestParts<AppState> for Frontend {
    type Rejection = FrontendError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, FrontendError> {
        let config = state.config.load();
        let given = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or_default()
            .as_bytes();
        // Every configured token is compared, in constant time, so neither
        // a token nor which frontend matched leaks through timings.
        let mut matched = None;
        for (name, token) in &config.gateway.frontends {
            let expected = token.expose().as_bytes();
            let equal = !expected.is_empty()
                && given.len() == expected.len()
                && bool::from(given.ct_eq(expected));
            if equal {
                matched = Some(name.clone());
            }
        }
        matched.map(Frontend).ok_or(FrontendError::Unauthorized)
    }
}
