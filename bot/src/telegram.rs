//! The Telegram frontend (teloxide): updates in, conversation core in the
//! middle, `Gateway` calls out, and results, progress and replies back.
//!
//! Module map: [`convert`] turns a Telegram message into the core's neutral
//! `Incoming`; [`album`] collects album items into one message; [`handlers`]
//! acts on each intent; [`job`] follows a submitted request (progress,
//! results, failures); [`send`] knows Telegram's media rules; [`pacing`]
//! keeps edits and chat actions within Telegram's limits; [`webhook`] serves
//! webhook mode with the secret token checked in constant time.
//!
//! Invariant: the adapter never touches the ledger, a backend or the result
//! store: everything goes through the `Gateway` port. Long work (downloads,
//! jobs, album debounce) is spawned, so one chat's slow request never blocks
//! its next updates (teloxide handles a chat's updates one at a time).

mod album;
mod convert;
mod handlers;
mod job;
mod pacing;
mod send;
mod text;
mod webhook;

use std::future::Future;
use std::sync::{Arc, Mutex};

use easel_gateway::ledger::Clock;
use easel_gateway::service::Gateway;
use easel_shared::Platform;
use easel_shared::config::{Config, TelegramConfig, TelegramMode};
use teloxide::adaptors::Throttle;
use teloxide::adaptors::throttle::Limits;
use teloxide::dispatching::{DefaultKey, Dispatcher, UpdateFilterExt, UpdateHandler};
use teloxide::error_handlers::LoggingErrorHandler;
use teloxide::prelude::*;
use teloxide::update_listeners::Polling;

pub use webhook::check_secret;

/// How long one `getUpdates` waits for updates (teloxide's own default for
/// long polling; under the Bot API client's 17 s request timeout).
const LONG_POLL: std::time::Duration = std::time::Duration::from_secs(10);

/// The bot as handlers use it: sends are paced by teloxide's `Throttle`
/// (per chat and overall); edits and chat actions by [`pacing`].
pub type TgBot = Throttle<Bot>;

/// Why the Telegram frontend stopped or could not start.
#[derive(Debug, thiserror::Error)]
pub enum TelegramError {
    /// No token configured (`telegram.token` / `EASEL_TELEGRAM_TOKEN`).
    #[error("no Telegram bot token configured (telegram.token or EASEL_TELEGRAM_TOKEN)")]
    NoToken,
    /// `telegram.api_url` is not a URL.
    #[error("telegram.api_url is not a valid URL")]
    BadApiUrl,
    /// The Bot API could not be reached at start-up (or refused a call).
    /// The message never contains the token.
    #[error("the Telegram Bot API could not be reached at start-up: {0}")]
    Startup(String),
    /// The Bot API refused the token (`getMe` answered Unauthorized).
    #[error("the Telegram Bot API rejected the token")]
    TokenRejected,
    /// The webhook server could not listen.
    #[error("webhook server: {0}")]
    Webhook(#[from] std::io::Error),
}

/// What every handler shares. Cheap to clone.
#[derive(Clone)]
pub struct State {
    inner: Arc<Inner>,
}

struct Inner {
    gateway: Arc<dyn Gateway>,
    config: TelegramConfig,
    /// The bot's username, for `/cmd@Bot` and `@Bot` mentions.
    username: String,
    /// The bot's user id, to tell replies to the bot apart.
    bot_id: u64,
    /// Plain client for file downloads (the throttled one paces sends only).
    raw: Bot,
    albums: album::Albums,
    /// Times the album debounce, progress edits and chat actions: the real
    /// clock, or a test's manual one.
    clock: Clock,
    pacer: pacing::Pacer,
    /// Recently handled updates, so a redelivery is answered once.
    seen: Mutex<convert::Recent>,
}

impl State {
    /// Shared state for the handlers.
    pub fn new(
        gateway: Arc<dyn Gateway>,
        config: &Config,
        raw: Bot,
        me: &teloxide::types::Me,
        clock: Clock,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                gateway,
                pacer: pacing::Pacer::new(&config.telegram),
                config: config.telegram.clone(),
                username: me.username.clone().unwrap_or_default(),
                bot_id: me.id.0,
                raw,
                albums: album::Albums::default(),
                clock,
                seen: Mutex::new(convert::Recent::new(4096)),
            }),
        }
    }
}

/// The handler tree: messages (including album items and replies) and
/// button presses. Everything else is ignored.
pub fn schema() -> UpdateHandler<anyhow::Error> {
    dptree::entry()
        .branch(Update::filter_message().endpoint(handlers::message))
        .branch(Update::filter_callback_query().endpoint(handlers::callback))
}

