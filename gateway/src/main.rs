//! `easel-gateway`: the standalone gateway service (admin API, reaper).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use easel_gateway::process::{self, EXIT_CONFIG};
use easel_gateway::server;

/// Easel's gateway: quota ledger, reaper and admin API.
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
    let Some(config) = process::load_config("easel-gateway", args.config.as_deref()) else {
        return ExitCode::from(EXIT_CONFIG);
    };
    match server::run(config, args.config, process::shutdown_signal()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %e, "gateway stopped");
            ExitCode::FAILURE
        }
    }
}
