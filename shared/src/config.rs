//! The configuration file's schema (TOML). Parsed once at start-up and on
//! reload; every section has defaults so a minimal file works. Validation that
//! needs more than types lives in [`Config::validate`].

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::ids::UserKey;
use crate::render::{Quality, Shape};
use crate::secret::Secret;

mod backends;
pub mod capabilities;
mod discord;
mod gateway;
mod ops;
mod telegram;

pub use backends::{
    BackendConfig, BackendKind, BackendsConfig, BreakerConfig, ImageAction, ModelPrice,
    RetryConfig, parse_ratio,
};
pub use capabilities::{ImageSizeTier, ModelCaps, ResolvedCaps};
pub use discord::{
    DiscordConfig, DiscordMode, GuildAdminRoles, ShardStart, ShardTotal, ShardsConfig,
};
pub use gateway::GatewayConfig;
pub use ops::{LogConfig, LogFormat};
pub use telegram::{TelegramConfig, TelegramMode};

/// The whole configuration. Sections are added by the crates that use them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Where quota state lives and how it is kept.
    pub ledger: LedgerConfig,
    /// Who may use the bot and who administers it.
    pub access: AccessConfig,
    /// Plans by name.
    pub plans: BTreeMap<String, PlanConfig>,
    /// Credits charged per image.
    pub costs: CostConfig,
    /// The deployment-wide daily budget.
    pub spend: SpendConfig,
    /// Access-code redemption limits.
    pub redeem: RedeemConfig,
    /// The gateway's HTTP server (admin API, health).
    pub http: HttpConfig,
    /// What is kept of each result (prompts, images) and for how long.
    #[serde(default)]
    pub results: ResultsConfig,
    /// Image backends, their fallback order, retries and prices.
    #[serde(default)]
    pub backends: BackendsConfig,
    /// The job runner: concurrency, provider pacing, queue caps.
    pub runner: RunnerConfig,
    /// The cooldown after repeated safety blocks.
    pub safety: SafetyConfig,
    /// The Telegram frontend.
    #[serde(default)]
    pub telegram: TelegramConfig,
    /// The Discord frontend.
    #[serde(default)]
    pub discord: DiscordConfig,
    /// The gateway as its own service (a bot's remote URL, frontend tokens).
    #[serde(default)]
    pub gateway: GatewayConfig,
    /// How log lines are written (text or JSON).
    #[serde(default)]
    pub log: LogConfig,
}

impl Default for Config {
    fn default() -> Self {
        let mut plans = BTreeMap::new();
        plans.insert("free".to_owned(), PlanConfig::default());
        Self {
            ledger: LedgerConfig::default(),
            access: AccessConfig::default(),
            plans,
            costs: CostConfig::default(),
            spend: SpendConfig::default(),
            redeem: RedeemConfig::default(),
            http: HttpConfig::default(),
            results: ResultsConfig::default(),
            backends: BackendsConfig::default(),
            runner: RunnerConfig::default(),
            safety: SafetyConfig::default(),
            telegram: TelegramConfig::default(),
            discord: DiscordConfig::default(),
            gateway: GatewayConfig::default(),
            log: LogConfig::default(),
        }
    }
}

/// A configuration that parses but cannot work; names the key at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("config key `{key}`: {problem}")]
pub struct ConfigError {
    /// The dotted key, e.g. `plans.free.windows`.
    pub key: String,
    /// What is wrong with it.
    pub problem: String,
}

