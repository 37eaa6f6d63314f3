//! `easel-gateway`: the standalone gateway service (`easel_gateway::server`:
//! admin API, frontend API, /v1, reaper). It lives in the bot crate so it
//! serves the web pages (`easel_bot::web`), a frontend on the conversation core.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use easel_gateway::process::{self, EXIT_CONFIG};
use easel_gateway::server;

/// Easel's gateway: quota ledger, reaper and admin API.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Args {
    /// Configuration file (TOML). Without one, built-in defaults and
    /// environment variables are used.
    #[arg(long, short, env = "EASEL_CONFIG", global = true)]
    config: Option<PathBuf>,
    /// Without a subcommand the gateway runs.
    #[command(subcommand)]
    command: Option<Command>,
}

/// What to do instead of running the gateway.
#[derive(Debug, Subcommand)]
enum Command {
    /// Exit 0 if the running gateway's /healthz (on http.listen) answers,
    /// 1 if not: for container health checks.
    Healthcheck,
}

/// mimalloc instead of glibc's malloc: many small, short-lived allocations
/// per request on many threads (docs/bench/proxy-compare.md, run 6).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    match args.command {
        Some(Command::Healthcheck) => {
            process::init_logging();
            process::healthcheck("easel-gateway", args.config.as_deref()).await
        }
        None => serve(args.config).await,
    }
}

async fn serve(config_path: Option<PathBuf>) -> ExitCode {
    let Some(config) = process::load_config("easel-gateway", config_path.as_deref()) else {
        return ExitCode::from(EXIT_CONFIG);
    };
    // After the config, which says the format; its own errors go to stderr as text.
    process::init_logging_as(config.log.format, "info");
    let web: server::ExtraRoutes = Box::new(easel_bot::web::for_server);
    let shutdown = process::shutdown_signal();
    match server::run_with_routes(config, config_path, shutdown, Some(web)).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %e, "gateway stopped");
            ExitCode::FAILURE
        }
    }
}
