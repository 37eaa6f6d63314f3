//! The `easel` process: the gateway embedded in-process, its upkeep, the
//! admin HTTP API, and every chat frontend the configuration enables; or,
//! with `gateway.url` set, the frontends alone against a remote gateway
//! (`app/remote.rs`).
//! `main.rs` only parses flags, sets up logging and calls [`run`].

use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;

use easel_gateway::http::{self, AppState};
use easel_gateway::ledger::Clock;
use easel_gateway::service::{Gateway, InProcessGateway, OpenError};
use easel_gateway::settings::ProcessEnv;
use easel_shared::config::Config;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

mod remote;

/// Why the process could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The gateway (ledger, result store, backends) could not be opened.
    #[error(transparent)]
    Open(#[from] OpenError),
    /// The admin HTTP API could not listen.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The configured `http.listen`.
        addr: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// A frontend stopped with an error.
    #[error("{0}")]
    Frontend(String),
}

/// Runs everything until `shutdown` resolves or a frontend fails.
pub async fn run(
    config: Config,
    config_path: Option<PathBuf>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), AppError> {
    if config.gateway.is_remote() {
        return remote::run(config, shutdown).await;
    }
    let shared = Arc::new(arc_swap::ArcSwap::from_pointee(config.clone()));
    let gateway =
        Arc::new(InProcessGateway::open(shared.clone(), Clock::real(), &ProcessEnv).await?);
    let stop = CancellationToken::new();
    let upkeep = gateway.maintain(stop.clone());
    let mut tasks: JoinSet<Result<(), AppError>> = JoinSet::new();

    if !config.http.listen.is_empty() {
        let addr = config.http.listen.clone();
        let listener = tokio::net::TcpListener::bind(&addr)
            .await
            .map_err(|source| AppError::Bind {
                addr: addr.clone(),
                source,
            })?;
        tracing::info!(%addr, "admin API listening");
        let app = http::app(AppState {
            ledger: gateway.ledger(),
            config: shared.clone(),
            config_path,
            gateway: Some(gateway.clone()),
        });
        let stopped = stop.clone();
        tasks.spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(stopped.cancelled_owned())
                .await
                .map_err(|e| AppError::Frontend(format!("admin API: {e}")))
        });
    }
    let port: Arc<dyn Gateway> = gateway.clone();
    if config.telegram.enabled() {
        let (config, port, stopped) = (config.clone(), port.clone(), stop.clone());
        tasks.spawn(async move {
            crate::telegram::run(config, port, stopped.cancelled_owned())
                .await
                .map_err(|e| AppError::Frontend(format!("telegram: {e}")))
        });
    }
    if config.discord.enabled() {
        let (config, port, stopped) = (config.clone(), port.clone(), stop.clone());
        tasks.spawn(async move {
            crate::discord::run(config, port, stopped.cancelled_owned())
                .await
                .map_err(|e| AppError::Frontend(format!("discord: {e}")))
        });
    }
    if !config.telegram.enabled() && !config.discord.enabled() {
        tracing::warn!("no chat frontend: set EASEL_TELEGRAM_TOKEN and/or EASEL_DISCORD_TOKEN");
    }

    let outcome = tokio::select! {
        () = shutdown => Ok(()),
        Some(done) = tasks.join_next() => match done {
            Ok(result) => result,
            Err(e) => Err(AppError::Frontend(format!("a frontend task failed: {e}"))),
        },
    };
    stop.cancel();
    while tasks.join_next().await.is_some() {}
    gateway.shutdown().await;
    let _ = upkeep.await;
    outcome
}
