//! URL-encoded form bodies (`application/x-www-form-urlencoded`), parsed
//! with the same crate axum's `Form` uses; a bad body is a clear 400 page.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::HeaderMap;
use axum::http::header::CONTENT_TYPE;
use serde::de::DeserializeOwned;

use super::reject::{Rejection, Why};

/// A form body of type `T`.
pub struct Form<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Form<T> {
    type Rejection = Rejection;

    async fn from_request(req: Request, state: &S) -> Result<Self, Rejection> {
        let headers = req.headers().clone();
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|_| Rejection::new(Why::BadForm, &headers))?;
        parse(&headers, &bytes).map(Form)
    }
}

/// Parses a form body after checking its content type.
pub(super) fn parse<T: DeserializeOwned>(headers: &HeaderMap, body: &[u8]) -> Result<T, Rejection> {
    let is_form = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return Err(Rejection::new(Why::BadForm, headers));
    }
    serde_urlencoded::from_bytes(body).map_err(|_| Rejection::new(Why::BadForm, headers))
}
