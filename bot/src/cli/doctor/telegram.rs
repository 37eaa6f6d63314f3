//! Checks the Telegram token with `getMe` through teloxide, against the
//! configured Bot API URL, exactly as the frontend does at start-up.

use easel_shared::config::TelegramConfig;
use teloxide::prelude::Requester;
use teloxide::{ApiError, Bot, RequestError};

use super::{Check, key_or_env};
use crate::cli::scrub;

/// The token check (nothing when the frontend is off).
pub(super) async fn checks(t: &TelegramConfig) -> Vec<Check> {
    if !t.enabled() {
        return Vec::new();
    }
    let Ok(url) = reqwest::Url::parse(&t.api_url) else {
        return vec![Check::fail(
            "telegram.api_url",
            format!("`{}` is not a URL", t.api_url),
            format!(
                "set {} (default https://api.telegram.org)",
                key_or_env("telegram.api_url")
            ),
        )];
    };
    let token = t.token.expose();
    let bot = Bot::new(token).set_api_url(url);
    vec![match bot.get_me().await {
        Ok(me) => Check::ok(
            "telegram.token",
            format!("the Bot API knows this bot: @{}", me.username()),
        ),
        Err(RequestError::Api(ApiError::InvalidToken)) => Check::fail(
            "telegram.token",
            "the token was refused: check EASEL_TELEGRAM_TOKEN",
            format!(
                "copy the token from @BotFather into {}",
                key_or_env("telegram.token")
            ),
        ),
        Err(RequestError::Network(e)) => Check::fail(
            "telegram.token",
            format!(
                "cannot reach the Bot API at {}: {}",
                t.api_url,
                scrub(&super::describe(&*e), &[token])
            ),
            format!("check the network and {}", key_or_env("telegram.api_url")),
        ),
        Err(e) => Check::fail(
            "telegram.token",
            format!("getMe failed: {}", scrub(&super::describe(&e), &[token])),
            format!("check {}", key_or_env("telegram.token")),
        ),
    }]
}
