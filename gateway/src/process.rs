//! What both binaries (`easel`, `easel-gateway`) do the same way around
//! their work: logging, loading the config, the shutdown signal, and the
//! `healthcheck` subcommand.

pub mod healthcheck;

use std::path::Path;
use std::process::ExitCode;

use easel_shared::config::Config;

use crate::settings;

/// Exit code for a configuration error (sysexits EX_USAGE).
pub const EXIT_CONFIG: u8 = 64;

/// Exit code of a failed `healthcheck`: container runtimes read 1 as
/// unhealthy (Docker reserves 2), so every failure, a bad config included, is 1.
pub const EXIT_UNHEALTHY: u8 = 1;

/// Logs to stderr, filtered by `RUST_LOG` (default `info`).
pub fn init_logging() {
    init_logging_at("info");
}

/// Logs to stderr, filtered by `RUST_LOG` or else `default` (terminal
/// commands use `warn` so their own lines are not drowned).
pub fn init_logging_at(default: &str) {
    use std::io::IsTerminal;
    tracing_subscriber::fmt()
        // Colour codes only where a person reads them, not in a piped log.
        .with_ansi(std::io::stderr().is_terminal())
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| default.into()),
        )
        .init();
}

/// Loads the configuration from `path` and the process environment, or
/// prints why not (naming the key) prefixed with the program's name.
pub fn load_config(program: &str, path: Option<&Path>) -> Option<Config> {
    match settings::load(path, &settings::ProcessEnv) {
        Ok(config) => Some(config),
        Err(e) => {
            eprintln!("{program}: {e}");
            None
        }
    }
}

/// The `healthcheck` subcommand: loads the config exactly as the server
/// does (`--config`, `EASEL_CONFIG`, the environment), probes `/healthz` on
/// `http.listen` and says what it found; exit 0 when healthy, 1 when not.
pub async fn healthcheck(program: &str, path: Option<&Path>) -> ExitCode {
    let Some(config) = load_config(program, path) else {
        return ExitCode::from(EXIT_UNHEALTHY);
    };
    match healthcheck::probe(&config.http).await {
        Ok(url) => {
            println!("{program}: healthy ({url})");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{program}: unhealthy: {e}");
            ExitCode::from(EXIT_UNHEALTHY)
        }
    }
}

/// Resolves on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { () = ctrl_c => {}, () = term => {} }
    tracing::info!("shutting down");
}
