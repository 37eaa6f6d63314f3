//! The `easel` process: the gateway embedded in-process, its upkeep, the
//! admin HTTP API (with `/metrics` and `/readyz`), and every chat frontend
//! the configuration enables, each under a [`supervise`](crate::supervise)
//! loop so one platform's outage never takes the rest down; or, with
//! `gateway.url` set, the frontends alone against a remote gateway
//! (`app/remote.rs`).
//! `main.rs` only parses flags, sets up logging and calls [`run`].
//!
//! Shutdown order: new requests are refused (`Restarting`), waiting jobs
//! refunded, running ones drained within `runner.shutdown_grace` while the
//! frontends still deliver, then the frontends and the HTTP server stop.

mod probes;

use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;

use easel_gateway::http::{self, AppState};
use easel_gateway::ledger::Clock;
use easel_gateway::readiness::{self, Readiness};
use easel_gateway::service::{Gateway, InProcessGateway, OpenError};
use easel_gateway::settings::{Env, ProcessEnv};
use easel_shared::config::Config;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

mod frontends;
mod remote;
use crate::supervise::GaveUp;

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
    /// A frontend gave up: its token was rejected (exit 64) or retrying
    /// cannot help.
    #[error(transparent)]
    GaveUp(#[from] GaveUp),
    /// A frontend stopped with an error.
    #[error("{0}")]
    Frontend(String),
}

/// Runs everything until `shutdown` resolves or a frontend gives up.
pub async fn run(
    config: Config,
    config_path: Option<PathBuf>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), AppError> {
    if config.gateway.is_remote() {
        return remote::run(config, shutdown).await;
    }
    run_with(config, config_path, shutdown, Clock::real(), &ProcessEnv).await
}

/// Like [`run`], on `clock` (tests pass a manual one: retry backoff, the
/// shutdown grace and readiness caching then move when they say) and
/// reading keys from `env`.
pub async fn run_with(
    config: Config,
    config_path: Option<PathBuf>,
    shutdown: impl Future<Output = ()> + Send + 'static,
    clock: Clock,
    env: &dyn Env,
) -> Result<(), AppError> {
    let shared = Arc::new(arc_swap::ArcSwap::from_pointee(config.clone()));
    let gateway = Arc::new(InProcessGateway::open(shared.clone(), clock.clone(), env).await?);
    let stop = CancellationToken::new();
    let upkeep = gateway.maintain(stop.clone());
    let mut tasks: JoinSet<Result<(), AppError>> = JoinSet::new();
    let readiness = Readiness::new(readiness::DEFAULT_TTL);
    readiness.add_ledger(gateway.ledger());
    readiness.add_results(gateway.result_store());
    // A draining process is not ready: load balancers stop sending it work.
    let draining = gateway.clone();
    readiness.add_uncached(
        "accepting",
        Arc::new(move || -> readiness::CheckFuture {
            let draining = draining.is_draining();
            Box::pin(async move {
                match draining {
                    true => Err("draining for shutdown".to_owned()),
                    false => Ok(()),
                }
            })
        }),
    );

    let port: Arc<dyn Gateway> = gateway.clone();
    frontends::spawn(&mut tasks, &config, port, &clock, &stop, Some(&readiness));

    // The HTTP server outlives the drain (readyz, metrics, admin while
    // draining) and stops with the frontends.
    let http_stop = CancellationToken::new();
    if !config.http.listen.is_empty() {
        let addr = config.http.listen.clone();
        let listener = tokio::net::TcpListener::bind(&addr)
            .await
            .map_err(|source| AppError::Bind {
                addr: addr.clone(),
                source,
            })?;
        tracing::info!(%addr, "admin API listening");
        let ops = http::ops::OpsState {
            metrics: gateway.metrics(),
            readiness,
            ledger: gateway.ledger(),
            config: shared.clone(),
        };
        let mut app = http::app(AppState {
            ledger: gateway.ledger(),
            config: shared.clone(),
            config_path,
            gateway: Some(gateway.clone()),
        })
        .merge(http::ops::routes(ops));
        if crate::web::enabled(&config) {
            app = app.merge(crate::web::router(crate::web::WebState::new(
                gateway.clone(),
                gateway.ledger(),
                shared.clone(),
                Some(gateway.metrics()),
                clock.clone(),
            )));
        }
        // With the peer address, for limits per client (web sign-in).
        let app = app.into_make_service_with_connect_info::<std::net::SocketAddr>();
        let stopped = http_stop.clone();
        tasks.spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(stopped.cancelled_owned())
                .await
                .map_err(|e| AppError::Frontend(format!("admin API: {e}")))
        });
    }

    let outcome = tokio::select! {
        () = shutdown => Ok(()),
        Some(done) = tasks.join_next() => match done {
            Ok(result) => result,
            Err(e) => Err(AppError::Frontend(format!("a frontend task failed: {e}"))),
        },
    };
    let grace = shared.load().runner.shutdown_grace;
    gateway.drain(grace).await;
    stop.cancel();
    http_stop.cancel();
    while tasks.join_next().await.is_some() {}
    gateway.shutdown().await;
    let _ = upkeep.await;
    outcome
}
