//! Shared by the admission and runner tests: a scriptable image backend
//! with a gate, and a gateway core (gatekeeper + runner) over a real
//! embedded ledger in a temp file, driven by the manual clock.
#![allow(dead_code, unreachable_pub)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use arc_swap::ArcSwap;
use async_trait::async_trait;
use bytes::Bytes;
use easel_gateway::admission::{AdmitError, AdmitRequest, Gatekeeper, Ticket};
use easel_gateway::backend::{
    BackendChain, BackendError, BackendEvent, BackendOutput, Billed, Capabilities, ImageBackend,
    ImageData, ImageJob,
};
use easel_gateway::ledger::embedded::EmbeddedLedger;
use easel_gateway::ledger::outbox::SettleOutbox;
use easel_gateway::ledger::redis::RedisLedger;
use easel_gateway::ledger::{Clock, Ledger, SharedConfig};
use easel_gateway::runner::{JobHandle, JobRunner};
use easel_shared::config::{BreakerConfig, Config, PlanConfig, RetryConfig, WindowConfig};
use easel_shared::job::JobEvent;
use easel_shared::render::RenderOptions;
use easel_shared::{QuotaStatus, RequestId, UnixMillis, UserKey};
use tempfile::TempDir;
use tokio::sync::{Semaphore, mpsc};

/// 01:00 UTC on day 20,000: hours before the spend cap's day rolls over.
pub const T0: UnixMillis = UnixMillis(20_000 * UnixMillis::DAY + 3_600_000);

/// What every test image is (the bytes do not matter to the runner).
pub const PNG: &[u8] = b"\x89PNG\r\n\x1a\nfake";

/// A backend scripted by the prompt:
/// - `"... images=K ..."` returns K images (default: as many as asked);
/// - `"... error=busy|blocked|unavailable|timeout|bad ..."` fails so;
/// - `"... partial ..."` sends one partial image first;
/// - `"... retry ..."` reports one retry first;
/// - `"... billed=C ..."` reports cost C for a failed call (usage on failure);
/// - `"... flaky ..."` fails its first call (bad response) and works after.
///
/// With a gate, each call announces its prompt on `entered` and then waits
/// for [`TestBackend::release`]: a job stays "running" exactly as long as
/// the test wants, so ordering is asserted without timing.
pub struct TestBackend {
    gate: Option<Semaphore>,
    entered: mpsc::UnboundedSender<String>,
    /// Prompts in the order calls began.
    pub calls: Mutex<Vec<String>>,
}

impl TestBackend {
    /// A backend; `gated` holds every call until released.
    pub fn new(gated: bool) -> (Arc<Self>, mpsc::UnboundedReceiver<String>) {
        let (entered, rx) = mpsc::unbounded_channel();
        let backend = Self {
            gate: gated.then(|| Semaphore::new(0)),
            entered,
            calls: Mutex::new(Vec::new()),
        };
        (Arc::new(backend), rx)
    }

    /// Lets one held call finish.
    pub fn release(&self) {
        if let Some(gate) = &self.gate {
            gate.add_permits(1);
        }
    }
}

fn script_value<'a>(prompt: &'a str, key: &str) -> Option<&'a str> {
    prompt
        .split_whitespace()
        .find_map(|word| word.strip_prefix(key)?.strip_prefix('='))
}

