//! Limits hold with 3 replicas exactly as with one: burst cells (with the
//! pre-check's pass honoured by another replica's admit), redeem attempts,
//! the safety cooldown and event claims, on the shared Redis and on a
//! 3-master cluster. Each replica is its own `RedisLedger` (own connection)
//! and `Gatekeeper` on one key prefix and one manual clock; a single
//! gatekeeper on another prefix plays the same script, and both must give
//! the same answers, which are also written out below.

#[allow(unused_macros)]
#[path = "support/jobs.rs"]
mod support;

/// The harnesses live in the tests crate (which depends on this one), so
/// they are included by path; they need only std, redis and tempfile.
#[allow(unreachable_pub, dead_code)]
#[path = "../../tests/src/redis_cluster.rs"]
mod redis_cluster;

#[allow(unreachable_pub, dead_code)]
#[path = "../../tests/src/redis_server.rs"]
mod redis_server;

use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;
use easel_gateway::admission::{AdmitError, AdmitRequest, Gatekeeper};
use easel_gateway::ledger::redis::RedisLedger;
use easel_gateway::ledger::{Clock, Ledger, LedgerError, SharedConfig};
use easel_shared::config::{BurstConfig, Config};
use easel_shared::render::RenderOptions;
use easel_shared::request::Precheck;
use easel_shared::{Denial, Refusal, RequestId, UnixMillis, UserKey};

use support::{T0, roomy_config};

const MINUTE: Duration = Duration::from_secs(60);
const HOUR: Duration = Duration::from_secs(3600);

/// Burst 2 per minute, 2 redeem attempts per hour, cooldown after 2 blocks in an hour.
fn config() -> Config {
    let mut config = roomy_config();
    config.plans.get_mut("free").unwrap().burst = Some(BurstConfig {
        every: MINUTE,
        burst: 2,
    });
    config.redeem.every = HOUR;
    config.redeem.burst = 2;
    config.safety.blocks_before_cooldown = 2;
    config.safety.window = HOUR;
    config
}

fn unique_prefix(what: &str) -> String {
    static SEQ: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let seq = SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!(
        "easel-test:limits:{what}:{}-{nanos:x}-{seq}:",
        std::process::id()
    )
}

fn node_url() -> String {
    std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned())
}

/// `count` replicas on one prefix, sharing the config and the manual clock.
struct Replicas {
    keepers: Vec<Gatekeeper>,
    ledgers: Vec<Arc<dyn Ledger>>,
    clock: Clock,
}

impl Replicas {
    async fn start(url: &str, count: usize, what: &str) -> Self {
        let prefix = unique_prefix(what);
        let clock = Clock::manual(T0);
        let config: SharedConfig = Arc::new(ArcSwap::from_pointee(config()));
        let mut keepers = Vec::new();
        let mut ledgers = Vec::new();
        for _ in 0..count {
            let ledger: Arc<dyn Ledger> = Arc::new(
                RedisLedger::connect(url, &prefix, config.clone(), clock.clone())
                    .await
                    .unwrap(),
            );
            keepers.push(Gatekeeper::new(
                ledger.clone(),
                config.clone(),
                clock.clone(),
            ));
            ledgers.push(ledger);
        }
        Self {
            keepers,
            ledgers,
            clock,
        }
    }

    /// Replica `i` (round robin, so one replica plays every role).
    fn at(&self, i: usize) -> &Gatekeeper {
        &self.keepers[i % self.keepers.len()]
    }
}

fn precheck(user: UserKey, id: &str) -> Precheck {
    Precheck {
        id: RequestId::new(id).unwrap(),
        user,
        options: RenderOptions::default(),
        inputs: 0,
    }
}

fn admit(user: UserKey, id: &str) -> AdmitRequest {
    AdmitRequest {
        id: RequestId::new(id).unwrap(),
        user,
        options: RenderOptions::default(),
        is_edit: false,
        backend: "test".into(),
        est_cost_micros: 0,
        key: None,
    }
}

