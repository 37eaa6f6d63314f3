//! A bot as deployed in embedded mode, for the Discord tests: the shared
//! test [`Stack`] (the real `InProcessGateway` over temp-dir stores and the
//! fake OpenAI server) and the Discord adapter talking to the fake Discord
//! REST server through serenity's client. In the `discord_remote` binary
//! the adapter talks to the gateway through the frontend API and a
//! `RemoteGateway` instead ([`Mode::of_binary`]).

use std::sync::Arc;

use easel_bot::discord::{Ack, Discord, rest_client};
use easel_shared::UserKey;
use easel_shared::config::Config;
use easel_shared::secret::Secret;
use easel_tests::fake_discord::FakeDiscord;
use easel_tests::fake_discord::payloads::APP_ID;
use easel_tests::remote::{FrontendApi, Mode, remote_gateway};
use easel_tests::stack::Stack;
use serde_json::Value;
use serenity::all::Interaction;

/// The configured admin's user id.
pub(crate) const ADMIN: u64 = 100_000_000_000_000_001;

/// The Ed25519 seed of the application's key in HTTP-mode tests.
pub(crate) const SIGNING_SEED: [u8; 32] = [7; 32];

/// A running bot and the fakes around it.
pub(crate) struct Bot {
    pub(crate) discord: Arc<Discord>,
    pub(crate) stack: Stack,
    pub(crate) fake: FakeDiscord,
    /// Remote mode: the frontend API the adapter's `RemoteGateway` calls.
    frontend_api: Option<FrontendApi>,
}

impl Bot {
    /// Starts the fakes and a bot with the test configuration changed by `tweak`.
    pub(crate) async fn start(tweak: impl FnOnce(&mut Config)) -> Self {
        let fake = FakeDiscord::start().await;
        let base = fake.base_url();
        let stack = Stack::start(|c| {
            c.access.admins = vec![UserKey::discord(ADMIN)];
            c.discord.token = Secret::new(easel_tests::fake_discord::TOKEN);
            c.discord.application_id = APP_ID;
            c.discord.rest_base_url = base;
            let key = ed25519_dalek::SigningKey::from_bytes(&SIGNING_SEED);
            c.discord.public_key = key
                .verifying_key()
                .to_bytes()
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            tweak(c);
        })
        .await;
        let (discord, frontend_api) = adapter(&stack).await;
        Self {
            discord,
            stack,
            fake,
            frontend_api,
        }
    }

    /// Stops the bot and starts it again over the same stores (a restart).
    pub(crate) async fn restart(self) -> Self {
        let Bot {
            discord,
            stack,
            fake,
            frontend_api,
        } = self;
        drop(discord);
        drop(frontend_api);
        let stack = stack.restart().await;
        let (discord, frontend_api) = adapter(&stack).await;
        Self {
            discord,
            stack,
            fake,
            frontend_api,
        }
    }

    /// The configuration the bot runs with.
    pub(crate) fn config(&self) -> Config {
        Config::clone(&self.stack.config.load())
    }

    /// Delivers an interaction payload as the gateway websocket would and
    /// waits until the bot has finished with it.
    pub(crate) async fn deliver(&self, payload: Value) {
        let interaction: Interaction =
            serde_json::from_value(payload).expect("interaction payload");
        self.discord.handle(interaction, Ack::Rest).await;
    }
}

/// The adapter over the stack's gateway, directly or (remote mode) through
/// the frontend API, which is returned to keep it running.
pub(crate) async fn adapter(stack: &Stack) -> (Arc<Discord>, Option<FrontendApi>) {
    let (gateway, api): (Arc<dyn easel_gateway::service::Gateway>, _) =
        match Mode::of_binary(env!("CARGO_CRATE_NAME")) {
            Mode::Embedded => (stack.gateway.clone(), None),
            Mode::Remote => {
                let api = FrontendApi::serve(
                    stack.gateway.clone(),
                    stack.gateway.ledger(),
                    &stack.config,
                )
                .await;
                (remote_gateway(&api.url()).await, Some(api))
            }
        };
    let config = stack.config.load();
    let discord = Arc::new(Discord::new(rest_client(&config.discord), gateway, &config));
    (discord, api)
}
