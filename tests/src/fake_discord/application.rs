//! `GET /oauth2/applications/@me`: the bot token's application, as Discord
//! answers it, or Discord's 401 for a token it does not know.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::routes::record;
use super::rules::discord_error;
use super::{BOT_USER_ID, Shared};

/// The application a bot token belongs to.
#[derive(Debug, Clone)]
pub struct Application {
    /// The bot token Discord accepts (sent as `Authorization: Bot <token>`).
    pub token: String,
    /// The application's id.
    pub id: u64,
    /// Its Ed25519 public key, hex.
    pub verify_key: String,
}

pub(super) async fn current_application(
    State(shared): State<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    record(&shared, &method, &uri, &headers, &body);
    let app = shared.lock().application.clone();
    let sent = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let Some(app) = app.filter(|a| sent == Some(format!("Bot {}", a.token).as_str())) else {
        return discord_error(401, 0, "401: Unauthorized");
    };
    axum::Json(json!({
        "id": app.id.to_string(),
        "name": "Easel test",
        "icon": null,
        "description": "",
        "summary": "",
        "type": null,
        "bot": { "id": BOT_USER_ID.to_string(), "username": "easel", "discriminator": "0", "bot": true },
        "rpc_origins": [],
        "bot_public": true,
        "bot_require_code_grant": false,
        "verify_key": app.verify_key,
        "flags": 0,
        "owner": { "id": "80351110224678912", "username": "owner", "discriminator": "0", "avatar": null, "global_name": null },
        "team": null,
        "role_connections_verification_url": null,
        "approximate_guild_count": 1,
        "redirect_uris": [],
        "interactions_endpoint_url": null
    }))
    .into_response()
}

/// `GET /users/@me`: the bot user, for the bot token; 401 otherwise (what
/// Discord answers an unknown token).
pub(super) async fn current_user(
    State(shared): State<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    record(&shared, &method, &uri, &headers, &body);
    if let Err(refused) = super::rules::bot_auth(&shared, &headers) {
        return refused.into_response();
    }
    axum::Json(json!({
        "id": BOT_USER_ID.to_string(),
        "username": "easel",
        "discriminator": "0",
        "global_name": null,
        "avatar": null,
        "bot": true,
        "system": false,
        "mfa_enabled": true,
        "banner": null,
        "accent_color": null,
        "locale": "en-US",
        "verified": true,
        "flags": 0,
        "public_flags": 0
    }))
    .into_response()
}
