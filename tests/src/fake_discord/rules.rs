//! What Discord refuses on the routes the bot uses, in Discord's error
//! shape `{"message", "code"}`:
//!
//! - bot routes without `Authorization: Bot <token>`: 401 `401: Unauthorized`, code 0;
//! - a webhook path naming another application: 404 `Unknown Webhook` (10015);
//!   commands of another application: 403 code 20012 (as reported in
//!   discordjs/discord.js#8286);
//! - a second acknowledgement of one interaction: 400 code 40060
//!   ("Interaction has already been acknowledged.", Discord's JSON error codes table);
//! - `@original` and follow-ups of a token never acknowledged: 404
//!   `Unknown Webhook` (10015); once 15 minutes have passed since the
//!   acknowledgement: 401 `Invalid Webhook Token` (50027). Both as reported
//!   against the live API in discord/discord-api-docs#6851.
//!
//! - message payloads over Discord's limits: see `form`.
//!
//! Time is the fake's own clock, moved only by [`super::FakeDiscord::advance`].

use std::time::Duration;

use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::Shared;

/// How long an interaction token may edit its response and send follow-ups.
pub const TOKEN_LIFETIME: Duration = Duration::from_secs(15 * 60);

/// A refusal: HTTP status, Discord's JSON error code and message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Refused {
    status: u16,
    code: u32,
    message: &'static str,
}

impl IntoResponse for Refused {
    fn into_response(self) -> Response {
        discord_error(self.status, self.code, self.message)
    }
}

const fn refused(status: u16, code: u32, message: &'static str) -> Refused {
    Refused {
        status,
        code,
        message,
    }
}

/// Discord's error body with `status`.
pub(super) fn discord_error(status: u16, code: u32, message: &str) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (
        status,
        axum::Json(json!({ "code": code, "message": message })),
    )
        .into_response()
}

/// Bot routes need the bot's token.
pub(super) fn bot_auth(shared: &Shared, headers: &HeaderMap) -> Result<(), Refused> {
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    if given == Some(format!("Bot {}", shared.token).as_str()) {
        return Ok(());
    }
    Err(refused(401, 0, "401: Unauthorized"))
}

/// The application id in a route must be the bot's own.
pub(super) fn own_app(shared: &Shared, app: u64) -> Result<(), Refused> {
    if app == shared.app_id {
        return Ok(());
    }
    Err(refused(404, 10015, "Unknown Webhook"))
}

/// Commands may only be written for the bot's own application.
pub(super) fn own_commands(shared: &Shared, app: u64) -> Result<(), Refused> {
    if app == shared.app_id {
        return Ok(());
    }
    Err(refused(
        403,
        20012,
        "You are not authorized to perform this action on this application",
    ))
}

/// An interaction webhook (`/webhooks/{app}/{token}...`) works only after
/// the interaction was acknowledged and for 15 minutes after that.
pub(super) fn live_token(shared: &Shared, app: u64, token: &str) -> Result<(), Refused> {
    own_app(shared, app)?;
    let inner = shared.lock();
    match inner.acks.get(token) {
        None => Err(refused(404, 10015, "Unknown Webhook")),
        Some(at) if inner.now.saturating_sub(*at) >= TOKEN_LIFETIME => {
            Err(refused(401, 50027, "Invalid Webhook Token"))
        }
        Some(_) => Ok(()),
    }
}

/// Records the acknowledgement of the interaction with `token`, refusing a second one.
pub(super) fn acknowledge(shared: &Shared, token: &str) -> Result<(), Refused> {
    let mut inner = shared.lock();
    if inner.acks.contains_key(token) {
        return Err(refused(
            400,
            40060,
            "Interaction has already been acknowledged.",
        ));
    }
    let now = inner.now;
    inner.acks.insert(token.to_owned(), now);
    Ok(())
}
