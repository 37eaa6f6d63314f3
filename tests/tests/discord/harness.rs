//! A bot as deployed in embedded mode, for the Discord tests: the real
//! `InProcessGateway` over an embedded ledger and result store in a temp
//! dir, the fake OpenAI server as the backend, and the Discord adapter
//! talking to the fake Discord REST server through serenity's client.

use std::collections::HashMap;
use std::sync::Arc;

use easel_bot::discord::{Ack, Discord, rest_client};
use easel_gateway::ledger::embedded::EmbeddedLedger;
use easel_gateway::ledger::{Clock, SharedConfig};
use easel_gateway::service::{Gateway, InProcessGateway, Parts};
use easel_shared::UserKey;
use easel_shared::config::{BackendConfig, BackendKind, Config};
use easel_shared::secret::Secret;
use easel_tests::fake_discord::FakeDiscord;
use easel_tests::fake_discord::payloads::APP_ID;
use easel_tests::fake_openai::FakeOpenAi;
use serde_json::Value;
use serenity::all::Interaction;
use tempfile::TempDir;

/// The configured admin's user id.
pub(crate) const ADMIN: u64 = 100_000_000_000_000_001;

/// The Ed25519 seed of the application's key in HTTP-mode tests.
pub(crate) const SIGNING_SEED: [u8; 32] = [7; 32];

/// A running bot and the fakes around it.
pub(crate) struct Bot {
    pub(crate) discord: Arc<Discord>,
    pub(crate) gateway: Arc<InProcessGateway>,
    pub(crate) fake: FakeDiscord,
    pub(crate) openai: FakeOpenAi,
    pub(crate) config: Config,
    pub(crate) dir: TempDir,
}

/// The configuration every test starts from; `tweak` changes it.
pub(crate) fn config(dir: &TempDir, fake: &FakeDiscord, openai: &FakeOpenAi) -> Config {
    let mut c = Config::default();
    c.ledger.path = dir.path().join("ledger.redb").display().to_string();
    c.results.path = dir.path().join("results.redb").display().to_string();
    c.access.admins = vec![UserKey::discord(ADMIN)];
    // Tests send several requests back to back; the burst limiter has its own tests.
    for plan in c.plans.values_mut() {
        plan.burst = None;
        plan.max_in_flight = 0;
    }
    c.backends.chain = vec![BackendConfig {
        name: "openai".into(),
        kind: BackendKind::OpenAi,
        base_url: openai.base_url(),
        api_key: Secret::new("sk-test"),
        model: "gpt-image-1.5".into(),
        ..BackendConfig::default()
    }];
    c.discord.token = Secret::new("discord-test-token");
    c.discord.application_id = APP_ID;
    c.discord.rest_base_url = fake.base_url();
    let key = ed25519_dalek::SigningKey::from_bytes(&SIGNING_SEED);
    c.discord.public_key = key
        .verifying_key()
        .to_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    c
}

impl Bot {
    /// Starts fakes and a bot with the default test configuration changed by `tweak`.
    pub(crate) async fn start(tweak: impl FnOnce(&mut Config)) -> Self {
        let fake = FakeDiscord::start().await;
        let openai = FakeOpenAi::start().await;
        let dir = tempfile::tempdir().expect("temp dir");
        let mut config = config(&dir, &fake, &openai);
        tweak(&mut config);
        let (gateway, discord) = wire(&config).await;
        Self {
            discord,
            gateway,
            fake,
            openai,
            config,
            dir,
        }
    }

    /// Stops this bot and starts a new one over the same files (a restart).
    pub(crate) async fn restart(self) -> Self {
        let Bot {
            discord,
            gateway,
            fake,
            openai,
            config,
            dir,
        } = self;
        gateway.shutdown().await;
        drop(discord);
        drop(gateway);
        let (gateway, discord) = wire(&config).await;
        Self {
            discord,
            gateway,
            fake,
            openai,
            config,
            dir,
        }
    }

    /// Delivers an interaction payload as the gateway websocket would and
    /// waits until the bot has finished with it.
    pub(crate) async fn deliver(&self, payload: Value) {
        let interaction: Interaction =
            serde_json::from_value(payload).expect("interaction payload");
        self.discord.handle(interaction, Ack::Rest).await;
    }
}

async fn wire(config: &Config) -> (Arc<InProcessGateway>, Arc<Discord>) {
    let shared: SharedConfig = Arc::new(arc_swap::ArcSwap::from_pointee(config.clone()));
    let clock = Clock::real();
    // The previous instance's database handles close as its tasks wind down.
    let ledger = open_retrying(|| {
        EmbeddedLedger::open(config.ledger.path.as_ref(), shared.clone(), clock.clone())
    })
    .await;
    let results = {
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(20);
        loop {
            match easel_gateway::results::open(config, clock.clone()).await {
                Ok(r) => break r,
                Err(e) if tokio::time::Instant::now() < deadline => {
                    let _ = e;
                    tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                }
                Err(e) => panic!("result store: {e}"),
            }
        }
    };
    let env: HashMap<String, String> = HashMap::new();
    let backend =
        easel_gateway::backend::build_chain(&config.backends, &env).expect("backend chain");
    let gateway = Arc::new(InProcessGateway::new(Parts {
        config: shared,
        ledger: Arc::new(ledger),
        backend: Arc::new(backend),
        results,
        clock,
    }));
    let http = rest_client(&config.discord);
    let port: Arc<dyn Gateway> = gateway.clone();
    let discord = Arc::new(Discord::new(http, port, config));
    (gateway, discord)
}

async fn open_retrying<T, E: std::fmt::Display>(mut open: impl FnMut() -> Result<T, E>) -> T {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        match open() {
            Ok(v) => return v,
            Err(e) if tokio::time::Instant::now() < deadline => {
                let _ = e;
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            }
            Err(e) => panic!("open: {e}"),
        }
    }
}
