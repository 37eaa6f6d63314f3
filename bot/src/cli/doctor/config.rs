//! Checks of the config alone (no network): every enabled frontend has
//! what it needs, the admin API and admins, then the server's own
//! validation for whatever those did not already name.

use easel_shared::config::{Config, DiscordMode, TelegramMode};

use super::{Check, Status, key_or_env};

/// The ports Telegram delivers webhooks to (Bot API `setWebhook`).
const TELEGRAM_WEBHOOK_PORTS: [u16; 4] = [443, 80, 88, 8443];
/// Shorter admin tokens are guessable over a network.
const MIN_ADMIN_TOKEN: usize = 16;

/// The config checks, in order.
pub(super) fn checks(config: &Config) -> Vec<Check> {
    let mut out = vec![Check::ok("config", "parses")];
    frontends(config, &mut out);
    telegram(config, &mut out);
    discord(config, &mut out);
    admin(config, &mut out);
    // The server's validation stops at its first problem; report it only
    // when the checks above did not already name that key.
    if let Err(e) = config.validate()
        && !out
            .iter()
            .any(|c| c.status == Status::Fail && c.name == e.key)
    {
        let fix = format!("correct {}", key_or_env(&e.key));
        out.push(Check::fail(e.key, e.problem, fix));
    }
    out
}

fn frontends(config: &Config, out: &mut Vec<Check>) {
    if !config.telegram.enabled() && !config.discord.enabled() {
        out.push(Check::warn(
            "frontends",
            "no chat frontend is enabled (`easel try` works without one)",
            "set EASEL_TELEGRAM_TOKEN and/or EASEL_DISCORD_TOKEN",
        ));
    }
}

fn telegram(config: &Config, out: &mut Vec<Check>) {
    let t = &config.telegram;
    if !t.enabled() || t.mode != TelegramMode::Webhook {
        return;
    }
    match reqwest::Url::parse(&t.webhook_url) {
        Ok(url) if url.scheme() == "https" => {
            let port = url.port_or_known_default().unwrap_or(443);
            if TELEGRAM_WEBHOOK_PORTS.contains(&port) {
                out.push(Check::ok(
                    "telegram.webhook_url",
                    format!("https, port {port}"),
                ));
            } else {
                out.push(Check::fail(
                    "telegram.webhook_url",
                    format!(
                        "port {port}: Telegram only delivers webhooks to ports 443, 80, 88 and 8443"
                    ),
                    "use one of those ports in telegram.webhook_url (a reverse proxy may forward \
                     to telegram.webhook_listen)",
                ));
            }
        }
        _ => out.push(Check::fail(
            "telegram.webhook_url",
            "webhook mode needs the public https:// URL Telegram posts updates to",
            format!(
                "set {}, or telegram.mode = \"polling\"",
                key_or_env("telegram.webhook_url")
            ),
        )),
    }
    out.extend(listen_address(
        "telegram.webhook_listen",
        &t.webhook_listen,
        "0.0.0.0:8443",
    ));
    if t.webhook_secret.is_empty() {
        out.push(Check::warn(
            "telegram.webhook_secret",
            "not set: a new one is generated at every start",
            format!(
                "set {} to keep one across restarts",
                key_or_env("telegram.webhook_secret")
            ),
        ));
    }
}

fn discord(config: &Config, out: &mut Vec<Check>) {
    let d = &config.discord;
    if !d.enabled() {
        return;
    }
    if d.application_id == 0 {
        out.push(Check::fail(
            "discord.application_id",
            "not set: commands cannot be registered nor responses edited",
            format!(
                "set {} to the Application ID on the Developer Portal's General Information page",
                key_or_env("discord.application_id")
            ),
        ));
    }
    if d.mode == DiscordMode::Http {
        let hex = d.public_key.len() == 64 && d.public_key.bytes().all(|b| b.is_ascii_hexdigit());
        if !hex {
            out.push(Check::fail(
                "discord.public_key",
                "HTTP interactions mode needs the application's 64-digit hex public key",
                format!(
                    "set {} to the Public Key on the General Information page",
                    key_or_env("discord.public_key")
                ),
            ));
        }
        out.extend(listen_address("discord.listen", &d.listen, "0.0.0.0:8788"));
    }
}

/// A failure unless `value` (of `key`) is an address a server can bind.
fn listen_address(key: &str, value: &str, example: &str) -> Option<Check> {
    value.parse::<std::net::SocketAddr>().is_err().then(|| {
        Check::fail(
            key,
            format!("`{value}` is not an address to listen on"),
            format!("set {} to e.g. {example}", key_or_env(key)),
        )
    })
}

fn admin(config: &Config, out: &mut Vec<Check>) {
    let token = config.http.admin_token.expose();
    if config.http.listen.is_empty() {
        out.push(Check::ok("http.admin_token", "the HTTP server is off"));
    } else if token.is_empty() {
        out.push(Check::warn(
            "http.admin_token",
            "empty: the admin API under /admin/v1 refuses every call",
            format!(
                "set {} to use it, or leave it empty to keep it off",
                key_or_env("http.admin_token")
            ),
        ));
    } else if token.len() < MIN_ADMIN_TOKEN {
        out.push(Check::warn(
            "http.admin_token",
            format!("shorter than {MIN_ADMIN_TOKEN} characters"),
            format!(
                "use a long random value for {}",
                key_or_env("http.admin_token")
            ),
        ));
    } else {
        out.push(Check::ok("http.admin_token", "set"));
    }
    if config.access.admins.is_empty() {
        out.push(Check::warn(
            "access.admins",
            "nobody can run admin commands from chat",
            "add your user key to access.admins, e.g. [\"tg:123456789\"] or [\"dc:80351110224678912\"]",
        ));
    } else {
        out.push(Check::ok(
            "access.admins",
            format!("{} admin(s)", config.access.admins.len()),
        ));
    }
}

#[cfg(test)]
mod tests {
    use easel_shared::secret::Secret;

    use super::*;

    fn status_of(config: &Config, name: &str) -> Option<Status> {
        checks(config)
            .into_iter()
            .find(|c| c.name == name)
            .map(|c| c.status)
    }

    #[test]
    fn webhook_ports_telegram_does_not_use_fail() {
        let mut config = Config::default();
        config.telegram.token = Secret::new("1:a");
        config.telegram.mode = TelegramMode::Webhook;
        for (url, want) in [
            ("https://bot.example.com/tg", Status::Ok),
            ("https://bot.example.com:8443/tg", Status::Ok),
            ("https://bot.example.com:88/tg", Status::Ok),
            ("https://bot.example.com:8080/tg", Status::Fail),
            ("http://bot.example.com/tg", Status::Fail),
        ] {
            config.telegram.webhook_url = url.into();
            assert_eq!(
                status_of(&config, "telegram.webhook_url"),
                Some(want),
                "{url}"
            );
        }
    }

    #[test]
    fn a_validation_problem_is_named_once() {
        let mut config = Config::default();
        config.discord.token = Secret::new("t");
        let all = checks(&config);
        let named: Vec<_> = all
            .iter()
            .filter(|c| c.name == "discord.application_id")
            .collect();
        assert_eq!(named.len(), 1, "{all:?}");
        assert_eq!(named[0].status, Status::Fail);
        assert!(
            named[0]
                .fix
                .as_deref()
                .unwrap()
                .contains("EASEL__DISCORD__APPLICATION_ID")
        );
    }
}
