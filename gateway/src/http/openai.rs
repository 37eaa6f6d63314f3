//! The OpenAI-compatible Images API under `/v1`: `POST /v1/images/generations`
//! (JSON), `POST /v1/images/edits` (multipart, several `image[]`, `mask`),
//! both with `stream` + `partial_images` as OpenAI's server-sent events,
//! `GET /v1/models`, and `GET /v1/openapi.json` (its OpenAPI document).
//!
//! A request is authenticated by a per-user API key (`Authorization: Bearer
//! easel-sk-...`, created from chat with `/apikey` or by the admin API) and
//! runs through the `Gateway` port on behalf of the key's user, exactly like
//! a chat request: pre-check, then submit (one reservation on the user's
//! plan windows and credits), so `/quota` in chat shows API use too. The
//! image routes name the key's owner from the gateway's memory and let the
//! admission check that the key is still live (`KeyHolder`); `/v1/models`
//! looks the key up (`ApiUser`). It works
//! wherever `AppState.gateway` is set (the embedded `easel`, and an
//! `easel-gateway` that runs the pipeline); elsewhere it answers 503.
//! Errors are OpenAI's shape (`openai/error.rs`).

pub mod error;
pub mod images;
pub mod openapi;
pub mod params;

use axum::Json;
use axum::Router;
use axum::extract::{DefaultBodyLimit, FromRequestParts, State};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use axum::routing::{get, post};
use easel_shared::UserKey;
use easel_shared::secret::Secret;
use serde_json::{Value, json};

use self::error::ApiError;
use super::AppState;

/// Largest `/v1` request body: an edit carries up to 16 images (OpenAI
/// takes up to 50 MB each; the gateway's decode limits judge each one).
pub const MAX_BODY_BYTES: usize = 64 * 1024 * 1024;

/// The `/v1` routes, with their own body limit (the admin API's 64 KiB
/// limit is too small for uploads). Mount with `.merge(openai::routes())`
/// after the router's other layers.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/images/generations", post(images::generations))
        .route("/v1/images/edits", post(images::edits))
        .route("/v1/models", get(models))
        .route("/v1/openapi.json", get(openapi::document))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
}

/// The user an API key belongs to: a handler that takes `ApiUser` runs only
/// for a live key.
#[derive(Debug, Clone, Copy)]
pub struct ApiUser(pub UserKey);

impl FromRequestParts<AppState> for ApiUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let given = bearer(parts)?;
        // The ledger looks the key up by its SHA-256; the secret is never logged.
        match state.ledger.api_key_user(given).await {
            Ok(Some(user)) => Ok(ApiUser(user)),
            Ok(None) => Err(ApiError::incorrect_api_key()),
            Err(e) => {
                tracing::warn!(error = %e, "API key store unavailable");
                Err(ApiError::unavailable())
            }
        }
    }
}

/// A presented API key and the user it names, for the image routes: the
/// owner comes from the gateway's memory of keys it looked up before (no
/// round trip) or from its store, and whether the key is still live is
/// decided when the request is admitted ([`Gateway::submit_keyed`]).
#[derive(Debug, Clone)]
pub struct KeyHolder {
    /// Whose account the request draws on.
    pub user: UserKey,
    /// The key as presented (never logged: `Secret`).
    pub key: Secret,
}

impl FromRequestParts<AppState> for KeyHolder {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let given = bearer(parts)?;
        let Some(gateway) = &state.gateway else {
            return Err(ApiError::not_served());
        };
        match gateway.api_key_owner(given).await {
            Ok(Some(user)) => Ok(KeyHolder {
                user,
                key: Secret::new(given),
            }),
            Ok(None) => Err(ApiError::incorrect_api_key()),
            Err(e) => {
                tracing::warn!(error = %e, "API key store unavailable");
                Err(ApiError::unavailable())
            }
        }
    }
}

/// The bearer token of `Authorization`, or the 401 for a missing one.
fn bearer(parts: &Parts) -> Result<&str, ApiError> {
    let given = parts
        .headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .unwrap_or_default();
    if given.is_empty() {
        return Err(ApiError::invalid_api_key(
            "You didn't provide an API key. Send it as 'Authorization: Bearer easel-sk-...'; \
             create one with /apikey in chat.",
        ));
    }
    Ok(given)
}

/// The image models this deployment serves, each once, in chain order.
pub fn served_models(state: &AppState) -> Vec<String> {
    let config = state.config.load();
    let mut models: Vec<String> = Vec::new();
    for backend in &config.backends.chain {
        if !models.contains(&backend.model) {
            models.push(backend.model.clone());
        }
    }
    models
}

/// `GET /v1/models`: the configured image model(s).
#[utoipa::path(
    get,
    path = "/v1/models",
    responses(
        (status = 200, description = "The image models served", body = openapi::ModelList),
        openapi::KeyRefused,
    ),
    security(("api_key" = []))
)]
pub async fn models(State(state): State<AppState>, _user: ApiUser) -> Json<Value> {
    let data: Vec<Value> = served_models(&state)
        .into_iter()
        .map(|id| json!({"id": id, "object": "model", "created": 0, "owned_by": "easel"}))
        .collect();
    Json(json!({"object": "list", "data": data}))
}
