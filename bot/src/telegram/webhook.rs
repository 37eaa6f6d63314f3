//! Webhook mode: teloxide's axum webhook router behind our own check of
//! `X-Telegram-Bot-Api-Secret-Token`, compared in constant time (teloxide's
//! own comparison is not). A request without the right token is answered
//! 401 and never reaches the dispatcher.

use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use easel_shared::config::TelegramConfig;
use subtle::ConstantTimeEq;
use teloxide::prelude::*;
use teloxide::update_listeners::UpdateListener;
use teloxide::update_listeners::webhooks::{Options, axum_no_setup};

use super::TgBot;

/// The header Telegram sends the secret in.
const SECRET_HEADER: &str = "x-telegram-bot-api-secret-token";

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
    let router = router.layer(middleware::from_fn(move |req: Request, next: Next| {
        let secret = secret.clone();
        async move { guard(secret, req, next).await }
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

async fn guard(secret: String, mut req: Request, next: Next) -> Response {
    let ok = check_secret(
        secret.as_bytes(),
        req.headers().get(SECRET_HEADER).map(|v| v.as_bytes()),
    );
    if !ok {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    req.headers_mut().remove(SECRET_HEADER);
    next.run(req).await
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
}