impl Config {
    /// Checks what types cannot: referenced plans exist, windows are sane.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let err = |key: String, problem: &str| ConfigError {
            key,
            problem: problem.to_owned(),
        };
        if self.plans.is_empty() {
            return Err(err("plans".into(), "define at least one plan"));
        }
        if !self.plans.contains_key(&self.access.default_plan) {
            return Err(err(
                "access.default_plan".into(),
                "names no plan in [plans]",
            ));
        }
        for (name, plan) in &self.plans {
            if name.is_empty()
                || name.len() > 32
                || !name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
            {
                return Err(err(
                    format!("plans.{name}"),
                    "plan names are 1-32 of a-z, 0-9, _ and -",
                ));
            }
            if plan.windows.is_empty() {
                return Err(err(
                    format!("plans.{name}.windows"),
                    "a plan needs at least one window",
                ));
            }
            for (i, w) in plan.windows.iter().enumerate() {
                if w.limit == 0 || w.period < Duration::from_secs(1) {
                    return Err(err(
                        format!("plans.{name}.windows[{i}]"),
                        "limit must be >= 1 and period >= 1s",
                    ));
                }
            }
            if plan.max_n == 0 || plan.max_n > 10 {
                return Err(err(format!("plans.{name}.max_n"), "must be 1..=10"));
            }
        }
        if self.costs.per_image == 0 {
            return Err(err("costs.per_image".into(), "must be >= 1"));
        }
        self.backends.validate()?;
        if self.spend.daily_cap_micros > 0
            && let Some(model) = self.backends.unpriced_model()
        {
            return Err(err(
                format!("backends.prices.\"{model}\""),
                "spend.daily_cap_micros is set but this model has no price, so its spend would count 0",
            ));
        }
        self.telegram.validate()?;
        self.discord.validate()?;
        self.gateway.validate()?;
        if self.ledger.lease < Duration::from_secs(5) {
            return Err(err("ledger.lease".into(), "must be at least 5s"));
        }
        if self.runner.queue == QueueKind::Redis && self.ledger.redis_url.is_empty() {
            return Err(err(
                "runner.queue".into(),
                "\"redis\" needs the ledger on Redis (ledger.redis_url)",
            ));
        }
        Ok(())
    }

    /// The longest window of any plan: how long reservation history must be kept.
    pub fn longest_window(&self) -> Duration {
        self.plans
            .values()
            .flat_map(|p| p.windows.iter().map(|w| w.period))
            .max()
            .unwrap_or(Duration::from_secs(86_400))
    }
}

/// Where the ledger keeps its state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LedgerConfig {
    /// `redis://host:port/db`; empty means the embedded single-file store.
    pub redis_url: String,
    /// Prefix of every Redis key, so several deployments can share one Redis.
    pub key_prefix: String,
    /// The embedded store's file.
    pub path: String,
    /// The settle outbox's file (a local redb): settles that could not reach
    /// the ledger wait here until they land (docs/ledger.md).
    pub outbox_path: String,
    /// How long a running job's reservation lives without renewal before the reaper refunds it.
    #[serde(with = "humantime_serde")]
    pub lease: Duration,
    /// How often the reaper looks for expired leases.
    #[serde(with = "humantime_serde")]
    pub reap_every: Duration,
}

impl Default for LedgerConfig {
    fn default() -> Self {
        Self {
            redis_url: String::new(),
            key_prefix: "easel:".to_owned(),
            path: "easel-ledger.redb".to_owned(),
            outbox_path: "easel-settles.redb".to_owned(),
            lease: Duration::from_secs(120),
            reap_every: Duration::from_secs(15),
        }
    }
}

/// How new users get access.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum AccessMode {
    /// Everyone gets the default plan.
    #[default]
    Open,
    /// Nothing until the user redeems an access code.
    Code,
    /// Only users in `access.allowlist` (or given a plan by an admin).
    Allowlist,
}

/// Who may use the bot and who administers it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AccessConfig {
    /// How new users get access.
    pub mode: AccessMode,
    /// The plan of users with no plan of their own (mode `open`, allowlisted users).
    pub default_plan: String,
    /// Users allowed in mode `allowlist`, as `tg:<id>` / `dc:<id>`.
    pub allowlist: Vec<UserKey>,
    /// Users who may run admin commands.
    pub admins: Vec<UserKey>,
}

impl Default for AccessConfig {
    fn default() -> Self {
        Self {
            mode: AccessMode::Open,
            default_plan: "free".to_owned(),
            allowlist: Vec::new(),
            admins: Vec::new(),
        }
    }
}

/// One rolling window: at most `limit` credits in any `period`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WindowConfig {
    /// Credits allowed per period.
    pub limit: u32,
    /// The rolling period, e.g. `3h`.
    #[serde(with = "humantime_serde")]
    pub period: Duration,
}

/// The in-process anti-flood limiter: one request per `every`, up to `burst` at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BurstConfig {
    /// Time to earn one more request.
    #[serde(with = "humantime_serde")]
    pub every: Duration,
    /// Requests allowed back to back.
    pub burst: u32,
}

/// What a plan allows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PlanConfig {
    /// Every window must have room (exact rolling windows, all at once).
    pub windows: Vec<WindowConfig>,
    /// Requests running at once per user; 0 means no cap.
    pub max_in_flight: u32,
    /// Most images per request.
    pub max_n: u8,
    /// Qualities the plan may ask for (empty: all).
    pub qualities: Vec<Quality>,
    /// Whether the plan may edit images (inputs, replies, variations).
    pub allow_edit: bool,
    /// Most input images per request (an album's photos); the backend's
    /// own limit applies too. Checked before anything is downloaded.
    pub max_inputs: u32,
    /// Anti-flood limiter; absent means none.
    pub burst: Option<BurstConfig>,
    /// Queue priority: higher runs first among waiting jobs of equal fairness.
    pub priority: u8,
}

