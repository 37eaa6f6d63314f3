//! Live readiness checks of the chat platforms: one cheap authenticated
//! call each (`getMe`, `GET /users/@me`), reported without the token.

use easel_gateway::readiness::Check;
use easel_shared::config::Config;
use teloxide::prelude::Requester;

use crate::supervise::Link;

/// Telegram: `getMe` with the configured token and API URL.
pub(super) fn telegram(config: &Config, link: &Link) -> Check {
    let token = config.telegram.token.clone();
    let url = reqwest::Url::parse(&config.telegram.api_url).ok();
    link.check(move || {
        let (token, url) = (token.clone(), url.clone());
        async move {
            let url = url.ok_or_else(|| "telegram.api_url is not a valid URL".to_owned())?;
            let bot = teloxide::Bot::new(token.expose()).set_api_url(url);
            bot.get_me().await.map(drop).map_err(|e| match e {
                // A transport error may print the request URL, which holds the token.
                teloxide::RequestError::Api(api) => api.to_string(),
                teloxide::RequestError::Network(_) => "network error".to_owned(),
                _ => "request failed".to_owned(),
            })
        }
    })
}

/// Discord: `GET /users/@me` through the same REST client the bot uses.
pub(super) fn discord(config: &Config, link: &Link) -> Check {
    let http = crate::discord::rest_client(&config.discord);
    link.check(move || {
        let http = http.clone();
        async move {
            http.get_current_user()
                .await
                .map(drop)
                .map_err(|e| match e {
                    serenity::Error::Http(http) => match http.status_code() {
                        Some(status) => format!("Discord answered {status}"),
                        None => "network error".to_owned(),
                    },
                    _ => "request failed".to_owned(),
                })
        }
    })
}
