//! `easel`: the image bot in one process (gateway embedded, frontends as
//! configured), plus the operator's terminal commands (`doctor`, `try`).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use easel_bot::app::{self, AppError};
use easel_bot::cli::{EXIT_FAILED, doctor, try_};
use easel_bot::supervise::GaveUp;
use easel_gateway::process::{self, EXIT_CONFIG};
use easel_gateway::service::OpenError;
use easel_gateway::settings::ProcessEnv;

/// Easel: image generation and editing for Telegram and Discord, with fair quotas.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Args {
    /// Configuration file (TOML). Without one, built-in defaults and
    /// environment variables are used.
    #[arg(long, short, env = "EASEL_CONFIG", global = true)]
    config: Option<PathBuf>,
    /// What to do; without a command, run the bot.
    #[command(subcommand)]
    command: Option<Command>,
}

/// The terminal commands. No command runs the bot.
#[derive(Debug, Subcommand)]
enum Command {
    /// Check the configuration, the quota store, the backends' keys and the
    /// chat tokens; exits 1 if any check fails (64 if the config does not parse).
    Doctor,
    /// Make one image through the whole gateway and save the provider's file.
    Try(Box<TryCommand>),
    /// Exit 0 if the running bot's /healthz (on http.listen) answers,
    /// 1 if not: for container health checks.
    Healthcheck,
}

/// `easel try "a red fox in the snow" --ar 3:2`
#[derive(Debug, clap::Args)]
struct TryCommand {
    /// What to draw (chat flags such as `--ar 16:9` may be part of it).
    #[arg(required = true)]
    prompt: Vec<String>,
    /// An image to edit (repeat for several).
    #[arg(short = 'i', long = "image")]
    images: Vec<PathBuf>,
    /// Where to save the image, or a directory for the default name
    /// (easel-try-<result id>.<ext>).
    #[arg(short, long)]
    out: Option<PathBuf>,
    /// The user charged, as cli:<NAME>.
    #[arg(long, default_value = "operator")]
    user: String,
    /// Aspect ratio W:H, as in chat.
    #[arg(long, visible_alias = "aspect")]
    ar: Option<String>,
    /// Size WxH in pixels.
    #[arg(long)]
    size: Option<String>,
    /// Quality: auto, low, medium, high.
    #[arg(long = "q", visible_alias = "quality")]
    quality: Option<String>,
    /// Number of images.
    #[arg(long)]
    n: Option<String>,
    /// Background: auto, transparent, opaque.
    #[arg(long = "bg", visible_alias = "background")]
    background: Option<String>,
    /// Output format: png, jpeg, webp.
    #[arg(long = "fmt", visible_alias = "format")]
    format: Option<String>,
}

impl TryCommand {
    fn into_args(self: Box<Self>) -> try_::TryArgs {
        let flags = [
            ("ar", self.ar),
            ("size", self.size),
            ("q", self.quality),
            ("n", self.n),
            ("bg", self.background),
            ("fmt", self.format),
        ]
        .into_iter()
        .filter_map(|(name, value)| Some((name.to_owned(), value?)))
        .collect();
        try_::TryArgs {
            prompt: self.prompt.join(" "),
            flags,
            inputs: self.images,
            out: self.out,
            user: self.user,
        }
    }
}

/// mimalloc instead of glibc's malloc: many small, short-lived allocations
/// per request on many threads (docs/bench/proxy-compare.md, run 6).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    match args.command {
        None => serve(args.config).await,
        Some(Command::Healthcheck) => process::healthcheck("easel", args.config.as_deref()).await,
        Some(Command::Doctor) => {
            process::init_logging_at("warn");
            let mut out = std::io::stdout();
            match doctor::run(args.config.as_deref(), &ProcessEnv, &mut out).await {
                Ok(verdict) => ExitCode::from(verdict.exit_code()),
                Err(e) => {
                    eprintln!("easel doctor: {e}");
                    ExitCode::from(EXIT_FAILED)
                }
            }
        }
        Some(Command::Try(command)) => {
            process::init_logging_at("warn");
            let Some(config) = process::load_config("easel try", args.config.as_deref()) else {
                return ExitCode::from(EXIT_CONFIG);
            };
            let (mut out, mut err) = (std::io::stdout(), std::io::stderr());
            let args = command.into_args();
            match try_::run(config, &args, &ProcessEnv, &mut out, &mut err).await {
                Ok(try_::Tried::Saved(_)) => ExitCode::SUCCESS,
                Ok(_) => ExitCode::from(EXIT_FAILED),
                Err(e @ try_::TryError::Open(OpenError::Backend(_))) => {
                    eprintln!("easel try: {e}");
                    ExitCode::from(EXIT_CONFIG)
                }
                Err(e) => {
                    eprintln!("easel try: {e}");
                    ExitCode::from(EXIT_FAILED)
                }
            }
        }
    }
}

/// Runs the bot (no command given).
async fn serve(config_path: Option<PathBuf>) -> ExitCode {
    let Some(config) = process::load_config("easel", config_path.as_deref()) else {
        return ExitCode::from(EXIT_CONFIG);
    };
    // After the config, which says the format; its own errors go to stderr as text.
    process::init_logging_as(config.log.format, "info");
    match app::run(config, config_path, process::shutdown_signal()).await {
        Ok(()) => ExitCode::SUCCESS,
        // A backend without its key, or a model the provider does not know
        // (or has retired), is a configuration problem.
        Err(e @ AppError::Open(OpenError::Backend(_) | OpenError::Model(_))) => {
            eprintln!("easel: {e}");
            ExitCode::from(EXIT_CONFIG)
        }
        // A chat token the platform rejects is a configuration problem too.
        Err(e @ AppError::GaveUp(GaveUp::TokenRejected { .. })) => {
            eprintln!("easel: {e}");
            ExitCode::from(EXIT_CONFIG)
        }
        Err(e) => {
            tracing::error!(error = %e, "easel stopped");
            ExitCode::FAILURE
        }
    }
}
