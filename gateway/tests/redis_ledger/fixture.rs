//! Shared set-up: a config with small windows, a manual clock, a unique key
//! prefix per test, and clean-up of that prefix.

use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;
use easel_gateway::ledger::redis::RedisLedger;
use easel_gateway::ledger::{
    Admission, Clock, Ledger, Reservation, ReserveRequest, SettleOutcome, Settlement, SharedConfig,
};
use easel_shared::config::{Config, PlanConfig, WindowConfig};
use easel_shared::{Denial, Refusal, RequestId, UnixMillis, UserKey};

/// A fixed start (2026-09-20), far from a UTC midnight.
pub(crate) const START: UnixMillis = UnixMillis(1_790_000_000_000 + 3_600_000);
pub(crate) const HOUR: Duration = Duration::from_secs(3600);
pub(crate) const LEASE: Duration = Duration::from_secs(60);

pub(crate) fn redis_url() -> String {
    std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned())
}

/// A plan with the given windows (limit, period) and in-flight cap.
pub(crate) fn plan(windows: &[(u32, Duration)], max_in_flight: u32) -> PlanConfig {
    PlanConfig {
        windows: windows
            .iter()
            .map(|&(limit, period)| WindowConfig { limit, period })
            .collect(),
        max_in_flight,
        // No practical image cap (unvalidated config): these tests are about
        // windows and credits, not the plan policy.
        max_n: 50,
        ..PlanConfig::default()
    }
}

/// Default plan "basic": 5 per hour and 8 per day, no in-flight cap; "pro": 100 per hour.
pub(crate) fn config() -> Config {
    let mut c = Config::default();
    c.plans.clear();
    c.plans
        .insert("basic".into(), plan(&[(5, HOUR), (8, 24 * HOUR)], 0));
    c.plans.insert("pro".into(), plan(&[(100, HOUR)], 0));
    c.access.default_plan = "basic".into();
    c.ledger.lease = LEASE;
    c
}

/// One test's world: its prefix, clock and config.
pub(crate) struct Fixture {
    pub(crate) prefix: String,
    pub(crate) clock: Clock,
    pub(crate) config: SharedConfig,
}

impl Fixture {
    pub(crate) fn new(test: &str, config: Config) -> Self {
        Self {
            prefix: format!("easel-test:{test}:{}:", rand::random::<u64>()),
            clock: Clock::manual(START),
            config: Arc::new(ArcSwap::from_pointee(config)),
        }
    }

    /// A ledger with its own connection.
    pub(crate) async fn ledger(&self) -> RedisLedger {
        RedisLedger::connect(
            &redis_url(),
            &self.prefix,
            Arc::clone(&self.config),
            self.clock.clone(),
        )
        .await
        .expect("Redis at REDIS_URL")
    }

    /// Deletes every key under this test's prefix.
    pub(crate) async fn cleanup(&self) {
        let client = redis::Client::open(redis_url()).expect("url");
        let mut con = client
            .get_multiplexed_async_connection()
            .await
            .expect("connect");
        let keys: Vec<String> = redis::cmd("KEYS")
            .arg(format!("{}*", self.prefix))
            .query_async(&mut con)
            .await
            .expect("KEYS");
        if !keys.is_empty() {
            let _: () = redis::cmd("DEL")
                .arg(&keys)
                .query_async(&mut con)
                .await
                .expect("DEL");
        }
    }
}

pub(crate) fn id(s: &str) -> RequestId {
    RequestId::new(s).expect("valid id")
}

pub(crate) fn req(user: UserKey, rid: &str, images: u32) -> ReserveRequest {
    ReserveRequest {
        id: id(rid),
        user,
        images,
        credits_per_image: 1,
        est_cost_micros: 1_000,
        backend: "openai".into(),
        quality: easel_shared::render::Quality::Auto,
        edit: false,
        guard: false,
        key: None,
    }
}

pub(crate) async fn admit(l: &impl Ledger, r: &ReserveRequest) -> Reservation {
    match l.reserve(r).await.expect("reserve") {
        Admission::Admitted(res) => res,
        other => panic!("{} denied: {other:?}", r.id),
    }
}

pub(crate) async fn deny(l: &impl Ledger, r: &ReserveRequest) -> (Denial, bool) {
    match l.reserve(r).await.expect("reserve") {
        Admission::Denied(Refusal {
            denial,
            notify_admins,
        }) => (denial, notify_admins),
        other => panic!("{} admitted: {other:?}", r.id),
    }
}

pub(crate) fn delivered(images: u32, cost_micros: u64) -> Settlement {
    Settlement::Delivered {
        images,
        cost_micros,
    }
}

pub(crate) async fn settle(
    l: &impl Ledger,
    user: UserKey,
    rid: &str,
    how: Settlement,
) -> SettleOutcome {
    l.settle(user, &id(rid), how).await.expect("settle")
}
