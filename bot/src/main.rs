//! `easel`: the image bot in one process (gateway embedded, frontends as configured).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use easel_bot::app::{self, AppError};
use easel_gateway::process::{self, EXIT_CONFIG};
use easel_gateway::service::OpenError;

/// Easel: image generation and editing for Telegram and Discord, with fair quotas.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Args {
    /// Configuration file (TOML). Without one, built-in defaults and
    /// environment variables are used.
    #[arg(long, short, env = "EASEL_CONFIG", global = true)]
    config: Option<PathBuf>,
    /// Without a subcommand the bot runs.
    #[command(subcommand)]
    command: Option<Command>,
}

/// What to do instead of running the bot.
#[derive(Debug, Subcommand)]
enum Command {
    /// Exit 0 if the running bot's /healthz (on http.listen) answers,
    /// 1 if not: for container health checks.
    Healthcheck,
}

#[tokio::main]
async fn main() -> ExitCode {
    process::init_logging();
    let args = Args::parse();
    match args.command {
        Some(Command::Healthcheck) => process::healthcheck("easel", args.config.as_deref()).await,
        None => serve(args.config).await,
    }
}

async fn serve(config_path: Option<PathBuf>) -> ExitCode {
    let Some(config) = process::load_config("easel", config_path.as_deref()) else {
        return ExitCode::from(EXIT_CONFIG);
    };
    match app::run(config, config_path, process::shutdown_signal()).await {
        Ok(()) => ExitCode::SUCCESS,
        // A backend without its key is a configuration problem.
        Err(e @ AppError::Open(OpenError::Backend(_))) => {
            eprintln!("easel: {e}");
            ExitCode::from(EXIT_CONFIG)
        }
        Err(e) => {
            tracing::error!(error = %e, "easel stopped");
            ExitCode::FAILURE
        }
    }
}
