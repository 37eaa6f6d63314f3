//! The standalone gateway process: opens the ledger, runs the reaper and
//! serves HTTP until shutdown. `main.rs` only parses flags and calls [`run`].

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

/// Why the gateway could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// The ledger could not be opened.
    #[error(transparent)]
    Ledger(#[from] LedgerError),
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

/// Runs the gateway until `shutdown` resolves.
pub async fn run(
    config: Config,
    config_path: Option<PathBuf>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServerError> {
    let config: ledger::SharedConfig = Arc::new(arc_swap::ArcSwap::from_pointee(config));
    let ledger = ledger::open(&config, Clock::real()).await?;
    let stop = CancellationToken::new();
    let metrics = Metrics::new();
    let reaper = reap_forever(
        ledger.clone(),
        config.clone(),
        stop.clone(),
        metrics.clone(),
    );
    let reaper = tokio::spawn(reaper);
    let readiness = Readiness::new(crate::readiness::DEFAULT_TTL);
    readiness.add_ledger(ledger.clone());
    let ops = http::ops::OpsState {
        metrics,
        readiness,
        ledger: ledger.clone(),
        config: config.clone(),
    };

    let listen = config.load().http.listen.clone();
    let result = if listen.is_empty() {
        tracing::info!("http.listen is empty: no HTTP server");
        shutdown.await;
        Ok(())
    } else {
        let listener = tokio::net::TcpListener::bind(&listen)
            .await
            .map_err(|source| ServerError::Bind {
                addr: listen.clone(),
                source,
            })?;
        tracing::info!(addr = %listen, "gateway listening");
        let app = http::app(AppState {
            ledger,
            config,
            config_path,
            gateway: None,
        })
        .merge(http::ops::routes(ops));
        axum::serve(listener, app)
            .with_graceful_shutdown(shutdown)
            .await
            .map_err(ServerError::Serve)
    };
    stop.cancel();
    let _ = reaper.await;
    result
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
