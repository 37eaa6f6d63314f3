//! `[discord.shards]`: which gateway shards this process runs (gateway
//! mode). One shard serves up to 2500 guilds; bigger bots split guilds
//! over `total` shards, and several replicas each run a range of them.
//!
//! ```toml
//! [discord.shards]
//! total = 1          # default: one shard, all guilds
//! # total = "auto"   # Discord's recommended count, all in this process
//! # total = 8        # 8 shards; this replica runs 4 of them, 0..=3:
//! # first = 0
//! # count = 4        # 0 (default): all of `total` here
//! ```

use serde::{Deserialize, Serialize};

use crate::config::ConfigError;

/// The shards of the whole bot and the ones this process runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ShardsConfig {
    /// Shards of the whole bot: a count, or `"auto"` (ask Discord, run all here).
    pub total: ShardTotal,
    /// The first shard this process runs (with a fixed `total`).
    pub first: u32,
    /// How many shards from `first` this process runs; 0 runs all of `total`.
    pub count: u32,
}

impl Default for ShardsConfig {
    fn default() -> Self {
        Self {
            total: ShardTotal::Fixed(1),
            first: 0,
            count: 0,
        }
    }
}

/// A shard count, or Discord's recommendation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "RawTotal", into = "RawTotal")]
pub enum ShardTotal {
    /// `GET /gateway/bot` says how many (serenity's autosharding).
    Auto,
    /// This many shards in the whole bot.
    Fixed(u32),
}

/// How a total is written: a number or the word `auto`.
#[derive(Serialize, Deserialize)]
#[serde(untagged)]
enum RawTotal {
    Count(u32),
    Word(String),
}

impl TryFrom<RawTotal> for ShardTotal {
    type Error = String;

    fn try_from(raw: RawTotal) -> Result<Self, String> {
        match raw {
            RawTotal::Count(n) => Ok(Self::Fixed(n)),
            RawTotal::Word(w) if w == "auto" => Ok(Self::Auto),
            RawTotal::Word(w) => Err(format!("expected a shard count or \"auto\", got {w:?}")),
        }
    }
}

impl From<ShardTotal> for RawTotal {
    fn from(total: ShardTotal) -> Self {
        match total {
            ShardTotal::Auto => Self::Word("auto".to_owned()),
            ShardTotal::Fixed(n) => Self::Count(n),
        }
    }
}

/// How the gateway client is started, decided from [`ShardsConfig`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShardStart {
    /// Shard 0 of 1 (serenity's `start`).
    Single,
    /// Discord's recommended count, all here (`start_autosharded`).
    Auto,
    /// Shards `first..first + count` of `total` here (`start_shard_range`,
    /// or `start_shards` when that is all of them).
    Range {
        /// The first shard run here.
        first: u32,
        /// How many run here (>= 1).
        count: u32,
        /// Shards of the whole bot.
        total: u32,
    },
}

impl ShardsConfig {
    /// Checks the numbers; errors name the key under `discord.shards`.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let err = |key: &str, problem: String| ConfigError {
            key: format!("discord.shards.{key}"),
            problem,
        };
        match self.total {
            ShardTotal::Auto if self.first != 0 || self.count != 0 => Err(err(
                "total",
                "\"auto\" runs every shard here: leave first and count unset".into(),
            )),
            ShardTotal::Auto => Ok(()),
            ShardTotal::Fixed(0) => Err(err("total", "must be >= 1 (or \"auto\")".into())),
            ShardTotal::Fixed(total) if self.first >= total => Err(err(
                "first",
                format!("must be below total ({total}); shards are numbered from 0"),
            )),
            ShardTotal::Fixed(total) if self.count > total - self.first => Err(err(
                "count",
                format!(
                    "first ({}) + count ({}) exceeds total ({total})",
                    self.first, self.count
                ),
            )),
            ShardTotal::Fixed(_) => Ok(()),
        }
    }

    /// How to start the client (call after [`ShardsConfig::validate`]).
    pub fn start(&self) -> ShardStart {
        match self.total {
            ShardTotal::Auto => ShardStart::Auto,
            ShardTotal::Fixed(1) => ShardStart::Single,
            ShardTotal::Fixed(total) => ShardStart::Range {
                first: self.first,
                count: match self.count {
                    0 => total - self.first,
                    n => n,
                },
                total,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> Result<ShardsConfig, String> {
        serde_json::from_str(json).map_err(|e| e.to_string())
    }

    #[test]
    fn totals_are_a_count_or_auto() {
        assert_eq!(parse("{}").unwrap(), ShardsConfig::default());
        let auto = parse(r#"{"total": "auto"}"#).unwrap();
        assert_eq!(auto.total, ShardTotal::Auto);
        assert_eq!(serde_json::to_value(auto).unwrap()["total"], "auto");
        assert_eq!(
            parse(r#"{"total": 8}"#).unwrap().total,
            ShardTotal::Fixed(8)
        );
        let bad = parse(r#"{"total": "many"}"#).unwrap_err();
        assert!(bad.contains("\"auto\""), "{bad}");
        assert!(
            parse(r#"{"shard_id": 1}"#).is_err(),
            "unknown keys are refused"
        );
    }

    #[test]
    fn bad_ranges_name_their_key() {
        let case = |total, first, count| {
            ShardsConfig {
                total,
                first,
                count,
            }
            .validate()
            .map_err(|e| e.key)
        };
        use ShardTotal::{Auto, Fixed};
        assert_eq!(case(Fixed(1), 0, 0), Ok(()));
        assert_eq!(case(Fixed(8), 4, 4), Ok(()));
        assert_eq!(case(Auto, 0, 0), Ok(()));
        assert_eq!(case(Fixed(0), 0, 0), Err("discord.shards.total".into()));
        assert_eq!(case(Auto, 1, 0), Err("discord.shards.total".into()));
        assert_eq!(case(Fixed(4), 4, 0), Err("discord.shards.first".into()));
        assert_eq!(case(Fixed(8), 4, 5), Err("discord.shards.count".into()));
    }

    #[test]
    fn the_start_follows_the_config() {
        let start = |total, first, count| {
            ShardsConfig {
                total,
                first,
                count,
            }
            .start()
        };
        use ShardTotal::{Auto, Fixed};
        assert_eq!(start(Fixed(1), 0, 0), ShardStart::Single);
        assert_eq!(start(Auto, 0, 0), ShardStart::Auto);
        assert_eq!(
            start(Fixed(8), 0, 0),
            ShardStart::Range {
                first: 0,
                count: 8,
                total: 8
            }
        );
        assert_eq!(
            start(Fixed(8), 6, 0),
            ShardStart::Range {
                first: 6,
                count: 2,
                total: 8
            }
        );
        assert_eq!(
            start(Fixed(8), 2, 3),
            ShardStart::Range {
                first: 2,
                count: 3,
                total: 8
            }
        );
    }
}