impl Default for PlanConfig {
    fn default() -> Self {
        Self {
            windows: vec![
                WindowConfig {
                    limit: 10,
                    period: Duration::from_secs(3 * 3600),
                },
                WindowConfig {
                    limit: 30,
                    period: Duration::from_secs(24 * 3600),
                },
            ],
            max_in_flight: 2,
            max_n: 4,
            qualities: Vec::new(),
            allow_edit: true,
            max_inputs: 10,
            burst: Some(BurstConfig {
                every: Duration::from_secs(15),
                burst: 2,
            }),
            priority: 0,
        }
    }
}

/// Credits per image: `quality[q]` (or `per_image`) times `large_multiplier` for large sizes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CostConfig {
    /// Credits per image when no quality rule applies.
    pub per_image: u32,
    /// Credits per image by quality, e.g. `{ high = 3 }`.
    pub quality: BTreeMap<Quality, u32>,
    /// Multiplier for images over ~1.6 megapixels.
    pub large_multiplier: u32,
}

impl Default for CostConfig {
    fn default() -> Self {
        Self {
            per_image: 1,
            quality: BTreeMap::new(),
            large_multiplier: 1,
        }
    }
}

impl CostConfig {
    /// Credits for one image of this quality and shape.
    pub fn credits_per_image(&self, quality: Quality, shape: Shape) -> u32 {
        let base = self
            .quality
            .get(&quality)
            .copied()
            .unwrap_or(self.per_image);
        if shape.is_large() {
            base.saturating_mul(self.large_multiplier.max(1))
        } else {
            base
        }
    }
}

/// The deployment-wide daily budget, in micro-dollars (1 USD = 1,000,000).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct SpendConfig {
    /// Most spend per UTC day across all users; 0 means no cap. Every
    /// backend's model must then have a price (checked at start-up).
    pub daily_cap_micros: u64,
    /// Most one request may be estimated to cost; 0 means no limit. A dearer
    /// request is refused before anything is held or called.
    pub max_request_micros: u64,
}

/// Limits on access-code redemption attempts (per process, governor).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RedeemConfig {
    /// Attempts a user may make back to back.
    pub burst: u32,
    /// Time to earn one more attempt.
    #[serde(with = "humantime_serde")]
    pub every: Duration,
}

impl Default for RedeemConfig {
    fn default() -> Self {
        Self {
            burst: 5,
            every: Duration::from_secs(60),
        }
    }
}

/// The gateway's HTTP server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HttpConfig {
    /// Address to listen on; empty disables the HTTP server.
    pub listen: String,
    /// Bearer token for `/admin/v1/*`; empty disables the admin API.
    pub admin_token: Secret,
    /// Bearer token `/metrics` asks for; empty serves it to anyone who can
    /// reach `listen` (keep `listen` private then).
    #[serde(default)]
    pub metrics_token: Secret,
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:8787".to_owned(),
            admin_token: Secret::default(),
            metrics_token: Secret::default(),
        }
    }
}

/// The job runner. Read when the runner starts (a change needs a restart).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RunnerConfig {
    /// Upstream calls running at once (>= 1).
    pub concurrency: u32,
    /// Images started per minute across all users, to stay under the
    /// provider's rate limit; 0 means no pacing.
    pub images_per_minute: u32,
    /// Jobs one user may have waiting in the queue (0: no cap).
    pub max_queued_per_user: u32,
    /// Input images decoded at once across all users (>= 1): decoding is
    /// CPU and memory heavy, so more would only queue behind the cores.
    pub decodes_at_once: u32,
    /// Most bytes held by input decodes at once (file plus decoded pixels,
    /// estimated from the header), so a crowd of large photos cannot
    /// exhaust memory. One image larger than this runs alone.
    pub decode_memory: u64,
    /// How long an input waits for decode room before the user is told
    /// "busy, try again" (nothing charged).
    #[serde(with = "humantime_serde")]
    pub decode_wait: Duration,
    /// On SIGTERM, how long running jobs may take to finish before their
    /// upstream calls are stopped and refunded (waiting jobs are refunded at once).
    #[serde(with = "humantime_serde")]
    pub shutdown_grace: Duration,
    /// Where admitted jobs wait: `memory` (this process's fair queue, the
    /// default) or `redis` (shared by every replica on the ledger's Redis;
    /// then `concurrency` and `images_per_minute` hold for the whole
    /// deployment). See docs/queue.md.
    pub queue: QueueKind,
    /// On the shared queue: upstream calls this process runs at once
    /// (0: `concurrency`). Unused with `queue = "memory"`.
    pub workers: u32,
}

