//! The ledger test harness: a fresh ledger of each kind per test (Redis, a
//! local Redis Cluster, embedded), driven by a manual clock, plus the
//! [`conformance!`](crate::conformance) macro that instantiates each
//! conformance test once per kind.
//!
//! Redis ledgers use the shared Redis (`REDIS_URL`) with a unique key prefix
//! per test; "independent instances" are separate `RedisLedger`s, each with its
//! own connection. The embedded store allows one opener per file (redb locks
//! it), so its "instances" are clones of one handle shared by many tasks.

pub mod config;
mod conformance;
pub mod requests;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use arc_swap::ArcSwap;
use easel_gateway::ledger::embedded::EmbeddedLedger;
use easel_gateway::ledger::redis::RedisLedger;
use easel_gateway::ledger::{Clock, Ledger, LedgerError, SharedConfig};
use easel_shared::UnixMillis;
use easel_shared::config::Config;
use tempfile::TempDir;

pub use requests::{req, rid, user};

/// Where every test's manual clock starts: 01:00 UTC on day 20,000, so a test
/// has 23 hours before the UTC day (and the spend cap) rolls over.
pub const T0: UnixMillis = UnixMillis(20_000 * UnixMillis::DAY + 3_600_000);

/// Which implementation a test runs against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `RedisLedger` on the shared Redis with a unique key prefix.
    Redis,
    /// `EmbeddedLedger` in a fresh temp file.
    Embedded,
    /// `RedisLedger` on this binary's local Redis Cluster
    /// ([`crate::redis_cluster::shared`]) with a unique key prefix.
    Cluster,
}

/// One conformance test's identity: the kind and the test's name (for key prefixes).
#[derive(Debug, Clone, Copy)]
pub struct Suite {
    /// The implementation under test.
    pub kind: Kind,
    /// The test's name, used in the Redis key prefix.
    pub name: &'static str,
}

impl Suite {
    /// Opens a fresh, empty ledger of this kind with `config` and a manual clock at [`T0`].
    pub async fn open(self, config: Config) -> Harness {
        Harness::open(self.kind, self.name, config).await
    }
}

/// The shared Redis the tests use.
pub fn redis_url() -> String {
    std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned())
}

/// A key prefix no other test (or earlier run) uses.
pub fn unique_prefix(test: &str) -> String {
    static SEQ: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    let seq = SEQ.fetch_add(1, Ordering::Relaxed);
    format!("easel-test:{test}:{}-{nanos:x}-{seq}:", std::process::id())
}

/// Wraps a config for a ledger constructor.
pub fn shared(config: Config) -> SharedConfig {
    Arc::new(ArcSwap::from_pointee(config))
}

/// Connects a `RedisLedger`.
pub async fn connect_redis(
    url: &str,
    prefix: &str,
    config: SharedConfig,
    clock: Clock,
) -> Result<RedisLedger, LedgerError> {
    RedisLedger::connect(url, prefix, config, clock).await
}

/// Opens an `EmbeddedLedger`.
pub async fn open_embedded(
    path: &Path,
    config: SharedConfig,
    clock: Clock,
) -> Result<EmbeddedLedger, LedgerError> {
    EmbeddedLedger::open(path, config, clock)
}

/// A fresh ledger under test with its clock and live config.
pub struct Harness {
    /// The implementation.
    pub kind: Kind,
    /// The ledger every helper below talks to.
    pub ledger: Arc<dyn Ledger>,
    /// The manual clock shared by every instance of this harness.
    pub clock: Clock,
    /// The live config: change it with [`Harness::reconfigure`].
    pub config: SharedConfig,
    /// Redis: the URL and key prefix, to connect more independent instances.
    redis: Option<(String, String)>,
    /// Embedded: the temp dir holding the file (deleted on drop).
    dir: Option<TempDir>,
}

impl Harness {
    /// Opens a fresh ledger of `kind` for the test `name`.
    pub async fn open(kind: Kind, name: &str, config: Config) -> Self {
        match kind {
            Kind::Redis => Self::open_redis(&redis_url(), name, config).await,
            Kind::Embedded => Self::open_embedded(config).await,
            Kind::Cluster => {
                let url = crate::redis_cluster::shared().url();
                let mut h = Self::open_redis(&url, name, config).await;
                h.kind = Kind::Cluster;
                h
            }
        }
    }

    /// A Redis harness on a given server (e.g. a private one).
    pub async fn open_redis(url: &str, name: &str, config: Config) -> Self {
        let clock = Clock::manual(T0);
        let config = shared(config);
        let prefix = unique_prefix(name);
        let ledger = connect_redis(url, &prefix, config.clone(), clock.clone())
            .await
            .expect("connect to Redis (is it running at REDIS_URL?)");
        Self {
            kind: Kind::Redis,
            ledger: Arc::new(ledger),
            clock,
            config,
            redis: Some((url.to_owned(), prefix)),
            dir: None,
        }
    }

    async fn open_embedded(config: Config) -> Self {
        let clock = Clock::manual(T0);
        let config = shared(config);
        let dir = tempfile::tempdir().expect("temp dir");
        let ledger = open_embedded(
            &dir.path().join("ledger.redb"),
            config.clone(),
            clock.clone(),
        )
        .await
        .expect("open the embedded ledger");
        Self {
            kind: Kind::Embedded,
            ledger: Arc::new(ledger),
            clock,
            config,
            redis: None,
            dir: Some(dir),
        }
    }

    /// The embedded store's file (None for Redis).
    pub fn path(&self) -> Option<PathBuf> {
        self.dir.as_ref().map(|d| d.path().join("ledger.redb"))
    }

    /// The Redis key prefix (None for the embedded store).
    pub fn prefix(&self) -> Option<&str> {
        self.redis.as_ref().map(|(_, p)| p.as_str())
    }

    /// Another instance on the same state: a new `RedisLedger` with its own
    /// connection, or (embedded: one opener per file) the same shared handle.
    pub async fn instance(&self) -> Arc<dyn Ledger> {
        match &self.redis {
            Some((url, prefix)) => Arc::new(
                connect_redis(url, prefix, self.config.clone(), self.clock.clone())
                    .await
                    .expect("connect another instance"),
            ),
            None => self.ledger.clone(),
        }
    }

    /// `n` independent instances (see [`Harness::instance`]).
    pub async fn instances(&self, n: usize) -> Vec<Arc<dyn Ledger>> {
        let mut all = Vec::with_capacity(n);
        for _ in 0..n {
            all.push(self.instance().await);
        }
        all
    }

    /// The manual clock's time.
    pub fn now(&self) -> UnixMillis {
        self.clock.now()
    }

    /// Moves the manual clock forward by `ms` milliseconds.
    pub fn advance_ms(&self, ms: i64) {
        self.clock.advance(Duration::from_millis(
            u64::try_from(ms).expect("forward only"),
        ));
    }

    /// Moves the manual clock to exactly `at` (forward only).
    pub fn advance_to(&self, at: UnixMillis) {
        let now = self.now();
        assert!(at >= now, "the clock only moves forward ({at:?} < {now:?})");
        self.advance_ms(at.0 - now.0);
    }

    /// Swaps in a changed config, as a reload would.
    pub fn reconfigure(&self, change: impl FnOnce(&mut Config)) {
        let mut next = Config::clone(&self.config.load());
        change(&mut next);
        self.config.store(Arc::new(next));
    }
}