/// An answer as text, with times relative to T0 in seconds.
fn outcome<T>(result: Result<T, AdmitError>) -> String {
    let at = |t: UnixMillis| (t.0 - T0.0) / 1000;
    match result {
        Ok(_) => "ok".into(),
        Err(AdmitError::Replayed(_)) => "replayed".into(),
        Err(AdmitError::Denied(Refusal { denial, .. })) => match denial {
            Denial::Burst { retry_at } => format!("burst@{}", at(retry_at)),
            Denial::RedeemRate { retry_at } => format!("redeem-rate@{}", at(retry_at)),
            Denial::Cooldown { until } => format!("cooldown@{}", at(until)),
            other => format!("{other:?}"),
        },
        Err(AdmitError::Ledger(e)) => format!("ledger: {e}"),
    }
}

/// One script of requests, spread round robin over the replicas; returns
/// every answer in order.
async fn play(r: &Replicas) -> Vec<String> {
    let u = UserKey::telegram(7);
    let mut out = Vec::new();
    let mut step = 0;
    let mut next = || {
        step += 1;
        step
    };
    // Pre-check on one replica, admit on the next: one cell per request.
    for id in ["a", "b"] {
        out.push(outcome(r.at(next()).precheck(&precheck(u, id), 16).await));
        out.push(outcome(r.at(next()).admit(&admit(u, id)).await));
    }
    // Both cells are gone, whichever replica asks, at either step.
    out.push(outcome(r.at(next()).precheck(&precheck(u, "c"), 16).await));
    out.push(outcome(r.at(next()).admit(&admit(u, "d")).await));
    // A redelivery of an admitted request is a duplicate on every replica.
    out.push(outcome(r.at(next()).precheck(&precheck(u, "a"), 16).await));
    // A minute later one cell is back.
    r.clock.advance(MINUTE);
    out.push(outcome(r.at(next()).precheck(&precheck(u, "e"), 16).await));
    out.push(outcome(r.at(next()).admit(&admit(u, "e")).await));
    out.push(outcome(r.at(next()).admit(&admit(u, "f")).await));
    // Redeem attempts: two per hour across all replicas.
    for _ in 0..3 {
        out.push(outcome(r.at(next()).redeem(u, "NOT-A-CODE").await));
    }
    // Safety blocks recorded by different replicas add up.
    let first_block = r.clock.now();
    r.at(next()).safety().record_block(u).await.unwrap();
    r.clock.advance(MINUTE);
    let until = r.at(next()).safety().record_block(u).await.unwrap();
    out.push(format!(
        "block until {:?}",
        until.map(|t| (t.0 - T0.0) / 1000)
    ));
    out.push(outcome(r.at(next()).admit(&admit(u, "g")).await));
    // The first block ages out: below the threshold again.
    r.clock.advance(HOUR - MINUTE);
    assert_eq!(r.clock.now(), first_block.plus(HOUR));
    out.push(outcome(r.at(next()).admit(&admit(u, "g")).await));
    out
}

/// What one gatekeeper answers to [`play`]'s script.
fn expected() -> Vec<&'static str> {
    vec![
        "ok",
        "ok",
        "ok",
        "ok",
        "burst@60",
        "burst@60",
        "replayed",
        "ok",
        "ok",
        "burst@120",
        // Two attempts reach the ledger (an unknown code), the third waits
        // until the pair has drained to one: 60 s + 2 h - 1 h.
        "ok",
        "ok",
        "redeem-rate@3660",
        "block until Some(3660)",
        "cooldown@3660",
        "ok",
    ]
}

