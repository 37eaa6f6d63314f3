//! `easel`: the image bot in one process (gateway embedded, frontends as configured).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use easel_gateway::service::OpenError;
use easel_gateway::settings;

/// Easel: image generation and editing for Telegram and Discord, with fair quotas.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Args {
    /// Configuration file (TOML). Without one, built-in defaults and
    /// environment variables are used.
    #[arg(long, short, env = "EASEL_CONFIG")]
    config: Option<PathBuf>,
}

/// Exit code for a configuration error (sysexits EX_USAGE).
const EXIT_CONFIG: u8 = 64;

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let args = Args::parse();
    let config = match settings::load(args.config.as_deref(), &settings::ProcessEnv) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("easel: {e}");
            return ExitCode::from(EXIT_CONFIG);
        }
    };
    match easel_bot::app::run(config, args.config, shutdown_signal()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e @ easel_bot::app::AppError::Open(OpenError::Backend(_))) => {
            eprintln!("easel: {e}");
            ExitCode::from(EXIT_CONFIG)
        }
        Err(e) => {
            tracing::error!(error = %e, "easel stopped");
            ExitCode::FAILURE
        }
    }
}

/// Resolves on SIGINT or SIGTERM.
async fn shutdown_signal() {
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
