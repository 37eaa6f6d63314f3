//! `/admin/v1/users/{user}/api-keys`: create (the secret is in this answer
//! only), list (visible prefixes), revoke by prefix, for a user's keys of
//! the `/v1` API. Audited by the ledger with actor `api`.

use axum::extract::State;
use axum::http::StatusCode;
use easel_shared::UserKey;
use easel_shared::admin::Actor;
use easel_shared::apikey::{ApiKeyInfo, MintedApiKey};

use super::user_key;
use crate::http::AppState;
use crate::http::auth::Admin;
use crate::http::error::{AppError, ErrorBody};
use crate::http::extract::{Json, Path};
use crate::ledger::{LedgerError, api_key};

/// What a revoke answers.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub(crate) struct KeyRevoked {
    /// The visible prefix of the key that no longer works.
    pub(crate) revoked: String,
}

#[utoipa::path(
    post, path = "/admin/v1/users/{user}/api-keys", tag = "users",
    params(("user" = UserKey, Path, description = "Whose account the key draws on")),
    responses(
        (status = 201, description = "The new key: its secret is in this answer only", body = MintedApiKey),
        (status = 409, description = "The user holds the most keys allowed (`refused`)", body = ErrorBody),
    ),
)]
pub(crate) async fn create(
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

#[utoipa::path(
    get, path = "/admin/v1/users/{user}/api-keys", tag = "users",
    params(("user" = UserKey, Path, description = "Whose keys")),
    responses((status = 200, description = "The user's keys, by visible prefix (never the secret)", body = Vec<ApiKeyInfo>)),
)]
pub(crate) async fn list(
    _: Admin,
    State(s): State<AppState>,
    Path(user): Path<String>,
) -> Result<Json<Vec<ApiKeyInfo>>, AppError> {
    Ok(Json(s.ledger.list_api_keys(user_key(&user)?).await?))
}

#[utoipa::path(
    delete, path = "/admin/v1/users/{user}/api-keys/{prefix}", tag = "users",
    params(
        ("user" = UserKey, Path, description = "Whose key"),
        ("prefix" = String, Path, description = "The key's visible prefix, e.g. easel-sk-AbCd1234"),
    ),
    responses(
        (status = 200, description = "The key no longer works", body = KeyRevoked),
        (status = 404, description = "The user has no key with that prefix (`not_found`)", body = ErrorBody),
    ),
)]
pub(crate) async fn revoke(
    _: Admin,
    State(s): State<AppState>,
    Path((user, prefix)): Path<(String, String)>,
) -> Result<Json<KeyRevoked>, AppError> {
    let user = user_key(&user)?;
    let prefix = api_key::parse_prefix(&prefix)
        .ok_or_else(|| AppError::BadRequest(format!("`{prefix}` is not an API key prefix")))?;
    if s.ledger.revoke_api_key(user, &prefix, Actor::Api).await? {
        Ok(Json(KeyRevoked { revoked: prefix }))
    } else {
        Err(LedgerError::NotFound(format!("API key {prefix} of {user}")).into())
    }
}
