//! The `[telegram]` section: the bot token, how updates arrive (long
//! polling or a webhook), where the Bot API lives, and the pacing of albums
//! and progress edits.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::ConfigError;
use crate::secret::Secret;

/// The Telegram frontend.
///
/// ```toml
/// [telegram]
/// token = ""            # better: EASEL_TELEGRAM_TOKEN
/// mode = "webhook"
/// webhook_url = "https://bot.example.com/telegram"
/// webhook_listen = "0.0.0.0:8443"
/// webhook_secret = ""   # better: EASEL_TELEGRAM_WEBHOOK_SECRET
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TelegramConfig {
    /// The bot token from @BotFather; empty disables the Telegram frontend.
    pub token: Secret,
    /// The Bot API base URL; a local Bot API server lifts the 20 MB file limit.
    pub api_url: String,
    /// How updates arrive.
    pub mode: TelegramMode,
    /// The public HTTPS URL Telegram posts updates to (webhook mode; ports 443, 80, 88, 8443).
    pub webhook_url: String,
    /// Where the webhook server listens.
    pub webhook_listen: String,
    /// The `X-Telegram-Bot-Api-Secret-Token` Telegram must send (1-256 of
    /// A-Z, a-z, 0-9, `_`, `-`); empty: generated at start-up.
    pub webhook_secret: Secret,
    /// How long to wait for more photos of an album after the last one arrived.
    #[serde(with = "humantime_serde")]
    pub album_debounce: Duration,
    /// Least time between two edits of a progress message in a private chat.
    #[serde(with = "humantime_serde")]
    pub progress_private: Duration,
    /// Least time between two edits of a progress message in a group.
    #[serde(with = "humantime_serde")]
    pub progress_group: Duration,
    /// Largest input file the bot downloads (the public Bot API serves up to 20 MB).
    pub max_download_bytes: u64,
}

impl Default for TelegramConfig {
    fn default() -> Self {
        Self {
            token: Secret::default(),
            api_url: "https://api.telegram.org".to_owned(),
            mode: TelegramMode::Polling,
            webhook_url: String::new(),
            webhook_listen: "0.0.0.0:8443".to_owned(),
            webhook_secret: Secret::default(),
            album_debounce: Duration::from_millis(1200),
            progress_private: Duration::from_secs(1),
            progress_group: Duration::from_secs(3),
            max_download_bytes: 20 * 1024 * 1024,
        }
    }
}

/// How Telegram updates reach the bot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum TelegramMode {
    /// `getUpdates` long polling: works behind NAT, no public URL needed.
    #[default]
    Polling,
    /// Telegram posts updates to `webhook_url`.
    Webhook,
}

impl TelegramConfig {
    /// Whether the Telegram frontend should run.
    pub fn enabled(&self) -> bool {
        !self.token.is_empty()
    }

    /// Checks what types cannot: the webhook has a URL and a valid secret.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let err = |key: &str, problem: &str| ConfigError {
            key: format!("telegram.{key}"),
            problem: problem.to_owned(),
        };
        if !self.enabled() {
            return Ok(());
        }
        if !(self.api_url.starts_with("http://") || self.api_url.starts_with("https://")) {
            return Err(err("api_url", "must be an http(s) URL"));
        }
        if self.mode == TelegramMode::Webhook {
            if !self.webhook_url.starts_with("https://") {
                return Err(err("webhook_url", "webhook mode needs an https:// URL"));
            }
            let secret = self.webhook_secret.expose();
            let ok = secret.len() <= 256
                && secret
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
            if !ok {
                return Err(err("webhook_secret", "use 1-256 of A-Z, a-z, 0-9, _ and -"));
            }
        }
        if self.album_debounce > Duration::from_secs(10) {
            return Err(err("album_debounce", "must be at most 10s"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_poll_and_parse() {
        let t: TelegramConfig = serde_json::from_str(
            r#"{"token":"123:abc","mode":"webhook","webhook_url":"https://x/tg"}"#,
        )
        .unwrap();
        assert_eq!(t.mode, TelegramMode::Webhook);
        assert_eq!(t.progress_group, Duration::from_secs(3));
        assert_eq!(format!("{:?}", t.token), "***");
        t.validate().unwrap();
        assert!(TelegramConfig::default().validate().is_ok());
    }

    #[test]
    fn webhook_needs_https_and_a_clean_secret() {
        let mut t = TelegramConfig {
            token: Secret::new("1:a"),
            mode: TelegramMode::Webhook,
            webhook_url: "http://x".into(),
            ..TelegramConfig::default()
        };
        assert_eq!(t.validate().unwrap_err().key, "telegram.webhook_url");
        t.webhook_url = "https://x".into();
        t.webhook_secret = Secret::new("has space");
        assert_eq!(t.validate().unwrap_err().key, "telegram.webhook_secret");
    }
}
