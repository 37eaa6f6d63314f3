//! Multi-process chaos runs: several real `easel-gateway` processes
//! ([`replica`]) on one Redis and one key prefix, each calling its own fake
//! OpenAI (so a test knows which replica has which call in flight, and can
//! hold one replica's calls while it kills that replica), driven by a
//! frontend-API client that names every request ([`client`]); the verdict
//! compares what the clients saw with the ledger's own records ([`audit`]).
//! Runs are bounded: a short lease and reaper period, and every wait is a
//! poll of real state with a hang guard, never a sleep the test relies on.

pub mod audit;
pub mod client;
pub mod replica;

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

use easel_shared::admin::UsageEntry;
use easel_shared::{QuotaStatus, UserKey};
use tempfile::TempDir;

use self::audit::UserLedger;
use self::client::{Client, Record};
use self::replica::Replica;
use crate::fake_openai::{API_KEY, FakeOpenAi};
use crate::ledger::unique_prefix;

/// The admin token of every chaos cluster.
pub const ADMIN_TOKEN: &str = "chaos-admin-token-never-logged";
/// The frontend token the chaos client presents.
pub const FRONTEND_TOKEN: &str = "chaos-frontend-token-never-logged";

/// How long a wait for a state may take before the test fails: a hang
/// guard, never a timing assertion (runs end in seconds).
pub const HANG_GUARD: Duration = Duration::from_secs(120);

/// What a cluster runs with.
#[derive(Debug, Clone)]
pub struct Spec {
    /// Replica processes.
    pub replicas: usize,
    /// The ledger's Redis (the shared one, or a private server's URL).
    pub redis_url: String,
    /// The one plan's window: this many credits per hour.
    pub limit: u32,
    /// `ledger.lease` (at least 5 s): how soon a dead replica's
    /// reservations are reaped.
    pub lease: &'static str,
    /// Upstream calls at once per replica (`runner.workers`; with the
    /// shared queue `runner.concurrency` is this times the replicas).
    pub concurrency: u32,
    /// `runner.queue`: `"redis"` (shared by the replicas, docs/queue.md)
    /// or `"memory"` (each replica its own).
    pub queue: &'static str,
    /// `runner.shutdown_grace`.
    pub shutdown_grace: &'static str,
}

impl Spec {
    /// `replicas` processes on the shared Redis, 5 s leases.
    pub fn shared_redis(replicas: usize, limit: u32) -> Self {
        Self {
            replicas,
            redis_url: crate::ledger::redis_url(),
            limit,
            lease: "5s",
            concurrency: 4,
            queue: "redis",
            shutdown_grace: "30s",
        }
    }
}

/// A running cluster; every process stops when it is dropped.
pub struct Cluster {
    /// The ledger's key prefix (unique to this run).
    pub prefix: String,
    /// The spec it runs.
    pub spec: Spec,
    /// Replica `i` calls `upstreams[i]`.
    pub upstreams: Vec<FakeOpenAi>,
    /// The processes.
    pub replicas: Vec<Replica>,
    http: reqwest::Client,
    /// Config, logs and outboxes; removed last.
    _dir: TempDir,
}