/// Where admitted jobs wait (`runner.queue`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QueueKind {
    /// In this process: jobs run where they were accepted.
    #[default]
    Memory,
    /// On the ledger's Redis (Streams + a consumer group): any replica runs them.
    Redis,
}

impl Default for RunnerConfig {
    fn default() -> Self {
        Self {
            concurrency: 4,
            images_per_minute: 0,
            max_queued_per_user: 4,
            decodes_at_once: 2,
            decode_memory: 512 * 1024 * 1024,
            decode_wait: Duration::from_secs(30),
            shutdown_grace: Duration::from_secs(60),
            queue: QueueKind::Memory,
            workers: 0,
        }
    }
}

/// The result store: lineage and original images for continuing a conversation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ResultsConfig {
    /// A Redis (or `redis+cluster://` cluster) of its own for results, where
    /// eviction is allowed (e.g. `allkeys-lru`), so images never fill the
    /// ledger's memory. Empty: the ledger's Redis if it has one (with a
    /// start-up warning), else the embedded file at `path`.
    pub redis_url: String,
    /// How long the provider's original bytes (and the inputs) are kept; the
    /// prompt and lineage outlive them.
    #[serde(with = "humantime_serde")]
    pub retention: Duration,
    /// How long prompts, lineage and message lookups are kept on Redis (their
    /// TTL; never shorter than `retention`).
    #[serde(with = "humantime_serde")]
    pub record_retention: Duration,
    /// Most bytes of stored images in total; the oldest are evicted first.
    pub max_total_bytes: u64,
    /// The embedded store's file (separate from the ledger's).
    pub path: String,
}

impl Default for ResultsConfig {
    fn default() -> Self {
        Self {
            redis_url: String::new(),
            retention: Duration::from_secs(7 * 86_400),
            record_retention: Duration::from_secs(30 * 86_400),
            max_total_bytes: 2 << 30,
            path: "easel-results.redb".to_owned(),
        }
    }
}

/// Repeated safety blocks put a user on a cooldown: the provider may suspend
/// the operator's account for them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SafetyConfig {
    /// Blocks within `window` that start a cooldown; 0 disables it.
    pub blocks_before_cooldown: u32,
    /// The rolling window blocks are counted in; the cooldown lasts until
    /// enough of them age out of it.
    #[serde(with = "humantime_serde")]
    pub window: Duration,
}

impl Default for SafetyConfig {
    fn default() -> Self {
        Self {
            blocks_before_cooldown: 5,
            window: Duration::from_secs(24 * 3600),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_config_is_valid() {
        Config::default().validate().unwrap();
    }

    #[test]
    fn validation_names_the_key() {
        let mut c = Config::default();
        c.access.default_plan = "gold".into();
        assert_eq!(c.validate().unwrap_err().key, "access.default_plan");
    }

    #[test]
    fn a_daily_cap_without_a_price_names_the_model() {
        let mut c = Config::default();
        c.backends.chain.push(BackendConfig {
            name: "openai".into(),
            model: "gpt-image-2".into(),
            ..Default::default()
        });
        c.validate().unwrap();
        c.spend.daily_cap_micros = 5_000_000;
        let e = c.validate().unwrap_err();
        assert_eq!(e.key, "backends.prices.\"gpt-image-2\"");
        c.backends.prices.insert(
            "gpt-image-2".into(),
            ModelPrice {
                default_per_image: 40_000,
                ..Default::default()
            },
        );
        c.validate().unwrap();
    }

    #[test]
    fn results_section_defaults_and_parses() {
        let r = ResultsConfig::default();
        assert_eq!(r.retention, Duration::from_secs(7 * 86_400));
        assert_eq!(r.max_total_bytes, 2 * 1024 * 1024 * 1024);
        let parsed: ResultsConfig =
            serde_json::from_str(r#"{"retention":"3d","max_total_bytes":1000}"#).unwrap();
        assert_eq!(parsed.retention, Duration::from_secs(3 * 86_400));
        assert_eq!(parsed.path, "easel-results.redb");
    }

    #[test]
    fn costs_follow_quality_then_size() {
        let mut c = CostConfig::default();
        c.quality.insert(Quality::High, 3);
        c.large_multiplier = 2;
        assert_eq!(c.credits_per_image(Quality::Low, Shape::Auto), 1);
        assert_eq!(c.credits_per_image(Quality::High, Shape::Auto), 3);
        assert_eq!(
            c.credits_per_image(
                Quality::High,
                Shape::Exact {
                    width: 2048,
                    height: 2048
                }
            ),
            6
        );
    }
}
