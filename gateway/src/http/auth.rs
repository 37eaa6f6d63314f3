//! Admin authentication as a typed extractor: a handler that takes [`Admin`]
//! cannot run without a valid bearer token.

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use subtle::ConstantTimeEq;

use super::AppState;
use super::error::AppError;

/// Proof that the caller presented the admin token.
#[derive(Debug, Clone, Copy)]
pub struct Admin;

impl FromRequestParts<AppState> for Admin {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let config = state.config.load();
        let expected = config.http.admin_token.expose().as_bytes();
        if expected.is_empty() {
            return Err(AppError::Disabled);
        }
        let given = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or_default()
            .as_bytes();
        // Constant time, so the token cannot be guessed byte by byte from timings.
        if given.len() == expected.len() && bool::from(given.ct_eq(expected)) {
            Ok(Admin)
        } else {
            Err(AppError::Unauthorized)
        }
    }
}
