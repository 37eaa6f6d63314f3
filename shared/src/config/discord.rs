//! The `[discord]` section: the bot's credentials, how interactions arrive
//! (gateway websocket or the HTTP interactions endpoint), where commands are
//! registered and which guild roles may administer Easel.

mod shards;

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::ConfigError;
use crate::secret::Secret;
pub use shards::{ShardStart, ShardTotal, ShardsConfig};

/// The Discord frontend. An empty token disables it.
///
/// ```toml
/// [discord]
/// token = "..."              # or EASEL_DISCORD_TOKEN
/// application_id = 123456789012345678
/// mode = "gateway"           # or "http" behind a load balancer
/// guilds = [111111111111111111]
///
/// [discord.shards]         # gateway mode: which shards run here
/// total = 1
///
/// [[discord.admin_roles]]
/// guild = 111111111111111111
/// roles = [222222222222222222]
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DiscordConfig {
    /// The bot token; empty disables the Discord frontend.
    pub token: Secret,
    /// The application's id (needed to register commands and edit responses).
    pub application_id: u64,
    /// The application's Ed25519 public key, hex (HTTP interactions mode only).
    pub public_key: String,
    /// How interactions arrive.
    pub mode: DiscordMode,
    /// Where the HTTP interactions endpoint listens (mode `http`).
    pub listen: String,
    /// Guilds to register the commands in (instantly); empty registers them
    /// globally (Discord may take up to an hour to show changes).
    pub guilds: Vec<u64>,
    /// Guild roles whose members may run /admin, per explicitly listed guild.
    /// Quotas are global across guilds, so a guild's own owners and
    /// moderators are not admins unless listed here or in `access.admins`.
    pub admin_roles: Vec<GuildAdminRoles>,
    /// How old (seconds) a signed interaction's timestamp may be before the
    /// HTTP endpoint refuses it as a replay.
    pub max_signature_age_secs: u64,
    /// Largest input image downloaded from Discord, in bytes.
    pub max_input_bytes: u64,
    /// Overrides the REST base URL (`http://127.0.0.1:port`) for tests and
    /// rate-limiting proxies; serenity's own rate limiter is then off, so
    /// never set this to reach Discord directly.
    pub rest_base_url: String,
    /// Gateway mode: the bot's shards and the ones this process runs.
    pub shards: ShardsConfig,
}

impl Default for DiscordConfig {
    fn default() -> Self {
        Self {
            token: Secret::default(),
            application_id: 0,
            public_key: String::new(),
            mode: DiscordMode::Gateway,
            listen: "127.0.0.1:8788".to_owned(),
            guilds: Vec::new(),
            admin_roles: Vec::new(),
            max_signature_age_secs: 300,
            max_input_bytes: 25 << 20,
            rest_base_url: String::new(),
            shards: ShardsConfig::default(),
        }
    }
}

/// How Discord delivers interactions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum DiscordMode {
    /// A gateway websocket connection (no privileged intents).
    #[default]
    Gateway,
    /// Discord POSTs signed interactions to our HTTP endpoint.
    Http,
}

/// The admin roles of one guild.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GuildAdminRoles {
    /// The guild.
    pub guild: u64,
    /// Roles whose members may run /admin in that guild.
    pub roles: BTreeSet<u64>,
}

impl DiscordConfig {
    /// Whether the Discord frontend is configured at all.
    pub fn enabled(&self) -> bool {
        !self.token.is_empty()
    }

    /// Whether a member with `roles` in `guild` holds an admin role there.
    pub fn has_admin_role(&self, guild: u64, roles: &[u64]) -> bool {
        self.admin_roles
            .iter()
            .filter(|g| g.guild == guild)
            .any(|g| roles.iter().any(|r| g.roles.contains(r)))
    }

    /// Checks what types cannot, when the frontend is enabled.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let err = |key: &str, problem: &str| ConfigError {
            key: format!("discord.{key}"),
            problem: problem.to_owned(),
        };
        if !self.enabled() {
            return Ok(());
        }
        if self.application_id == 0 {
            return Err(err("application_id", "set the application's id"));
        }
        if self.mode == DiscordMode::Http {
            let hex_ok = self.public_key.len() == 64
                && self.public_key.bytes().all(|b| b.is_ascii_hexdigit());
            if !hex_ok {
                return Err(err(
                    "public_key",
                    "HTTP mode needs the 64-digit hex public key",
                ));
            }
            if self.listen.is_empty() {
                return Err(err("listen", "HTTP mode needs an address to listen on"));
            }
        }
        if self.max_signature_age_secs == 0 {
            return Err(err("max_signature_age_secs", "must be >= 1"));
        }
        self.shards.validate()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn disabled_by_default_and_validated_when_enabled() {
        let mut c = DiscordConfig::default();
        assert!(!c.enabled());
        c.validate().unwrap();
        c.token = Secret::new("t");
        assert_eq!(c.validate().unwrap_err().key, "discord.application_id");
        c.application_id = 1;
        c.validate().unwrap();
        c.mode = DiscordMode::Http;
        assert_eq!(c.validate().unwrap_err().key, "discord.public_key");
        c.public_key = "ab".repeat(32);
        c.validate().unwrap();
    }

    #[test]
    fn admin_roles_count_only_in_their_guild() {
        let c = DiscordConfig {
            admin_roles: vec![GuildAdminRoles {
                guild: 10,
                roles: [7].into(),
            }],
            ..DiscordConfig::default()
        };
        assert!(c.has_admin_role(10, &[3, 7]));
        assert!(!c.has_admin_role(11, &[7]));
        assert!(!c.has_admin_role(10, &[3]));
    }
}
