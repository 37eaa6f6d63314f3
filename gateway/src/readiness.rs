//! Readiness (`/readyz`): named checks (the ledger, the result store, each
//! enabled chat platform), each success cached for a short TTL so a busy
//! probe loop or several load balancers cannot hammer Redis or a platform.
//! Liveness stays `/healthz` (the process answers), which never calls out.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use easel_shared::results::ResultId;
use serde::Serialize;
use tokio::time::Instant;

use crate::ledger::Ledger;
use crate::results::ResultStore;

/// How long a check's success is reused (a failure is asked again next
/// time, so recovery shows at once).
pub const DEFAULT_TTL: Duration = Duration::from_secs(5);

/// How long one check may take before it counts as failed.
pub const CHECK_TIMEOUT: Duration = Duration::from_secs(3);

/// What a check returns: `Err` says, without secrets, what is wrong.
pub type CheckFuture = Pin<Box<dyn Future<Output = Result<(), String>> + Send>>;

/// A readiness check: called at most once per TTL.
pub type Check = Arc<dyn Fn() -> CheckFuture + Send + Sync>;

/// One check's verdict as `/readyz` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckReport {
    /// The check's name (`ledger`, `results`, `telegram`, `discord`).
    pub name: String,
    /// Whether it is reachable.
    pub ok: bool,
    /// Why not (absent when ok).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The `/readyz` body: ready only when every check is ok.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReadyReport {
    /// All checks ok.
    pub ready: bool,
    /// Each check, in registration order.
    pub checks: Vec<CheckReport>,
}

/// The set of checks behind `/readyz`. Cheap to clone; clones share the cache.
#[derive(Clone)]
pub struct Readiness {
    inner: Arc<Inner>,
}

struct Inner {
    /// Each check, and whether its success may be reused for the TTL.
    checks: Mutex<Vec<(String, Check, bool)>>,
    ttl: Duration,
    /// When each check last passed (only successes are reused).
    cache: Mutex<Vec<(String, Instant)>>,
}

impl std::fmt::Debug for Readiness {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Readiness")
            .field("ttl", &self.inner.ttl)
            .finish_non_exhaustive()
    }
}

impl Readiness {
    /// No checks yet (ready); answers are reused for `ttl`.
    pub fn new(ttl: Duration) -> Self {
        Self {
            inner: Arc::new(Inner {
                checks: Mutex::default(),
                ttl,
                cache: Mutex::default(),
            }),
        }
    }

    /// Adds a check (frontends add theirs as they are configured).
    pub fn add(&self, name: &str, check: Check) {
        lock(&self.inner.checks).push((name.to_owned(), check, true));
    }

    /// Adds a check that is asked every time (it costs nothing: a flag).
    pub fn add_uncached(&self, name: &str, check: Check) {
        lock(&self.inner.checks).push((name.to_owned(), check, false));
    }

    /// Adds the ledger check: reads today's spend (one round trip).
    pub fn add_ledger(&self, ledger: Arc<dyn Ledger>) {
        self.add(
            "ledger",
            Arc::new(move || {
                let ledger = ledger.clone();
                Box::pin(async move {
                    ledger
                        .spend_today()
                        .await
                        .map(drop)
                        .map_err(|e| e.to_string())
                })
            }),
        );
    }

    /// Adds the result store check: looks up a result id that never exists.
    pub fn add_results(&self, results: Arc<dyn ResultStore>) {
        self.add(
            "results",
            Arc::new(move || {
                let results = results.clone();
                Box::pin(async move {
                    let probe = ResultId::from_entropy(0);
                    results
                        .get(&probe)
                        .await
                        .map(drop)
                        .map_err(|e| e.to_string())
                })
            }),
        );
    }

    /// Runs every check whose cached answer is older than the TTL
    /// (concurrently, each within [`CHECK_TIMEOUT`]) and reports all.
    pub async fn report(&self) -> ReadyReport {
        let checks = lock(&self.inner.checks).clone();
        let now = Instant::now();
        let answers =
            futures::future::join_all(checks.iter().map(|(name, check, cached)| async move {
                if *cached && let Some(cached) = self.cached(name, now) {
                    return cached;
                }
                let answer = match tokio::time::timeout(CHECK_TIMEOUT, check()).await {
                    Ok(answer) => answer,
                    Err(_) => Err(format!("no answer within {CHECK_TIMEOUT:?}")),
                };
                if answer.is_ok() {
                    self.store_success(name);
                }
                answer
            }))
            .await;
        let checks: Vec<CheckReport> = checks
            .iter()
            .zip(answers)
            .map(|((name, _, _), answer)| CheckReport {
                name: name.clone(),
                ok: answer.is_ok(),
                error: answer.err(),
            })
            .collect();
        ReadyReport {
            ready: checks.iter().all(|c| c.ok),
            checks,
        }
    }

    fn cached(&self, name: &str, now: Instant) -> Option<Result<(), String>> {
        lock(&self.inner.cache)
            .iter()
            .any(|(n, at)| n == name && now.duration_since(*at) < self.inner.ttl)
            .then_some(Ok(()))
    }

    fn store_success(&self, name: &str) {
        let mut cache = lock(&self.inner.cache);
        cache.retain(|(n, _)| n != name);
        cache.push((name.to_owned(), Instant::now()));
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // Every critical section leaves the data consistent before it can panic.
    m.lock().unwrap_or_else(|e| e.into_inner())
}
