//! Webhook mode: teloxide's axum webhook router behind our own check of
//! `X-Telegram-Bot-Api-Secret-Token`, compared in constant time (teloxide's
//! own comparison is not). A request without the right token is answered
//! 401 and never reaches the dispatcher.
//!
//! Several replicas behind a load balancer: Telegram redelivers an update
//! it got no answer for, possibly to another replica. Each update is
//! claimed by `update_id` through the gateway (`Gateway::claim_event`,
//! Redis `SET NX` when the ledger is on Redis) before the dispatcher sees
//! it: a duplicate is answered 200 and dropped; if the claim cannot be made
//! (store down) the answer is 503, so Telegram delivers it again later.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use easel_gateway::service::Gateway;
use easel_shared::config::TelegramConfig;
use subtle::ConstantTimeEq;
use teloxide::prelude::*;
use teloxide::update_listeners::UpdateListener;
use teloxide::update_listeners::webhooks::{Options, axum_no_setup};

use super::TgBot;

/// The header Telegram sends the secret in.
const SECRET_HEADER: &str = "x-telegram-bot-api-secret-token";

/// An update body is small JSON (files are fetched separately); bigger is
/// not from Telegram.
const MAX_UPDATE: usize = 1 << 20;

/// What the webhook's guard needs: the secret and who deduplicates.
#[derive(Clone)]
struct Guard {
    secret: String,
    gateway: Arc<dyn Gateway>,
    /// The bot's id: update ids count per bot.
    bot_id: u64,
}

/// Whether `got` is the expected secret, compared in constant time (only
/// the length can leak, and Telegram's secrets have a public length range).
pub fn check_secret(expected: &[u8], got: Option<&[u8]>) -> bool {
    match got {
        Some(got) => !expected.is_empty() && bool::from(expected.ct_eq(got)),
        None => false,
    }
}

/// Registers the webhook with Telegram (with the secret) and serves it on
/// `listener` until the dispatcher stops.
pub(super) async fn start(
    bot: &TgBot,
    config: &TelegramConfig,
    listener: tokio::net::TcpListener,
    gateway: Arc<dyn Gateway>,
    bot_id: u64,
) -> Result<impl UpdateListener<Err = std::convert::Infallible> + use<>, teloxide::RequestError> {
    let url = reqwest::Url::parse(&config.webhook_url)
        .map_err(|e| teloxide::RequestError::Io(std::io::Error::other(e.to_string()).into()))?;
    let address = listener
        .local_addr()
        .map_err(|e| teloxide::RequestError::Io(e.into()))?;
    let mut options = Options::new(address, url.clone());
    if !config.webhook_secret.is_empty() {
        options = options.secret_token(config.webhook_secret.expose().to_owned());
    }
    let secret = options.get_or_gen_secret_token().to_owned();
    bot.set_webhook(url).secret_token(secret.clone()).await?;
    // teloxide's router would compare the header itself; ours does it in
    // constant time and strips it, so teloxide sees no secret on either side.
    options.secret_token = None;
    let (updates, stop, router) = axum_no_setup(options);
    let state = Guard {
        secret,
        gateway,
        bot_id,
    };
    let router = router.layer(middleware::from_fn(move |req: Request, next: Next| {
        let state = state.clone();
        async move { guard(state, req, next).await }
    }));
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, router)
            .with_graceful_shutdown(stop)
            .await
        {
            tracing::error!(error = %e, "telegram webhook server stopped");
        }
    });
    Ok(updates)
}

async fn guard(state: Guard, mut req: Request, next: Next) -> Response {
    let ok = check_secret(
        state.secret.as_bytes(),
        req.headers().get(SECRET_HEADER).map(|v| v.as_bytes()),
    );
    if !ok {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    req.headers_mut().remove(SECRET_HEADER);
    let (parts, body) = req.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_UPDATE).await else {
        return StatusCode::PAYLOAD_TOO_LARGE.into_response();
    };
    if let Some(update_id) = update_id(&bytes) {
        let event = format!("tg:{}:update:{update_id}", state.bot_id);
        match state.gateway.claim_event(&event).await {
            Ok(true) => {}
            Ok(false) => {
                tracing::debug!(update_id, "duplicate update delivery");
                return StatusCode::OK.into_response();
            }
            Err(e) => {
                tracing::warn!(update_id, error = %e, "could not claim an update");
                return StatusCode::SERVICE_UNAVAILABLE.into_response();
            }
        }
    }
    // Without an update id teloxide refuses the body itself.
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

/// The `update_id` of an update body, if it has one.
fn update_id(body: &[u8]) -> Option<i64> {
    #[derive(serde::Deserialize)]
    struct Head {
        update_id: i64,
    }
    serde_json::from_slice::<Head>(body)
        .ok()
        .map(|h| h.update_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_must_match_exactly() {
        assert!(check_secret(b"s3cret", Some(b"s3cret")));
        for wrong in [&b"s3cret "[..], b"s3cre", b"", b"S3CRET"] {
            assert!(!check_secret(b"s3cret", Some(wrong)), "{wrong:?}");
        }
        assert!(!check_secret(b"s3cret", None));
        assert!(!check_secret(b"", Some(b"")));
    }

    #[test]
    fn the_update_id_is_read_from_the_body() {
        assert_eq!(update_id(br#"{"update_id":42,"message":{}}"#), Some(42));
        assert_eq!(update_id(br#"{"message":{}}"#), None);
        assert_eq!(update_id(b"not json"), None);
    }
}
