//! Checks the Discord token and application id: asks Discord for the
//! token's application (serenity's REST client, the configured base URL)
//! and compares it with `discord.application_id` (and, in HTTP mode, the
//! public key).

use easel_shared::config::{DiscordConfig, DiscordMode};
use serenity::http::HttpError;

use super::{Check, key_or_env};
use crate::cli::scrub;

/// The token, application id and public key checks (nothing when off).
pub(super) async fn checks(d: &DiscordConfig) -> Vec<Check> {
    if !d.enabled() {
        return Vec::new();
    }
    let token = d.token.expose();
    let http = crate::discord::rest_client(d);
    let app = match http.get_current_application_info().await {
        Ok(app) => app,
        Err(serenity::Error::Http(HttpError::UnsuccessfulRequest(r)))
            if r.status_code.as_u16() == 401 =>
        {
            return vec![Check::fail(
                "discord.token",
                "the token was refused: check EASEL_DISCORD_TOKEN",
                format!(
                    "reset the token on the Developer Portal's Bot page and put it in {}",
                    key_or_env("discord.token")
                ),
            )];
        }
        Err(e) => {
            return vec![Check::fail(
                "discord.token",
                format!(
                    "cannot ask Discord for the application: {}",
                    scrub(&super::describe(&e), &[token])
                ),
                "check the network (and discord.rest_base_url if set)",
            )];
        }
    };
    let id = app.id.get();
    let mut out = vec![Check::ok(
        "discord.token",
        format!("valid, for application {id} ({})", app.name),
    )];
    // An unset id is already a config failure; here only a mismatch is news.
    if d.application_id != 0 {
        out.push(if d.application_id == id {
            Check::ok("discord.application_id", "matches the token's application")
        } else {
            Check::fail(
                "discord.application_id",
                format!("{} is not the token's application ({id})", d.application_id),
                format!("set {} = {id}", key_or_env("discord.application_id")),
            )
        });
    }
    // A malformed key is already a config failure; compare only a well-formed one.
    if d.mode == DiscordMode::Http
        && d.public_key.len() == 64
        && !d.public_key.eq_ignore_ascii_case(&app.verify_key)
    {
        out.push(Check::fail(
            "discord.public_key",
            "is not the public key of the token's application: every signature would fail",
            format!(
                "copy the Public Key from the General Information page into {}",
                key_or_env("discord.public_key")
            ),
        ));
    }
    out
}
