//! The chat frontends the configuration enables, each under a
//! [`supervise`](crate::supervise) loop (an unreachable platform is retried
//! with backoff on the clock; a rejected token gives up, exit 64), for both
//! the embedded and the remote mode: one start-up, whichever gateway the
//! port is.

use std::sync::Arc;

use easel_gateway::ledger::Clock;
use easel_gateway::readiness::Readiness;
use easel_gateway::service::Gateway;
use easel_shared::config::Config;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use super::{AppError, probes};
use crate::discord::DiscordError;
use crate::supervise::{self, Link, Outcome};
use crate::telegram::TelegramError;

/// Spawns each enabled frontend on `tasks`, talking to `port`, stopping
/// with `stop`; its platform check joins `readiness` when there is one.
pub(super) fn spawn(
    tasks: &mut JoinSet<Result<(), AppError>>,
    config: &Config,
    port: Arc<dyn Gateway>,
    clock: &Clock,
    stop: &CancellationToken,
    readiness: Option<&Readiness>,
) {
    if config.telegram.enabled() {
        let link = Link::default();
        if let Some(readiness) = readiness {
            readiness.add("telegram", probes::telegram(config, &link));
        }
        let (config, port, clock, stopped) =
            (config.clone(), port.clone(), clock.clone(), stop.clone());
        tasks.spawn(async move {
            let run = |stop: CancellationToken| {
                let (config, port, clock) = (config.clone(), port.clone(), clock.clone());
                async move {
                    let ended = stop.cancelled_owned();
                    telegram_outcome(
                        crate::telegram::run_with_clock(config, port, ended, None, clock).await,
                    )
                }
            };
            Ok(supervise::supervise("telegram", clock.clone(), link, stopped, run).await?)
        });
    }
    if config.discord.enabled() {
        let link = Link::default();
        if let Some(readiness) = readiness {
            readiness.add("discord", probes::discord(config, &link));
        }
        let (config, port, clock, stopped) =
            (config.clone(), port.clone(), clock.clone(), stop.clone());
        tasks.spawn(async move {
            let run = |stop: CancellationToken| {
                let (config, port) = (config.clone(), port.clone());
                async move {
                    let ended = stop.cancelled_owned();
                    discord_outcome(crate::discord::run(config, port, ended).await)
                }
            };
            Ok(supervise::supervise("discord", clock, link, stopped, run).await?)
        });
    }
    if !config.telegram.enabled() && !config.discord.enabled() {
        tracing::warn!("no chat frontend: set EASEL_TELEGRAM_TOKEN and/or EASEL_DISCORD_TOKEN");
    }
}

/// Telegram's verdict: a rejected token is final, configuration errors too,
/// anything else is an outage worth retrying.
fn telegram_outcome(result: Result<(), TelegramError>) -> Outcome {
    match result {
        Ok(()) => Outcome::Stopped,
        Err(TelegramError::TokenRejected) => Outcome::TokenRejected("Unauthorized".to_owned()),
        Err(
            e @ (TelegramError::NoToken | TelegramError::BadApiUrl | TelegramError::Webhook(_)),
        ) => Outcome::Fatal(e.to_string()),
        Err(e @ TelegramError::Startup(_)) => Outcome::Unreachable(e.to_string()),
    }
}

/// Discord's verdict: 401 or an authentication failure on the websocket is
/// a rejected token; a bad public key or a port in use is final; the rest
/// (network, 5xx, a dropped websocket) is retried.
fn discord_outcome(result: Result<(), DiscordError>) -> Outcome {
    use serenity::all::{GatewayError, HttpError};
    let e = match result {
        Ok(()) => return Outcome::Stopped,
        Err(e) => e,
    };
    let shown = e.to_string();
    match e {
        DiscordError::Serenity(inner) => match *inner {
            serenity::Error::Http(HttpError::UnsuccessfulRequest(r))
                if r.status_code.as_u16() == 401 =>
            {
                Outcome::TokenRejected("401 Unauthorized".to_owned())
            }
            serenity::Error::Gateway(GatewayError::InvalidAuthentication) => {
                Outcome::TokenRejected("invalid authentication".to_owned())
            }
            _ => Outcome::Unreachable(shown),
        },
        DiscordError::Io(_) | DiscordError::BadPublicKey => Outcome::Fatal(shown),
    }
}
