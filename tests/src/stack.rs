//! A whole gateway for end-to-end tests: the real [`InProcessGateway`] over
//! the embedded ledger and result store (in a temp dir) or the shared Redis
//! (a key prefix per deployment: [`Stack::start_on_redis`], twice for two
//! processes), with the backend chain pointed at the fake OpenAI server and
//! a manual clock. Frontend tests drive it through the `Gateway` port only.

use std::sync::Arc;
use std::time::Duration;

use easel_gateway::ledger::{Clock, SharedConfig};
use easel_gateway::service::InProcessGateway;
use easel_shared::UnixMillis;
use easel_shared::config::{BackendConfig, BackendKind, Config, RetryConfig};
use easel_shared::secret::Secret;

use crate::fake_openai::FakeOpenAi;

/// The fake provider's API key: tests look for it in logs and replies.
pub const OPENAI_KEY: &str = crate::fake_openai::API_KEY;

/// Where the stack's manual clock starts: 2027-01-15T08:00:00Z.
pub const START: UnixMillis = UnixMillis(1_800_000_000_000);

/// A running gateway and what a test needs to poke at it.
pub struct Stack {
    /// The gateway under test.
    pub gateway: Arc<InProcessGateway>,
    /// The fake image provider it calls.
    pub openai: FakeOpenAi,
    /// The live configuration (swap it to change plans mid-test).
    pub config: SharedConfig,
    /// The ledger's manual clock.
    pub clock: Clock,
    /// Holds the embedded stores' files.
    pub dir: Arc<tempfile::TempDir>,
}

impl Stack {
    /// A config whose backend chain is the fake OpenAI server, with fast retries.
    pub fn config(openai: &FakeOpenAi, dir: &std::path::Path) -> Config {
        let mut config = Config::default();
        config.ledger.path = dir.join("ledger.redb").display().to_string();
        config.ledger.outbox_path = dir.join("settles.redb").display().to_string();
        config.results.path = dir.join("results.redb").display().to_string();
        config.backends.chain = vec![BackendConfig {
            name: "openai".into(),
            kind: BackendKind::OpenAi,
            base_url: openai.base_url(),
            api_key: Secret::new(OPENAI_KEY),
            model: "gpt-image-2".into(),
            arbitrary_sizes: true,
            request_timeout: Duration::from_secs(20),
            ..BackendConfig::default()
        }];
        config.backends.retry = RetryConfig {
            max_attempts: 3,
            base: Duration::from_millis(1),
            cap: Duration::from_millis(20),
            max_total_wait: Duration::from_secs(1),
            attempt_timeout: Duration::from_secs(20),
        };
        // Bursts would make multi-request tests depend on the order of requests.
        for plan in config.plans.values_mut() {
            plan.burst = None;
        }
        config
    }

    /// Starts a gateway on the embedded stores, letting `tune` adjust the config.
    pub async fn start(tune: impl FnOnce(&mut Config)) -> Stack {
        let openai = FakeOpenAi::start_with_key(OPENAI_KEY).await;
        let dir = Arc::new(tempfile::tempdir().expect("temp dir"));
        let mut config = Self::config(&openai, dir.path());
        tune(&mut config);
        Self::open(openai, config, dir).await
    }

    /// Like [`Stack::start`], but returns why the gateway did not open
    /// (e.g. the model check refused the configured model).
    pub async fn try_start(
        tune: impl FnOnce(&mut Config),
    ) -> Result<Stack, (easel_gateway::service::OpenError, FakeOpenAi)> {
        Self::try_start_on(FakeOpenAi::start().await, tune).await
    }

    /// Like [`Stack::try_start`] against a fake the test prepared (its
    /// model catalog, say) before the gateway's start-up check.
    pub async fn try_start_on(
        openai: FakeOpenAi,
        tune: impl FnOnce(&mut Config),
    ) -> Result<Stack, (easel_gateway::service::OpenError, FakeOpenAi)> {
        let dir = Arc::new(tempfile::tempdir().expect("temp dir"));
        let mut config = Self::config(&openai, dir.path());
        tune(&mut config);
        let config: SharedConfig = Arc::new(arc_swap::ArcSwap::from_pointee(config));
        let clock = Clock::manual(START);
        match Self::try_open(&config, &clock).await {
            Ok(gateway) => Ok(Stack {
                gateway: Arc::new(gateway),
                openai,
                config,
                clock,
                dir,
            }),
            Err(e) => Err((e, openai)),
        }
    }

    /// Starts a gateway whose ledger and result store live in the shared
    /// Redis (`REDIS_URL`) under `prefix`, calling `openai`. Two calls with
    /// one prefix are two gateway processes of one deployment: each has its
    /// own Redis connections, runner, burst limiter and clock (both manual
    /// clocks start at the same instant, as two hosts reading Redis `TIME`).
    pub async fn start_on_redis(
        openai: FakeOpenAi,
        prefix: &str,
        tune: impl FnOnce(&mut Config),
    ) -> Stack {
        let dir = Arc::new(tempfile::tempdir().expect("temp dir"));
        let mut config = Self::config(&openai, dir.path());
        config.ledger.redis_url = crate::ledger::redis_url();
        config.ledger.key_prefix = prefix.to_owned();
        tune(&mut config);
        Self::open(openai, config, dir).await
    }

    /// Stops this gateway and opens a new one over the same stores, provider
    /// and clock: a restart. Every other `Arc` of the gateway must be dropped
    /// first (frontends included).
    pub async fn restart(self) -> Stack {
        let Stack {
            gateway,
            openai,
            config,
            clock,
            dir,
        } = self;
        gateway.shutdown().await;
        drop(gateway);
        // The embedded files allow one opener; background tasks of the old
        // gateway release theirs as the runtime drops them.
        for _ in 0..500 {
            if let Ok(gateway) = Self::try_open(&config, &clock).await {
                return Stack {
                    gateway: Arc::new(gateway),
                    openai,
                    config,
                    clock,
                    dir,
                };
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("the stores were not released after the old gateway stopped");
    }

    async fn open(openai: FakeOpenAi, config: Config, dir: Arc<tempfile::TempDir>) -> Stack {
        let config: SharedConfig = Arc::new(arc_swap::ArcSwap::from_pointee(config));
        let clock = Clock::manual(START);
        let gateway = Self::try_open(&config, &clock)
            .await
            .expect("gateway opens");
        Stack {
            gateway: Arc::new(gateway),
            openai,
            config,
            clock,
            dir,
        }
    }

    async fn try_open(
        config: &SharedConfig,
        clock: &Clock,
    ) -> Result<InProcessGateway, easel_gateway::service::OpenError> {
        let env = std::collections::HashMap::new();
        InProcessGateway::open(config.clone(), clock.clone(), &env).await
    }
}
