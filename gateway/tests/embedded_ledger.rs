//! EmbeddedLedger behaviour against docs/ledger.md, on a temp file with a manual clock.
//! Run: `cargo test -p easel-gateway --test embedded_ledger` (the manual
//! clock's feature comes from the crate's dev-dependency on itself).

// Modules live under tests/embedded_ledger/ (not tests/*.rs, which would be
// separate test crates).
#[path = "embedded_ledger/admin.rs"]
mod admin;
#[path = "embedded_ledger/durability.rs"]
mod durability;
#[path = "embedded_ledger/quota.rs"]
mod quota;
#[path = "embedded_ledger/races.rs"]
mod races;

use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;
use easel_gateway::ledger::embedded::EmbeddedLedger;
use easel_gateway::ledger::{
    Admission, Clock, Ledger, LedgerError, Reservation, ReserveRequest, SettleOutcome, Settlement,
    SharedConfig,
};
use easel_shared::admin::{Actor, CodeSpec, Redemption, UsageOutcome};
use easel_shared::config::{AccessMode, Config, PlanConfig, WindowConfig};
use easel_shared::{Denial, Refusal, RequestId, UnixMillis, UserKey};

const H: i64 = 3_600_000;
/// Day 20,000 at 01:00 UTC: far from a midnight, so spend days do not flip.
const START: i64 = 20_000 * UnixMillis::DAY + H;

fn window(limit: u32, hours: u64) -> WindowConfig {
    WindowConfig {
        limit,
        period: Duration::from_secs(hours * 3600),
    }
}

/// `free`: 10 per 3 h and 30 per 24 h, no in-flight cap; `gold`: 100 per 1 h.
fn config() -> Config {
    let mut c = Config::default();
    c.plans.clear();
    // No practical image cap (unvalidated config): these tests are about
    // windows and credits, not the plan policy.
    let plan = |windows, max_in_flight| PlanConfig {
        windows,
        max_in_flight,
        max_n: 50,
        ..PlanConfig::default()
    };
    c.plans
        .insert("free".into(), plan(vec![window(10, 3), window(30, 24)], 0));
    c.plans.insert("gold".into(), plan(vec![window(100, 1)], 0));
    c.ledger.lease = Duration::from_secs(60);
    c
}

struct Env {
    dir: tempfile::TempDir,
    config: SharedConfig,
    clock: Clock,
    ledger: EmbeddedLedger,
}

impl Env {
    fn new(c: Config) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let config: SharedConfig = Arc::new(ArcSwap::from_pointee(c));
        let clock = Clock::manual(UnixMillis(START));
        let ledger = open(&dir, &config, &clock);
        Self {
            dir,
            config,
            clock,
            ledger,
        }
    }

    fn edit(&self, f: impl FnOnce(&mut Config)) {
        let mut c = (**self.config.load()).clone();
        f(&mut c);
        self.config.store(Arc::new(c));
    }

    fn advance_ms(&self, ms: i64) {
        self.clock.advance(Duration::from_millis(ms as u64));
    }

    async fn reserve(&self, user: UserKey, id: &str, images: u32, cpi: u32) -> Admission {
        self.ledger
            .reserve(&req(user, id, images, cpi, 0))
            .await
            .unwrap()
    }

    async fn settle(&self, user: UserKey, id: &str, how: Settlement) -> SettleOutcome {
        self.ledger.settle(user, &rid(id), how).await.unwrap()
    }
}

fn open(dir: &tempfile::TempDir, config: &SharedConfig, clock: &Clock) -> EmbeddedLedger {
    EmbeddedLedger::open(
        &dir.path().join("ledger.redb"),
        config.clone(),
        clock.clone(),
    )
    .unwrap()
}

fn rid(id: &str) -> RequestId {
    RequestId::new(id).unwrap()
}

fn req(user: UserKey, id: &str, images: u32, cpi: u32, est: u64) -> ReserveRequest {
    ReserveRequest {
        id: rid(id),
        user,
        images,
        credits_per_image: cpi,
        est_cost_micros: est,
        backend: "openai".into(),
        quality: easel_shared::render::Quality::Auto,
        edit: false,
        guard: false,
        key: None,
    }
}

fn admitted(a: Admission) -> Reservation {
    match a {
        Admission::Admitted(r) => r,
        other => panic!("expected admission, got {other:?}"),
    }
}

fn denial(a: Admission) -> Denial {
    match a {
        Admission::Denied(Refusal { denial, .. }) => denial,
        other => panic!("expected denial, got {other:?}"),
    }
}

fn delivered(images: u32) -> Settlement {
    Settlement::Delivered {
        images,
        cost_micros: 1000,
    }
}

const U: UserKey = UserKey {
    platform: easel_shared::Platform::Telegram,
    id: 7,
};