/// Runs the Telegram frontend until `shutdown` resolves; then stops taking
/// updates and returns (jobs already running finish in the gateway).
pub async fn run(
    config: Config,
    gateway: Arc<dyn Gateway>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), TelegramError> {
    run_with_listener(config, gateway, shutdown, None).await
}

/// Like [`run`]; in webhook mode it serves on `listener` instead of binding
/// `telegram.webhook_listen` (tests pass a listener on 127.0.0.1:0).
pub async fn run_with_listener(
    full: Config,
    gateway: Arc<dyn Gateway>,
    shutdown: impl Future<Output = ()> + Send + 'static,
    listener: Option<tokio::net::TcpListener>,
) -> Result<(), TelegramError> {
    run_with_clock(full, gateway, shutdown, listener, Clock::real()).await
}

/// Like [`run_with_listener`], timing the album debounce, progress edits
/// and chat actions by `clock` (tests pass the gateway's manual clock, so an
/// album completes and an edit is due when they say).
pub async fn run_with_clock(
    full: Config,
    gateway: Arc<dyn Gateway>,
    shutdown: impl Future<Output = ()> + Send + 'static,
    listener: Option<tokio::net::TcpListener>,
    clock: Clock,
) -> Result<(), TelegramError> {
    let config = &full.telegram;
    if !config.enabled() {
        return Err(TelegramError::NoToken);
    }
    let url = reqwest::Url::parse(&config.api_url).map_err(|_| TelegramError::BadApiUrl)?;
    let raw = Bot::new(config.token.expose()).set_api_url(url);
    // Errors from teloxide can quote the request URL, which holds the token:
    // report only what kind of failure it was.
    let me = raw.get_me().await.map_err(|e| match e {
        teloxide::RequestError::Api(teloxide::ApiError::InvalidToken) => {
            TelegramError::TokenRejected
        }
        e => TelegramError::Startup(redact(&e)),
    })?;
    let bot = raw.clone().throttle(Limits::default());
    let mode = config.mode;
    // Ends with this run, so a retry after an outage forwards only once.
    let _notices = crate::supervise::TaskGuard(tokio::spawn(crate::core::notify::forward(
        &gateway,
        full.access.admins.clone(),
        Platform::Telegram,
        {
            let bot = bot.clone();
            move |admin, text| {
                let bot = bot.clone();
                async move {
                    if let Err(e) = bot.send_message(ChatId(admin.id as i64), text).await {
                        tracing::warn!(admin = %admin, error = %redact(&e), "admin notice not delivered");
                    }
                }
            }
        },
    )));
    let claims = gateway.clone();
    let state = State::new(gateway, &full, raw, &me, clock);
    let mut dispatcher = dispatcher(bot.clone(), state);
    let token = dispatcher.shutdown_token();
    tokio::spawn(async move {
        shutdown.await;
        if let Ok(done) = token.shutdown() {
            done.await;
        }
    });
    let errors = LoggingErrorHandler::with_custom_text("telegram update listener");
    match mode {
        TelegramMode::Polling => {
            let _ = bot.delete_webhook().await;
            // Long polling: without a timeout every getUpdates returns at
            // once and the bot asks again in a tight loop (CPU, and calls
            // Telegram may limit). Below the client's 17 s request timeout.
            let polling = Polling::builder(bot).timeout(LONG_POLL).build();
            dispatcher.dispatch_with_listener(polling, errors).await;
        }
        TelegramMode::Webhook => {
            let listener = match listener {
                Some(l) => l,
                None => tokio::net::TcpListener::bind(&config.webhook_listen).await?,
            };
            let updates = webhook::start(&bot, config, listener, claims, me.id.0)
                .await
                .map_err(|e| TelegramError::Startup(redact(&e)))?;
            dispatcher.dispatch_with_listener(updates, errors).await;
        }
    }
    Ok(())
}

fn dispatcher(bot: TgBot, state: State) -> Dispatcher<TgBot, anyhow::Error, DefaultKey> {
    Dispatcher::builder(bot, schema())
        .dependencies(dptree::deps![state])
        .default_handler(|_| async {})
        .error_handler(LoggingErrorHandler::with_custom_text("telegram handler"))
        .build()
}

/// A Bot API error without anything that could hold the token (a
/// transport error may print the request URL).
fn redact(e: &teloxide::RequestError) -> String {
    match e {
        teloxide::RequestError::Api(api) => api.to_string(),
        teloxide::RequestError::RetryAfter(s) => format!("rate limited for {}s", s.seconds()),
        teloxide::RequestError::Network(_) => "network error".to_owned(),
        teloxide::RequestError::InvalidJson { .. } => "invalid response".to_owned(),
        _ => "request failed".to_owned(),
    }
}
