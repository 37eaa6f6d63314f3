//! What the scripts need from the live config, built once per config version.
//!
//! The config is swapped whole on reload (`ArcSwap`), so "version" is the
//! `Arc` itself: while the pointer is unchanged the cached plans JSON is
//! reused and the hot path serialises nothing.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use easel_shared::UserKey;
use easel_shared::config::{AccessMode, Config};
use easel_shared::render::Quality;
use serde_json::{Map, Value, json};

use crate::ledger::SharedConfig;

/// Records outlive the longest window, and at least this long, so replays and
/// late settles still find them.
const MIN_RETENTION_MS: i64 = 48 * 3_600_000;

/// Script arguments derived from one config version.
#[derive(Debug)]
pub(super) struct Policy {
    config: Arc<Config>,
    /// `{name: {w: [[limit, period_ms], ...], f: max_in_flight, n: max_n,
    /// q: {quality: true} (empty: all), e: allow_edit, p: priority,
    /// b: [every_ms, burst] (absent: no burst limit)}}`.
    pub(super) plans_json: String,
    /// `access.default_plan`.
    pub(super) default_plan: String,
    /// `open`, `code` or `allowlist`.
    pub(super) mode: &'static str,
    /// The safety cooldown's window (ms) and threshold, as the reserve's
    /// guard checks them.
    pub(super) cooldown: (String, String),
    /// `ledger.lease` in ms.
    pub(super) lease_ms: i64,
    /// The longest window of any plan, in ms: the rolling log's horizon.
    pub(super) longest_ms: i64,
    /// How long finished reservation records are kept.
    pub(super) retention_ms: i64,
    /// `access.allowlist`, for constant-time lookups on the hot path.
    allowlist: HashSet<UserKey>,
}

impl Policy {
    fn build(config: Arc<Config>) -> Self {
        let plans: Map<String, Value> = config
            .plans
            .iter()
            .map(|(name, plan)| {
                let windows: Vec<[i64; 2]> = plan
                    .windows
                    .iter()
                    .map(|w| [i64::from(w.limit), millis(w.period)])
                    .collect();
                // An object, not a list: cjson decodes `[]` and `{}` alike,
                // and a set is what the script asks.
                let qualities: Map<String, Value> = plan
                    .qualities
                    .iter()
                    .map(|q| (quality_name(*q).to_owned(), Value::Bool(true)))
                    .collect();
                let mut rules = json!({
                    "w": windows,
                    "f": plan.max_in_flight,
                    "n": plan.max_n,
                    "q": qualities,
                    "e": plan.allow_edit,
                    "p": plan.priority,
                });
                // Absent when the plan sets no burst limit (or a zero one).
                if let Some(b) = plan.burst.filter(|b| !b.every.is_zero() && b.burst > 0) {
                    rules["b"] = json!([millis(b.every), b.burst]);
                }
                (name.clone(), rules)
            })
            .collect();
        let longest_ms = millis(config.longest_window()).max(1);
        Self {
            plans_json: Value::Object(plans).to_string(),
            default_plan: config.access.default_plan.clone(),
            mode: match config.access.mode {
                AccessMode::Open => "open",
                AccessMode::Code => "code",
                AccessMode::Allowlist => "allowlist",
            },
            cooldown: (
                millis(config.safety.window).to_string(),
                config.safety.blocks_before_cooldown.to_string(),
            ),
            lease_ms: millis(config.ledger.lease).max(1),
            longest_ms,
            retention_ms: longest_ms.max(MIN_RETENTION_MS),
            allowlist: config.access.allowlist.iter().copied().collect(),
            config,
        }
    }

    /// The config this was built from.
    pub(super) fn config(&self) -> &Config {
        &self.config
    }

    /// `"1"` if the user is on the allowlist (the scripts' flag).
    pub(super) fn allowlisted(&self, user: UserKey) -> &'static str {
        if self.allowlist.contains(&user) {
            "1"
        } else {
            "0"
        }
    }
}

/// The last built [`Policy`], keyed by the config `Arc` it came from.
#[derive(Debug, Default)]
pub(super) struct PolicyCache(Mutex<Option<Arc<Policy>>>);

impl PolicyCache {
    /// The policy of the current config, rebuilt only after a reload.
    pub(super) fn get(&self, shared: &SharedConfig) -> Arc<Policy> {
        let current = shared.load();
        let mut slot = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        match slot.as_ref() {
            Some(p) if Arc::ptr_eq(&p.config, &current) => Arc::clone(p),
            _ => {
                let built = Arc::new(Policy::build(Arc::clone(&current)));
                *slot = Some(Arc::clone(&built));
                built
            }
        }
    }
}

/// A quality as the scripts name it (its serde name).
pub(super) fn quality_name(q: Quality) -> &'static str {
    match q {
        Quality::Auto => "auto",
        Quality::Low => "low",
        Quality::Medium => "medium",
        Quality::High => "high",
    }
}

fn millis(d: std::time::Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cached_until_the_config_is_swapped() {
        let shared: SharedConfig = Arc::new(arc_swap::ArcSwap::from_pointee(Config::default()));
        let cache = PolicyCache::default();
        let a = cache.get(&shared);
        assert!(Arc::ptr_eq(&a, &cache.get(&shared)));
        assert!(a.plans_json.contains(
            r#""free":{"b":[15000,2],"e":true,"f":2,"n":4,"p":0,"q":{},"w":[[10,10800000],[30,86400000]]}"#
        ));
        assert_eq!(a.retention_ms, MIN_RETENTION_MS);
        shared.store(Arc::new(Config::default()));
        assert!(!Arc::ptr_eq(&a, &cache.get(&shared)));
    }
}
