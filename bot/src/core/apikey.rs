//! `/apikey`: a user's own keys of the OpenAI-compatible `/v1` API, through
//! the [`Gateway`] port, answered in the user's language. A new key's
//! secret appears in this answer only (stored hashed by the gateway), so
//! frontends deliver every `/apikey` answer privately (`privacy.rs`).

use easel_gateway::service::{Gateway, GatewayError};
use easel_shared::UserKey;

use super::intent::ApiKeyAction;
use super::render::time;
use crate::i18n::{Locale, t, tr};

/// The answer to `/apikey ...`.
pub async fn answer(
    gateway: &dyn Gateway,
    user: UserKey,
    action: &ApiKeyAction,
    locale: Locale,
) -> Result<String, GatewayError> {
    match action {
        ApiKeyAction::Create => {
            let minted = gateway.create_api_key(user).await?;
            Ok(tr(
                locale,
                "apikey-created",
                &[
                    ("key", minted.key.expose().into()),
                    ("prefix", minted.prefix.as_str().into()),
                ],
            ))
        }
        ApiKeyAction::List => {
            let keys = gateway.list_api_keys(user).await?;
            if keys.is_empty() {
                return Ok(t(locale, "apikey-none"));
            }
            let mut lines = vec![t(locale, "apikey-list")];
            lines.extend(keys.iter().map(|k| {
                tr(
                    locale,
                    "apikey-item",
                    &[
                        ("prefix", k.prefix.as_str().into()),
                        ("date", time::date(locale, k.created_at).into()),
                    ],
                )
            }));
            Ok(lines.join("\n"))
        }
        ApiKeyAction::Revoke { prefix } => {
            let Some(prefix) = easel_gateway::ledger::api_key::parse_prefix(prefix) else {
                return Ok(tr(
                    locale,
                    "apikey-bad-prefix",
                    &[("given", prefix.as_str().into())],
                ));
            };
            let id = if gateway.revoke_api_key(user, &prefix).await? {
                "apikey-revoked"
            } else {
                "apikey-unknown"
            };
            Ok(tr(locale, id, &[("prefix", prefix.as_str().into())]))
        }
    }
}
