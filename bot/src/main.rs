//! `easel`: the image bot in one process (gateway embedded, frontends as configured).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use easel_bot::app::{self, AppError};
use easel_gateway::process::{self, EXIT_CONFIG};
use easel_gateway::service::OpenError;

/// Easel: image generation and editing for Telegram and Discord, with fair quotas.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Args {
    /// Configuration file (TOML). Without one, built-in defaults and
    /// environment variables are used.
    #[arg(long, short, env = "EASEL_CONFIG")]
    config: Option<PathBuf>,
}

#[tokio::main]
async fn main() -> ExitCode {
    process::init_logging();
    let args = Args::parse();
    let Some(config) = process::load_config("easel", args.config.as_deref()) else {
        return ExitCode::from(EXIT_CONFIG);
    };
    match app::run(config, args.config, process::shutdown_signal()).await {
        Ok(()) => ExitCode::SUCCESS,
        // A backend without its key, or a model the provider does not know
        // (or has retired), is a configuration problem.
        Err(e @ AppError::Open(OpenError::Backend(_) | OpenError::Model(_))) => {
            eprintln!("easel: {e}");
            ExitCode::from(EXIT_CONFIG)
        }
        Err(e) => {
            tracing::error!(error = %e, "easel stopped");
            ExitCode::FAILURE
        }
    }
}