#[async_trait]
impl ImageBackend for TestBackend {
    fn name(&self) -> &str {
        "test"
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            max_inputs: 4,
            mask: true,
            transparent: true,
            streaming: true,
            input_long_side: 1536,
        }
    }

    fn estimate_micros(&self, job: &ImageJob) -> u64 {
        u64::from(job.options.n) * 10_000
    }

    async fn generate_billed(&self, job: &ImageJob, events: &mpsc::Sender<BackendEvent>) -> Billed {
        billed(self, job, events).await
    }

    async fn generate(
        &self,
        job: &ImageJob,
        events: &mpsc::Sender<BackendEvent>,
    ) -> Result<BackendOutput, BackendError> {
        self.calls.lock().unwrap().push(job.prompt.clone());
        let _ = self.entered.send(job.prompt.clone());
        if let Some(gate) = &self.gate {
            gate.acquire().await.unwrap().forget();
        }
        let image = ImageData {
            bytes: Bytes::from_static(PNG),
            mime: "image/png".to_owned(),
        };
        if job.prompt.contains("retry") {
            let retry = BackendEvent::Retrying {
                attempt: 2,
                after: Duration::from_millis(1),
            };
            let _ = events.send(retry).await;
        }
        if job.prompt.contains("partial") {
            let preview = image.clone();
            let _ = events
                .send(BackendEvent::Partial { image: 0, preview })
                .await;
        }
        let first_call = self
            .calls
            .lock()
            .unwrap()
            .iter()
            .filter(|p| **p == job.prompt)
            .count()
            == 1;
        if job.prompt.contains("flaky") && first_call {
            return Err(BackendError::BadResponse("cut short".into()));
        }
        match script_value(&job.prompt, "error") {
            Some("busy") => {
                return Err(BackendError::Busy {
                    status: 429,
                    retry_after: Some(Duration::from_secs(30)),
                });
            }
            Some("blocked") => {
                return Err(BackendError::Blocked {
                    reason: "moderation_blocked".into(),
                });
            }
            Some("unavailable") => return Err(BackendError::Unavailable("401".into())),
            Some("timeout") => return Err(BackendError::Timeout(Duration::from_secs(60))),
            Some(_) => return Err(BackendError::BadResponse("malformed".into())),
            None => {}
        }
        let count = script_value(&job.prompt, "images")
            .and_then(|k| k.parse().ok())
            .unwrap_or(usize::from(job.options.n));
        Ok(BackendOutput {
            images: vec![image; count],
            cost_micros: 11_000 * count as u64,
            usage: None,
            backend: "test".into(),
            continuation: None,
        })
    }
}

/// Reports the `billed=C` cost of a failed call, as a provider that
/// returned usage with a failure would.
async fn billed(
    backend: &TestBackend,
    job: &ImageJob,
    events: &mpsc::Sender<BackendEvent>,
) -> Billed {
    let result = backend.generate(job, events).await;
    let cost_micros = match &result {
        Ok(out) => out.cost_micros,
        Err(_) => script_value(&job.prompt, "billed")
            .and_then(|c| c.parse().ok())
            .unwrap_or(0),
    };
    Billed {
        result,
        cost_micros,
    }
}

/// A plan with roomy windows and no burst or in-flight limits, so tests
/// only meet the limits they set.
pub fn roomy_config() -> Config {
    let mut config = Config::default();
    let plan = PlanConfig {
        windows: vec![WindowConfig {
            limit: 100,
            period: Duration::from_secs(3 * 3600),
        }],
        max_in_flight: 0,
        max_n: 4,
        burst: None,
        ..PlanConfig::default()
    };
    config.plans.insert("free".into(), plan);
    config.runner.concurrency = 1;
    config.runner.max_queued_per_user = 0;
    config
}

/// Which real ledger a test runs against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `EmbeddedLedger` in a fresh temp file.
    Embedded,
    /// `RedisLedger` on the shared Redis (`REDIS_URL`) under a unique key prefix.
    Redis,
}

/// Runs each named `async fn(Kind)` test against both ledgers.
macro_rules! both_ledgers {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn embedded() {
                super::$name(super::support::Kind::Embedded).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn redis() {
                super::$name(super::support::Kind::Redis).await;
            }
        }
    )*};
}

async fn open_ledger(
    kind: Kind,
    dir: &TempDir,
    config: SharedConfig,
    clock: Clock,
) -> Arc<dyn Ledger> {
    match kind {
        Kind::Embedded => {
            Arc::new(EmbeddedLedger::open(&dir.path().join("ledger.redb"), config, clock).unwrap())
        }
        Kind::Redis => {
            let url =
                std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned());
            static SEQ: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
            let seq = SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos();
            let prefix = format!("easel-test:core:{}-{nanos:x}-{seq}:", std::process::id());
            Arc::new(
                RedisLedger::connect(&url, &prefix, config, clock)
                    .await
                    .unwrap(),
            )
        }
    }
}

/// A gatekeeper and a runner over a real ledger.
pub struct Core {
    pub ledger: Arc<dyn Ledger>,
    pub outbox: Arc<SettleOutbox>,
    pub clock: Clock,
    pub config: SharedConfig,
    pub keeper: Gatekeeper,
    pub runner: JobRunner,
    pub backend: Arc<TestBackend>,
    /// Prompts of gated calls as they begin.
    pub entered: mpsc::UnboundedReceiver<String>,
    _dir: TempDir,
}