impl Cluster {
    /// Starts `spec.replicas` processes and waits until each is ready.
    pub async fn start(test: &str, spec: Spec) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let prefix = unique_prefix(test);
        let mut upstreams = Vec::new();
        let mut replicas = Vec::new();
        for i in 0..spec.replicas {
            let upstream = FakeOpenAi::start().await;
            let config = dir.path().join(format!("easel-{i}.toml"));
            std::fs::write(&config, config_toml(&spec, &upstream.base_url()))
                .expect("write config");
            let env = vec![
                ("EASEL_REDIS_URL".into(), spec.redis_url.clone()),
                ("EASEL_KEY_PREFIX".into(), prefix.clone()),
                ("EASEL_ADMIN_TOKEN".into(), ADMIN_TOKEN.into()),
                ("EASEL_CHAOS_UPSTREAM_KEY".into(), API_KEY.into()),
                ("RUST_LOG".into(), "warn".into()),
            ];
            let home: PathBuf = dir.path().join(format!("replica-{i}"));
            replicas.push(Replica::start(i, home, config, env));
            upstreams.push(upstream);
        }
        let cluster = Self {
            prefix,
            spec,
            upstreams,
            replicas,
            http: reqwest::Client::new(),
            _dir: dir,
        };
        for i in 0..cluster.replicas.len() {
            cluster.wait_ready(i).await;
        }
        cluster
    }

    /// Replica `i`'s base URL.
    pub fn url(&self, i: usize) -> String {
        self.replicas[i].url()
    }

    /// A frontend client for this cluster.
    pub fn client(&self) -> Client {
        Client::new(FRONTEND_TOKEN)
    }

    /// Polls replica `i`'s `/readyz` (ledger reachable) until it answers 200.
    pub async fn wait_ready(&self, i: usize) {
        let url = format!("{}/readyz", self.url(i));
        let ready = poll(|| async {
            let answer = self.http.get(&url).send().await;
            answer.is_ok_and(|r| r.status().is_success())
        })
        .await;
        assert!(
            ready,
            "replica {i} never became ready; its log:\n{}",
            self.replicas[i].log_tail(40)
        );
    }

    /// A replica that is up, for admin reads.
    fn live(&self) -> String {
        let replica = self
            .replicas
            .iter()
            .find(|r| r.is_up())
            .expect("a live replica");
        replica.url()
    }

    async fn admin_get<T: serde::de::DeserializeOwned>(&self, path: &str) -> Option<T> {
        let resp = self
            .http
            .get(format!("{}/admin/v1{path}", self.live()))
            .bearer_auth(ADMIN_TOKEN)
            .send()
            .await
            .ok()?;
        if !resp.status().is_success() {
            return None;
        }
        resp.json().await.ok()
    }

    /// One user's ledger state: usage log, quota status, pending count
    /// (`None` while the ledger cannot be read).
    pub async fn user_ledger(&self, user: UserKey) -> Option<UserLedger> {
        let usage: Vec<UsageEntry> = self
            .admin_get(&format!("/users/{user}/usage?limit=1000"))
            .await?;
        let quota: QuotaStatus = self.admin_get(&format!("/users/{user}")).await?;
        let pending = self.pending(user).await?;
        Some(UserLedger {
            usage,
            quota,
            pending,
        })
    }

    /// Reservations of `user` still pending, read from the ledger's own
    /// Redis key (docs/ledger.md: `{u:<user>}:pend`).
    async fn pending(&self, user: UserKey) -> Option<u64> {
        let client = redis::Client::open(self.spec.redis_url.as_str()).ok()?;
        let mut conn = client.get_multiplexed_async_connection().await.ok()?;
        let key = format!("{}{{u:{user}}}:pend", self.prefix);
        redis::cmd("ZCARD")
            .arg(key)
            .query_async(&mut conn)
            .await
            .ok()
    }

    /// The ledger state of every user in `records`, once it is final
    /// (every admitted request ended, nothing pending: the reaper and the
    /// outboxes have done their work), or as it is when the hang guard trips.
    pub async fn final_ledger(&self, records: &[Record]) -> HashMap<UserKey, UserLedger> {
        let mut users: Vec<UserKey> = records.iter().map(|r| r.user).collect();
        users.sort_by_key(|u| u.to_string());
        users.dedup();
        let started = std::time::Instant::now();
        loop {
            let mut ledger = HashMap::new();
            for user in &users {
                if let Some(state) = self.user_ledger(*user).await {
                    ledger.insert(*user, state);
                }
            }
            let complete = ledger.len() == users.len();
            if (complete && audit::is_final(records, &ledger)) || started.elapsed() > HANG_GUARD {
                return ledger;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Every replica's log, for a failure message.
    pub fn logs(&self) -> String {
        self.replicas
            .iter()
            .map(|r| format!("--- replica {} ---\n{}", r.index, r.log_tail(30)))
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// Polls `check` until it holds (true) or the hang guard trips (false).
pub async fn poll<F, Fut>(mut check: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let started = std::time::Instant::now();
    while started.elapsed() < HANG_GUARD {
        if check().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}

/// The config every replica runs: one plan (`limit` credits per hour, no
/// in-flight cap, a burst no run reaches), fast reaping, the fake upstream.
fn config_toml(spec: &Spec, upstream: &str) -> String {
    format!(
        r#"[ledger]
lease = "{lease}"
reap_every = "1s"

[access]
mode = "open"
default_plan = "chaos"

[plans.chaos]
windows = [{{ limit = {limit}, period = "1h" }}]
max_in_flight = 0
max_n = 4
burst = {{ every = "1ms", burst = 100000 }}

[runner]
queue = "{queue}"
concurrency = {total}
workers = {concurrency}
max_queued_per_user = 1000
shutdown_grace = "{grace}"

[gateway.frontends]
chaos = "{FRONTEND_TOKEN}"

[backends.retry]
max_attempts = 1

[[backends.chain]]
name = "fake"
kind = "openai"
base_url = "{upstream}"
model = "gpt-image-2"
api_key_env = "EASEL_CHAOS_UPSTREAM_KEY"
skip_model_check = true
partial_images = 0
"#,
        lease = spec.lease,
        limit = spec.limit,
        concurrency = spec.concurrency,
        total = spec.concurrency * spec.replicas as u32,
        queue = spec.queue,
        grace = spec.shutdown_grace,
    )
}
