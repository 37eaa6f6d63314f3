//! `/web`: a one-time sign-in link to the web pages for the asking chat
//! user, through the [`Gateway`] port, so the browser acts as the same
//! account (quota, history). The link signs its holder in, so frontends
//! deliver it privately (Telegram: the private chat, without a link
//! preview, so no preview fetcher touches it; Discord: ephemerally).

use easel_gateway::service::{Gateway, GatewayError};
use easel_shared::UserKey;

use super::render::time;
use crate::i18n::{Locale, t, tr};

/// The answer to `/web`.
pub async fn answer(
    gateway: &dyn Gateway,
    user: UserKey,
    locale: Locale,
) -> Result<String, GatewayError> {
    Ok(match gateway.web_link(user).await? {
        Some(link) => tr(
            locale,
            "web-chat-link",
            &[
                ("url", link.url.expose().into()),
                ("expires", time::date(locale, link.expires_at).into()),
            ],
        ),
        None => t(locale, "web-chat-off"),
    })
}
