//! The Discord frontend (serenity): slash commands, the "Edit image"
//! message context menu, buttons and modals, answered through the
//! conversation core and the [`Gateway`] port.
//!
//! [`Discord::handle`] takes an `Arc<Http>` and the interaction, not
//! serenity's `Context`, so tests drive it against a fake REST server; the
//! same handler serves the gateway websocket ([`run`] in `gateway` mode) and
//! the signed HTTP endpoint ([`endpoint`]). No gateway intents are needed:
//! interactions arrive regardless, so none (let alone privileged ones) are asked.

mod commands;
mod download;
mod draw;
pub mod endpoint;
mod handle;
mod job;
mod render;
mod respond;
mod targets;

use std::future::Future;
use std::sync::Arc;

use easel_gateway::service::Gateway;
use easel_shared::config::{Config, DiscordConfig, DiscordMode, ShardStart};
use easel_shared::{Platform, UserKey};

use crate::core;
use serenity::all::{
    ApplicationId, Client, Context, EventHandler, GatewayIntents, Http, HttpBuilder, Interaction,
    UserId,
};

pub use commands::{EDIT_IMAGE, definitions, register};
pub use download::DownloadError;
pub use respond::Ack;

/// The adapter: everything needed to answer an interaction.
pub struct Discord {
    http: Arc<Http>,
    gateway: Arc<dyn Gateway>,
    config: DiscordConfig,
    downloads: reqwest::Client,
    /// Context-menu targets between the modal and its submission.
    targets: targets::Targets,
    /// The admin-notice forwarder, stopped when the adapter goes (a
    /// retried frontend then never forwards a notice twice).
    _notices: crate::supervise::TaskGuard,
}

impl Discord {
    /// An adapter over `http` (see [`rest_client`]) and the gateway port.
    /// Starts forwarding the gateway's admin notices to the Discord admins
    /// by direct message while the adapter lives (needs a Tokio runtime).
    pub fn new(http: Arc<Http>, gateway: Arc<dyn Gateway>, config: &Config) -> Self {
        let notices = tokio::spawn(core::notify::forward(
            &gateway,
            config.access.admins.clone(),
            Platform::Discord,
            {
                let http = http.clone();
                move |admin, text| dm(http.clone(), admin, text)
            },
        ));
        Self {
            _notices: crate::supervise::TaskGuard(notices),
            http,
            gateway,
            config: config.discord.clone(),
            downloads: download::client(),
            targets: targets::Targets::default(),
        }
    }

    /// The REST client this adapter answers with.
    pub fn http(&self) -> &Arc<Http> {
        &self.http
    }

    /// Claims `interaction` for handling across replicas: `false` if
    /// another delivery of it was claimed first.
    pub async fn claim(
        &self,
        interaction: &serenity::all::Interaction,
    ) -> Result<bool, easel_gateway::service::GatewayError> {
        let Some(id) = endpoint::interaction_id(interaction) else {
            return Ok(true);
        };
        self.gateway
            .claim_event(&format!("dc:interaction:{id}"))
            .await
    }
}

/// Why the Discord frontend stopped.
#[derive(Debug, thiserror::Error)]
pub enum DiscordError {
    /// Discord refused a call (token, registration) or the connection failed.
    #[error("discord: {0}")]
    Serenity(Box<serenity::Error>),
    /// The HTTP endpoint could not listen.
    #[error("interactions endpoint: {0}")]
    Io(#[from] std::io::Error),
    /// `discord.public_key` is not a valid Ed25519 key.
    #[error("discord.public_key is not a valid Ed25519 public key")]
    BadPublicKey,
}

impl From<serenity::Error> for DiscordError {
    fn from(e: serenity::Error) -> Self {
        Self::Serenity(Box::new(e))
    }
}

/// serenity's REST client for this configuration. Production keeps
/// serenity's rate limiter; `rest_base_url` (tests, a rate-limiting proxy)
/// turns it off, because serenity only honours its proxy setting then.
pub fn rest_client(config: &DiscordConfig) -> Arc<Http> {
    let mut builder = HttpBuilder::new(config.token.expose());
    if config.application_id != 0 {
        builder = builder.application_id(ApplicationId::new(config.application_id));
    }
    if !config.rest_base_url.is_empty() {
        builder = builder
            .proxy(config.rest_base_url.trim_end_matches('/'))
            .ratelimiter_disabled(true);
    }
    Arc::new(builder.build())
}

/// Runs the Discord frontend until `shutdown` resolves: registers the
/// commands, then serves interactions from the gateway websocket or the
/// HTTP endpoint, as configured.
pub async fn run(
    config: Config,
    gateway: Arc<dyn Gateway>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), DiscordError> {
    let http = rest_client(&config.discord);
    register(&http, &config.discord.guilds).await?;
    let discord = Arc::new(Discord::new(http.clone(), gateway, &config));
    match config.discord.mode {
        DiscordMode::Http => {
            let router = endpoint::router(discord, &config.discord)?;
            let listener = tokio::net::TcpListener::bind(&config.discord.listen).await?;
            tracing::info!(listen = %config.discord.listen, "Discord interactions endpoint up");
            axum::serve(listener, router)
                .with_graceful_shutdown(shutdown)
                .await?;
            Ok(())
        }
        DiscordMode::Gateway => {
            let mut client =
                Client::builder(config.discord.token.expose(), GatewayIntents::empty())
                    .event_handler(Handler { discord })
                    .await?;
            let shards = client.shard_manager.clone();
            tokio::spawn(async move {
                shutdown.await;
                shards.shutdown_all().await;
            });
            start(&mut client, config.discord.shards.start()).await?;
            Ok(())
        }
    }
}

/// Starts the gateway client with the shards `how` names
/// (`discord.shards`), until they stop.
async fn start(client: &mut Client, how: ShardStart) -> Result<(), serenity::Error> {
    tracing::info!(?how, "starting the Discord gateway client");
    match how {
        ShardStart::Single => client.start().await,
        ShardStart::Auto => client.start_autosharded().await,
        ShardStart::Range {
            first: 0,
            count,
            total,
        } if count == total => client.start_shards(total).await,
        // serenity reads the range's end as the LAST shard (inclusive).
        ShardStart::Range {
            first,
            count,
            total,
        } => {
            client
                .start_shard_range(first..first + count - 1, total)
                .await
        }
    }
}

/// Hands every interaction from the websocket to the adapter.
struct Handler {
    discord: Arc<Discord>,
}

#[serenity::async_trait]
impl EventHandler for Handler {
    async fn interaction_create(&self, _ctx: Context, interaction: Interaction) {
        let discord = self.discord.clone();
        // A generation takes a minute; the next interaction must not wait.
        tokio::spawn(async move { discord.handle(interaction, Ack::Rest).await });
    }
}

/// Sends `text` to `admin` by direct message; a failure is only logged.
async fn dm(http: Arc<Http>, admin: UserKey, text: String) {
    let sent = match UserId::new(admin.id).create_dm_channel(&http).await {
        Ok(dm) => dm.id.say(&http, text).await.map(drop),
        Err(e) => Err(e),
    };
    if let Err(e) = sent {
        tracing::warn!(admin = %admin, error = %e, "admin notice not delivered");
    }
}
