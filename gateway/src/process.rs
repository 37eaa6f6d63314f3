//! What both binaries (`easel`, `easel-gateway`) do the same way around
//! their work: logging, loading the config, the shutdown signal, and the
//! `healthcheck` subcommand.

pub mod healthcheck;

use std::path::Path;
use std::process::ExitCode;

use easel_shared::config::{Config, LogFormat};

use crate::settings;

/// Exit code for a configuration error (sysexits EX_USAGE).
pub const EXIT_CONFIG: u8 = 64;

/// Exit code of a failed `healthcheck`: container runtimes read 1 as
/// unhealthy (Docker reserves 2), so every failure, a bad config included, is 1.
pub const EXIT_UNHEALTHY: u8 = 1;

/// Logs text to stderr, filtered by `RUST_LOG` (default `info`).
pub fn init_logging() {
    init_logging_as(LogFormat::Text, "info");
}

/// Logs text to stderr, filtered by `RUST_LOG` or else `default` (terminal
/// commands use `warn` so their own lines are not drowned).
pub fn init_logging_at(default: &str) {
    init_logging_as(LogFormat::Text, default);
}

/// Logs to stderr in `format` (`log.format`, `EASEL_LOG_FORMAT`), filtered
/// by `RUST_LOG` or else `default`. Records of the `log` crate (teloxide's)
/// are bridged in. Secrets are `Secret`s, which print `***` in either format.
pub fn init_logging_as(format: LogFormat, default: &str) {
    use std::io::IsTerminal;
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    let filter =
        tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| default.into());
    // Colour codes only where a person reads them, not in a piped log.
    let ansi = std::io::stderr().is_terminal();
    tracing_subscriber::registry()
        .with(filter)
        .with(log_layer(format, std::io::stderr, ansi))
        .init();
}

/// The formatting layer both binaries log through, writing to `writer`
/// (tests capture with it, so they check the very format production writes).
/// JSON: one object per line with `timestamp`, `level`, `target`, `fields`
/// and the current `span`.
pub fn log_layer<S, W>(
    format: LogFormat,
    writer: W,
    ansi: bool,
) -> Box<dyn tracing_subscriber::Layer<S> + Send + Sync + 'static>
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
    W: for<'w> tracing_subscriber::fmt::MakeWriter<'w> + Send + Sync + 'static,
{
    use tracing_subscriber::Layer;
    let layer = tracing_subscriber::fmt::layer().with_writer(writer);
    match format {
        LogFormat::Text => layer.with_ansi(ansi).boxed(),
        LogFormat::Json => layer
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .boxed(),
    }
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
