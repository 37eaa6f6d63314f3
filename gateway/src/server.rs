//! The standalone gateway process: opens the whole gateway (ledger, runner,
//! backends, result store; its upkeep runs the reaper) and serves HTTP (the
//! admin API and the frontend API for bot processes) until shutdown.
//! Without `[[backends.chain]]` it opens only the ledger and serves the
//! admin API, as before there was a frontend API. `main.rs` only parses
//! flags and calls [`run`].

use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use easel_shared::config::Config;
use tokio_util::sync::CancellationToken;

use crate::http::{self, AppState};
use crate::ledger::{self, Clock, Ledger, LedgerError, ReapReport};
use crate::metrics::{Metrics, ReservationOutcome};
use crate::readiness::Readiness;
use crate::service::{Gateway, InProcessGateway, OpenError};
use crate::settings::ProcessEnv;

/// Why the gateway could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// The ledger could not be opened.
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    /// The gateway (ledger, result store, backends) could not be opened.
    #[error(transparent)]
    Open(#[from] OpenError),
    /// The listen address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The configured address.
        addr: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// The HTTP server failed.
    #[error("HTTP server failed: {0}")]
    Serve(std::io::Error),
}

/// What a binary hands the server so it can add routes of its own next to
/// the admin API (the bot crate's web pages): the HTTP state, the metrics
/// registry and the clock. Called once, when the server starts listening.
pub type ExtraRoutes = Box<dyn FnOnce(ServedParts) -> axum::Router + Send>;

/// The pieces [`ExtraRoutes`] may build on.
pub struct ServedParts {
    /// The admin API's state (ledger, config, the gateway port if the
    /// process runs backends).
    pub state: AppState,
    /// The process's metrics registry.
    pub metrics: Metrics,
    /// The gateway's clock.
    pub clock: Clock,
}

/// Runs the gateway until `shutdown` resolves.
pub async fn run(
    config: Config,
    config_path: Option<PathBuf>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServerError> {
    run_with_routes(config, config_path, shutdown, None).await
}

/// Like [`run`], merging `extra` routes into the HTTP server.
pub async fn run_with_routes(
    config: Config,
    config_path: Option<PathBuf>,
    shutdown: impl Future<Output = ()> + Send + 'static,
    extra: Option<ExtraRoutes>,
) -> Result<(), ServerError> {
    let config: ledger::SharedConfig = Arc::new(arc_swap::ArcSwap::from_pointee(config));
    let stop = CancellationToken::new();
    let readiness = Readiness::new(crate::readiness::DEFAULT_TTL);
    let (ledger, gateway, metrics, upkeep) = if config.load().backends.chain.is_empty() {
        tracing::warn!("no [[backends.chain]]: serving the admin API only, no frontend API");
        let ledger = ledger::open(&config, Clock::real()).await?;
        let metrics = Metrics::new();
        let reaper = reap_forever(
            ledger.clone(),
            config.clone(),
            stop.clone(),
            metrics.clone(),
        );
        (ledger, None, metrics, tokio::spawn(reaper))
    } else {
        let gateway =
            Arc::new(InProcessGateway::open(config.clone(), Clock::real(), &ProcessEnv).await?);
        let upkeep = gateway.maintain(stop.clone());
        readiness.add_results(gateway.result_store());
        (
            gateway.ledger(),
            Some(gateway.clone()),
            gateway.metrics(),
            upkeep,
        )
    };
    if gateway.is_some() && config.load().gateway.frontends.is_empty() {
        tracing::warn!("gateway.frontends is empty: no bot process can use the frontend API");
    }
    readiness.add_ledger(ledger.clone());
    let ops = http::ops::OpsState {
        metrics: metrics.clone(),
        readiness,
        ledger: ledger.clone(),
        config: config.clone(),
    };

    let listen = config.load().http.listen.clone();
    let result = if listen.is_empty() {
        tracing::info!("http.listen is empty: no HTTP server");
        shutdown.await;
        drain(gateway.as_deref(), &config).await;
        Ok(())
    } else {
        let listener = tokio::net::TcpListener::bind(&listen)
            .await
            .map_err(|source| ServerError::Bind {
                addr: listen.clone(),
                source,
            })?;
        tracing::info!(addr = %listen, "gateway listening");
        let state = AppState {
            ledger,
            config: config.clone(),
            config_path,
            gateway: gateway.clone().map(|g| g as Arc<dyn Gateway>),
        };
        let mut app = http::app(state.clone()).merge(http::ops::routes(ops));
        if let Some(extra) = extra {
            app = app.merge(extra(ServedParts {
                state,
                metrics,
                clock: Clock::real(),
            }));
        }
        // With the peer address, for limits per client (web sign-in).
        let app = app.into_make_service_with_connect_info::<std::net::SocketAddr>();
        // The server outlives the drain: bot processes still follow their
        // jobs' events (and deliver them) while running jobs finish.
        let http_stop = CancellationToken::new();
        let server = tokio::spawn(
            axum::serve(listener, app)
                .with_graceful_shutdown(http_stop.clone().cancelled_owned())
                .into_future(),
        );
        shutdown.await;
        drain(gateway.as_deref(), &config).await;
        http_stop.cancel();
        match server.await {
            Ok(served) => served.map_err(ServerError::Serve),
            Err(join) => Err(ServerError::Serve(std::io::Error::other(join))),
        }
    };
    stop.cancel();
    if let Some(gateway) = &gateway {
        gateway.shutdown().await;
    }
    let _ = upkeep.await;
    result
}

/// Graceful shutdown of the whole gateway: new requests hear "restarting",
/// waiting jobs are refunded, running ones get `runner.shutdown_grace`.
async fn drain(gateway: Option<&InProcessGateway>, config: &ledger::SharedConfig) {
    if let Some(gateway) = gateway {
        let grace = config.load().runner.shutdown_grace;
        gateway.drain(grace).await;
    }
}

/// Refunds reservations of vanished workers, every `ledger.reap_every`.
/// Several replicas may run this at once: each refund happens exactly once.
/// Each refund is counted on `metrics` as reaped.
pub async fn reap_forever(
    ledger: Arc<dyn Ledger>,
    config: ledger::SharedConfig,
    stop: CancellationToken,
    metrics: Metrics,
) {
    loop {
        let every = config.load().ledger.reap_every.max(Duration::from_secs(1));
        tokio::select! {
            () = stop.cancelled() => return,
            () = tokio::time::sleep(every) => {}
        }
        if let Err(e) = reap_once(&*ledger, &metrics).await {
            tracing::warn!(error = %e, "reaper pass failed; will retry");
        }
    }
}

/// One reaper pass: refunds expired reservations and counts them as reaped.
pub async fn reap_once(ledger: &dyn Ledger, metrics: &Metrics) -> Result<ReapReport, LedgerError> {
    let report = ledger.reap().await?;
    if report.refunded > 0 {
        metrics.reservation(ReservationOutcome::Reaped, u64::from(report.refunded));
        tracing::warn!(
            refunded = report.refunded,
            "reaper refunded expired reservations"
        );
    }
    Ok(report)
}