async fn three_replicas_answer_as_one(url: &str) {
    let one = Replicas::start(url, 1, "one").await;
    let three = Replicas::start(url, 3, "three").await;
    let by_one = play(&one).await;
    let by_three = play(&three).await;
    assert_eq!(by_one, expected(), "one gatekeeper");
    assert_eq!(by_three, by_one, "three replicas answer as one");
    // a, b, e and g admitted once each, by whichever replica: 4 credits held.
    let status = three.ledgers[0].status(UserKey::telegram(7)).await.unwrap();
    assert_eq!(status.windows[0].used, 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_replicas_limit_exactly_as_one_on_a_redis_node() {
    three_replicas_answer_as_one(&node_url()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_replicas_limit_exactly_as_one_on_a_redis_cluster() {
    three_replicas_answer_as_one(&redis_cluster::shared().url()).await;
}

/// Many concurrent requests over three replicas (each its own connection)
/// get exactly the burst, however they interleave.
async fn concurrent_requests_get_exactly_the_burst(url: &str) {
    let r = Arc::new(Replicas::start(url, 3, "race").await);
    let u = UserKey::discord(11);
    let tasks: Vec<_> = (0..24)
        .map(|i| {
            let r = Arc::clone(&r);
            tokio::spawn(async move {
                let id = format!("race-{i}");
                r.at(i).precheck(&precheck(u, &id), 16).await.is_ok()
            })
        })
        .collect();
    let mut passed = 0;
    for t in tasks {
        passed += usize::from(t.await.unwrap());
    }
    assert_eq!(passed, 2, "the burst is 2 across all replicas");
    // Likewise redeem attempts (2 per hour).
    let tasks: Vec<_> = (0..12)
        .map(|i| {
            let r = Arc::clone(&r);
            tokio::spawn(async move {
                !matches!(
                    r.at(i).redeem(u, "NOT-A-CODE").await,
                    Err(AdmitError::Denied(_))
                )
            })
        })
        .collect();
    let mut tried = 0;
    for t in tasks {
        tried += usize::from(t.await.unwrap());
    }
    assert_eq!(tried, 2, "two redeem attempts across all replicas");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_requests_over_replicas_get_exactly_the_burst_on_a_node() {
    concurrent_requests_get_exactly_the_burst(&node_url()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_requests_over_replicas_get_exactly_the_burst_on_a_cluster() {
    concurrent_requests_get_exactly_the_burst(&redis_cluster::shared().url()).await;
}

async fn an_event_is_claimed_once_across_replicas(url: &str) {
    let r = Replicas::start(url, 3, "claims").await;
    let mut first = 0;
    for i in 0..6 {
        first += usize::from(r.at(i).claim_event("tg:1:update:42").await.unwrap());
    }
    assert_eq!(first, 1, "one replica handles the update");
    assert!(r.at(0).claim_event("tg:1:update:43").await.unwrap());
    assert!(r.at(1).claim_event("dc:interaction:42").await.unwrap());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_is_claimed_once_across_replicas_on_a_node() {
    an_event_is_claimed_once_across_replicas(&node_url()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_is_claimed_once_across_replicas_on_a_cluster() {
    an_event_is_claimed_once_across_replicas(&redis_cluster::shared().url()).await;
}

/// Redis gone: every limiter fails closed with the ledger's "temporarily
/// unavailable", never "allowed".
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn limits_fail_closed_when_redis_is_unreachable() {
    let mut server = redis_server::PrivateRedis::start();
    let r = Replicas::start(&server.url(), 1, "down").await;
    let u = UserKey::telegram(3);
    r.at(0).precheck(&precheck(u, "up"), 16).await.unwrap();
    server.kill();
    let unavailable = |e: &AdmitError| matches!(e, AdmitError::Ledger(LedgerError::Unavailable(_)));
    let redeem = r.at(0).redeem(u, "NOT-A-CODE").await.unwrap_err();
    assert!(unavailable(&redeem), "{redeem:?}");
    let claim = r.at(0).claim_event("tg:1:update:1").await.unwrap_err();
    assert!(unavailable(&claim), "{claim:?}");
    let block = r.at(0).safety().record_block(u).await.unwrap_err();
    assert!(matches!(block, LedgerError::Unavailable(_)), "{block:?}");
}
