//! Drop-in replacements for axum's `Json`, `Path` and `Query` extractors
//! whose rejections are [`AppError`]s, so a bad body, query or path segment
//! answers in the one JSON error shape instead of axum's plain text. Every
//! handler of the admin and frontend APIs takes these, never axum's own.
//! (`/v1` keeps OpenAI's error shape and has extractors of its own.)

use axum::extract::{FromRequest, FromRequestParts};
use axum::response::{IntoResponse, Response};

use super::error::AppError;

/// A JSON request body (axum's `Json`, with [`AppError`] as the rejection);
/// also usable as a JSON response.
#[derive(Debug, FromRequest)]
#[from_request(via(axum::Json), rejection(AppError))]
pub struct Json<T>(pub T);

impl<T: serde::Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

/// Path parameters (axum's `Path`, with [`AppError`] as the rejection).
#[derive(Debug, FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(AppError))]
pub struct Path<T>(pub T);

/// Query parameters (axum's `Query`, with [`AppError`] as the rejection).
#[derive(Debug, FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(AppError))]
pub struct Query<T>(pub T);