impl Core {
    /// Starts everything on a fresh `kind` ledger with `config`; `gated`
    /// holds backend calls until released.
    pub async fn start(kind: Kind, config: Config, gated: bool) -> Self {
        Self::start_with(kind, config, gated, false).await
    }

    /// Like [`Core::start`], with the test backend inside a real
    /// [`BackendChain`] (2 attempts, no backoff) when `chained`.
    pub async fn start_with(kind: Kind, config: Config, gated: bool, chained: bool) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let clock = Clock::manual(T0);
        let config: SharedConfig = Arc::new(ArcSwap::from_pointee(config));
        let ledger = open_ledger(kind, &dir, config.clone(), clock.clone()).await;
        let keeper = Gatekeeper::new(ledger.clone(), config.clone(), clock.clone());
        let (backend, entered) = TestBackend::new(gated);
        let outbox =
            Arc::new(SettleOutbox::open(&dir.path().join("settles.redb"), ledger.clone()).unwrap());
        let serving: Arc<dyn ImageBackend> = if chained {
            let retry = RetryConfig {
                max_attempts: 2,
                base: Duration::ZERO,
                ..RetryConfig::default()
            };
            let chain = vec![backend.clone() as Arc<dyn ImageBackend>];
            Arc::new(BackendChain::new(chain, retry, BreakerConfig::default()))
        } else {
            backend.clone()
        };
        let runner = JobRunner::start(
            ledger.clone(),
            outbox.clone(),
            serving,
            config.clone(),
            Some(keeper.safety()),
            clock.clone(),
        );
        Self {
            ledger,
            outbox,
            clock,
            config,
            keeper,
            runner,
            backend,
            entered,
            _dir: dir,
        }
    }

    /// Asks admission for `n` images as `user` under the request id `id`.
    pub async fn admit(&self, user: UserKey, id: &str, n: u8) -> Result<Ticket, AdmitError> {
        let request = AdmitRequest {
            id: RequestId::new(id).unwrap(),
            user,
            options: RenderOptions {
                n,
                ..RenderOptions::default()
            },
            is_edit: false,
            backend: "test".into(),
            est_cost_micros: 10_000,
            key: None,
        };
        self.keeper.admit(&request).await
    }

    /// Admits and submits a job whose prompt is `prompt` (and whose id is
    /// the prompt's first word).
    pub async fn submit(&self, user: UserKey, prompt: &str, n: u8) -> JobHandle {
        let id = prompt.split_whitespace().next().unwrap();
        let ticket = self.admit(user, id, n).await.unwrap();
        self.runner.submit(ticket, job(prompt, n)).await.unwrap()
    }

    /// Waits for the next gated call to begin and returns its prompt.
    pub async fn next_entered(&mut self) -> String {
        within(self.entered.recv()).await.unwrap()
    }

    /// The user's quota right now.
    pub async fn status(&self, user: UserKey) -> QuotaStatus {
        self.ledger.status(user).await.unwrap()
    }
}

/// A backend job with this prompt.
pub fn job(prompt: &str, n: u8) -> ImageJob {
    ImageJob {
        prompt: prompt.to_owned(),
        options: RenderOptions {
            n,
            ..RenderOptions::default()
        },
        inputs: Vec::new(),
        mask: None,
        user_tag: "tag".into(),
        continuation: None,
    }
}

/// Guards against a hung test (a bug), not a timing assertion.
pub async fn within<F: std::future::Future>(f: F) -> F::Output {
    tokio::time::timeout(Duration::from_secs(30), f)
        .await
        .expect("test stalled")
}

/// The next event of a job.
pub async fn next_event(handle: &mut JobHandle) -> JobEvent {
    within(handle.events.recv()).await.expect("stream ended")
}

/// The next event that is not a `Queued` update.
pub async fn next_non_queued(handle: &mut JobHandle) -> JobEvent {
    loop {
        match next_event(handle).await {
            JobEvent::Queued { .. } => continue,
            other => return other,
        }
    }
}

/// Events until the final one, returning all of them.
pub async fn finish(handle: &mut JobHandle) -> Vec<JobEvent> {
    let mut events = Vec::new();
    loop {
        let event = next_event(handle).await;
        let last = event.is_final();
        events.push(event);
        if last {
            return events;
        }
    }
}

/// Credits used in the user's first window.
pub fn used(status: &QuotaStatus) -> u32 {
    status.windows[0].used
}
