//! Small configs for ledger tests: plans with exact windows and nothing else
//! (no burst limiter, no in-flight cap unless asked), so each test states only
//! the rule it checks.

use std::time::Duration;

use easel_shared::config::{AccessMode, Config, PlanConfig, WindowConfig};

/// One hour.
pub const HOUR: Duration = Duration::from_secs(3600);
/// The lease every test config uses.
pub const LEASE: Duration = Duration::from_secs(120);
/// A plan every config has besides `free`: roomy, for set_plan and codes.
pub const PRO: &str = "pro";

/// A plan with these `(limit, period)` windows and no in-flight cap.
pub fn plan(windows: &[(u32, Duration)]) -> PlanConfig {
    PlanConfig {
        windows: windows
            .iter()
            .map(|&(limit, period)| WindowConfig { limit, period })
            .collect(),
        max_in_flight: 0,
        max_n: 10,
        burst: None,
        ..PlanConfig::default()
    }
}

/// Mode `open`, default plan `free` = `free`, plus [`PRO`] (100 per 3 h), no spend cap.
pub fn config(free: PlanConfig) -> Config {
    let mut c = Config::default();
    c.plans.clear();
    c.plans.insert("free".to_owned(), free);
    c.plans.insert(PRO.to_owned(), plan(&[(100, 3 * HOUR)]));
    c.access.default_plan = "free".to_owned();
    c.access.mode = AccessMode::Open;
    c.ledger.lease = LEASE;
    c.spend.daily_cap_micros = 0;
    c.validate().expect("test config is valid");
    c
}

/// `config` with one window of `limit` per `period`.
pub fn one_window(limit: u32, period: Duration) -> Config {
    config(plan(&[(limit, period)]))
}

/// `config` in another access mode.
pub fn in_mode(mut c: Config, mode: AccessMode) -> Config {
    c.access.mode = mode;
    c
}
