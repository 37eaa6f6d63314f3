//! `/admin/v1/users/{user}/api-keys`: create (the secret is in this answer
//! only), list (visible prefixes), revoke by prefix, for a user's keys of
//! the `/v1` API. Audited by the ledger with actor `api`.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{delete, post};
use axum::{Json, Router};
use easel_shared::admin::Actor;
use easel_shared::apikey::{ApiKeyInfo, MintedApiKey};

use super::user_key;
use crate::http::AppState;
use crate::http::auth::Admin;
use crate::http::error::AppError;
use crate::ledger::{LedgerError, api_key};

/// The key routes, mounted with the other admin routes.
pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/users/{user}/api-keys", post(create).get(list))
        .route("/users/{user}/api-keys/{prefix}", delete(revoke))
}

async fn create(
    _: Admin,
    State(s): State<AppState>,
    Path(user): Path<String>,
) -> Result<(StatusCode, Json<MintedApiKey>), AppError> {
    let minted = s
        .ledger
        .create_api_key(user_key(&user)?, Actor::Api)
        .await?;
    Ok((StatusCode::CREATED, Json(minted)))
}

async fn list(
    _: Admin,
    State(s): State<AppState>,
    Path(user): Path<String>,
) -> Result<Json<Vec<ApiKeyInfo>>, AppError> {
    Ok(Json(s.ledger.list_api_keys(user_key(&user)?).await?))
}

async fn revoke(
    _: Admin,
    State(s): State<AppState>,
    Path((user, prefix)): Path<(String, String)>,
) -> Result<Json<serde_json::Value>, AppError> {
    let user = user_key(&user)?;
    let prefix = api_key::parse_prefix(&prefix)
        .ok_or_else(|| AppError::BadRequest(format!("`{prefix}` is not an API key prefix")))?;
    if s.ledger.revoke_api_key(user, &prefix, Actor::Api).await? {
        Ok(Json(serde_json::json!({ "revoked": prefix })))
    } else {
        Err(LedgerError::NotFound(format!("API key {prefix} of {user}")).into())
    }
}
