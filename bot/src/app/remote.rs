//! `easel` against a remote gateway (`gateway.url`): the chat frontends
//! over a [`RemoteGateway`], no ledger and no admin API here (the gateway
//! process serves it); `http.listen` answers `/healthz` only, for the
//! container health check.

use std::future::Future;
use std::sync::Arc;

use easel_gateway::service::{Gateway, RemoteGateway};
use easel_shared::config::Config;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use easel_gateway::ledger::Clock;

use super::{AppError, frontends};

/// Runs the enabled frontends against the remote gateway until `shutdown`
/// resolves or a frontend fails.
pub(super) async fn run(
    config: Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), AppError> {
    tracing::info!(url = %config.gateway.url, "using the remote gateway");
    let port: Arc<dyn Gateway> = Arc::new(RemoteGateway::connect(&config.gateway).await);
    let stop = CancellationToken::new();
    let mut tasks: JoinSet<Result<(), AppError>> = JoinSet::new();
    if !config.http.listen.is_empty() {
        let addr = config.http.listen.clone();
        let listener = tokio::net::TcpListener::bind(&addr)
            .await
            .map_err(|source| AppError::Bind {
                addr: addr.clone(),
                source,
            })?;
        let app = axum::Router::new().route("/healthz", axum::routing::get(|| async { "ok" }));
        let stopped = stop.clone();
        tasks.spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(stopped.cancelled_owned())
                .await
                .map_err(|e| AppError::Frontend(format!("health endpoint: {e}")))
        });
    }
    // The same supervised start-up as the embedded mode: a platform outage
    // is retried while the other frontend keeps serving.
    frontends::spawn(&mut tasks, &config, port, &Clock::real(), &stop, None);
    let outcome = tokio::select! {
        () = shutdown => Ok(()),
        Some(done) = tasks.join_next() => match done {
            Ok(result) => result,
            Err(e) => Err(AppError::Frontend(format!("a frontend task failed: {e}"))),
        },
    };
    stop.cancel();
    while tasks.join_next().await.is_some() {}
    outcome
}
