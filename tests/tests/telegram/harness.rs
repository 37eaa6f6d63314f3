//! One running Easel Telegram bot for a test: the real teloxide client
//! against the fake Bot API, and the shared test stack: the real in-process
//! gateway over embedded stores in a temp dir, the fake OpenAI server upstream.
//! The bot times album debounces, progress edits and chat actions by the
//! stack's manual clock: an album is complete when the test says so
//! ([`Harness::finish_albums`]), an edit is due when the test moved the
//! clock ([`Harness::advance`]), never after real time.
//!
//! The same scenarios run in two binaries: `telegram` (the gateway embedded)
//! and `telegram_remote` (the bot talks to the gateway through the frontend
//! API and a `RemoteGateway`; [`Mode::of_binary`]).

use std::sync::Arc;
use std::time::Duration;

use easel_gateway::service::{Gateway, InProcessGateway};
use easel_shared::UserKey;
use easel_shared::config::{Config, PlanConfig, TelegramMode, WindowConfig};
use easel_shared::secret::Secret;
use easel_tests::fake_openai::FakeOpenAi;
use easel_tests::fake_telegram::updates::Msg;
use easel_tests::fake_telegram::{Call, Chat, FakeTelegram, TgUser};
use easel_tests::remote::{FrontendApi, Mode, remote_gateway};
use easel_tests::stack::Stack;
use serde_json::Value;
use tokio::sync::{oneshot, watch};
use tokio::task::JoinHandle;

use super::observed::{Observed, Submitted};

/// The bot token the fake accepts.
pub(crate) const TOKEN: &str = "123456:TEST-token-never-logged";
/// The Telegram user configured as admin.
pub(crate) const ADMIN: u64 = 900;
/// Bounds a wait on the bot (a hung test), never a timing assertion.
const WAIT: Duration = Duration::from_secs(30);

/// A running bot with its fakes and stores.
pub(crate) struct Harness {
    /// The fake Bot API.
    pub(crate) tg: FakeTelegram,
    /// The gateway, its stores and the fake image model; `None` only
    /// during a restart.
    stack: Option<Stack>,
    /// The configuration the bot runs with.
    pub(crate) config: Config,
    /// Where the webhook server listens (webhook mode).
    pub(crate) webhook: Option<std::net::SocketAddr>,
    /// Every `submit` answer the bot got, across restarts.
    submits: watch::Sender<Vec<Submitted>>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
    /// Remote mode: the frontend API the bot's `RemoteGateway` calls.
    frontend_api: Option<FrontendApi>,
}

/// The test deployment on top of the stack's: one window of 10 images, an
/// admin, and the bot pointed at the fake Bot API with short debounces.
pub(crate) fn tune(c: &mut Config, tg: &FakeTelegram) {
    c.access.admins = vec![UserKey::telegram(ADMIN)];
    c.plans.insert(
        "free".into(),
        PlanConfig {
            windows: vec![WindowConfig {
                limit: 10,
                period: Duration::from_secs(3 * 3600),
            }],
            max_in_flight: 0,
            burst: None,
            ..PlanConfig::default()
        },
    );
    c.telegram.token = Secret::new(TOKEN);
    c.telegram.api_url = tg.url();
    c.telegram.album_debounce = Duration::from_millis(300);
    c.telegram.progress_private = Duration::from_millis(200);
    c.telegram.progress_group = Duration::from_millis(200);
}

impl Harness {
    /// Starts everything with a window of 10 images.
    pub(crate) async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    /// Starts everything after `tweak` adjusted the config.
    pub(crate) async fn start_with(tweak: impl FnOnce(&mut Config)) -> Self {
        let tg = FakeTelegram::start(TOKEN).await;
        let stack = Stack::start(|c| {
            tune(c, &tg);
            tweak(c);
        })
        .await;
        let config = Config::clone(&stack.config.load());
        let mut h = Self {
            tg,
            stack: Some(stack),
            config,
            webhook: None,
            submits: watch::Sender::new(Vec::new()),
            stop: None,
            task: None,
            frontend_api: None,
        };
        let listener = match h.config.telegram.mode {
            TelegramMode::Webhook => {
                let l = tokio::net::TcpListener::bind("127.0.0.1:0")
                    .await
                    .expect("bind webhook");
                h.webhook = l.local_addr().ok();
                Some(l)
            }
            TelegramMode::Polling => None,
        };
        h.start_bot(listener).await;
        h
    }

    /// Starts a bot over the current gateway (in webhook mode on `listener`).
    pub(crate) async fn start_bot(&mut self, listener: Option<tokio::net::TcpListener>) {
        let (stop, stopped) = oneshot::channel::<()>();
        let inner: Arc<dyn Gateway> = match Mode::of_binary(env!("CARGO_CRATE_NAME")) {
            Mode::Embedded => self.gateway().clone(),
            // A configured URL is a test's own (a dead gateway); otherwise
            // the frontend API over this stack's gateway.
            Mode::Remote if !self.config.gateway.url.is_empty() => {
                remote_gateway(&self.config.gateway.url).await
            }
            Mode::Remote => {
                let stack = self.stack();
                let api = FrontendApi::serve(
                    stack.gateway.clone(),
                    stack.gateway.ledger(),
                    &stack.config,
                )
                .await;
                let remote = remote_gateway(&api.url()).await;
                self.frontend_api = Some(api);
                remote
            }
        };
        let gateway: Arc<dyn Gateway> = Arc::new(Observed {
            inner,
            log: self.submits.clone(),
        });
        let config = self.config.clone();
        let clock = self.stack().clock.clone();
        let task = tokio::spawn(async move {
            let shutdown = async move {
                let _ = stopped.await;
            };
            let run =
                easel_bot::telegram::run_with_clock(config, gateway, shutdown, listener, clock);
            if let Err(e) = run.await {
                panic!("telegram bot failed: {e}");
            }
        });
        self.stop = Some(stop);
        self.task = Some(task);
        // The bot is up once it polls or has registered its webhook.
        let ready = match self.config.telegram.mode {
            TelegramMode::Polling => "getupdates",
            TelegramMode::Webhook => "setwebhook",
        };
        self.tg
            .wait_for("the bot to start", |calls| {
                calls.iter().any(|c| c.method == ready).then_some(())
            })
            .await;
    }

    fn stack(&self) -> &Stack {
        self.stack.as_ref().expect("a gateway is running")
    }

    /// The gateway the bot talks to (also used to read quota in assertions).
    pub(crate) fn gateway(&self) -> &Arc<InProcessGateway> {
        &self.stack().gateway
    }

    /// The fake image model.
    pub(crate) fn openai(&self) -> &FakeOpenAi {
        &self.stack().openai
    }

    /// Stops the bot (it confirms the updates it took) and the gateway, then
    /// starts both again over the same store files, as a process restart would.
    pub(crate) async fn restart(&mut self) {
        self.stop_bot().await;
        if let Some(old) = self.stack.take() {
            self.stack = Some(old.restart().await);
        }
        let polls = self.tg.calls_of("getUpdates").len();
        self.start_bot(None).await;
        self.tg
            .wait_for("the new bot to poll", |calls| {
                (calls.iter().filter(|c| c.method == "getupdates").count() > polls).then_some(())
            })
            .await;
    }

    /// Stops the running bot and waits until it has.
    pub(crate) async fn stop_bot(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.expect("bot task panicked");
        }
        // Its server holds the gateway: a restart must release it.
        self.frontend_api = None;
    }

    /// Credits used in the user's first window.
    pub(crate) async fn used(&self, user: u64) -> u32 {
        let status = self
            .gateway()
            .quota(UserKey::telegram(user))
            .await
            .expect("quota");
        status.windows.first().map_or(0, |w| w.used)
    }

    /// Completes the albums `user` sent to `chat` so far: a `/quota` sent
    /// after them (message and update id `id`) is answered only once the
    /// chat's earlier updates were handled (teloxide handles one chat's
    /// updates in order), then the manual clock moves one album debounce.
    pub(crate) async fn finish_albums(&self, user: &TgUser, chat: &Chat, id: i64) {
        let quota_replies = |calls: &[Call]| {
            calls
                .iter()
                .filter(|c| c.method == "sendmessage" && c.chat_id() == Some(chat.id()))
                .filter(|c| c.text("text").is_some_and(|t| t.contains("left in this")))
                .count()
        };
        let before = quota_replies(&self.tg.calls());
        self.tg
            .push_update(Msg::new(id, user, chat).text("/quota").update(id));
        self.tg
            .wait_for("the chat's earlier updates to be handled", |calls| {
                (quota_replies(calls) > before).then_some(())
            })
            .await;
        self.stack()
            .clock
            .advance(self.config.telegram.album_debounce);
    }

    /// Moves the stack's manual clock, which times the bot's progress edits,
    /// chat actions and album debounces as well as the ledger.
    pub(crate) fn advance(&self, by: Duration) {
        self.stack().clock.advance(by);
    }

    /// Waits until the bot has had `count` answers to `submit` and returns them all.
    pub(crate) async fn submits(&self, count: usize) -> Vec<Submitted> {
        let mut log = self.submits.subscribe();
        tokio::time::timeout(WAIT, log.wait_for(|l| l.len() >= count))
            .await
            .expect("the bot never submitted that often")
            .expect("the log lives as long as the harness")
            .clone()
    }

    /// Upstream image calls so far.
    pub(crate) fn upstream_calls(&self) -> usize {
        self.openai().requests().len()
    }

    /// The first photo sent to `chat` with a caption.
    pub(crate) async fn result_photo(&self, chat: i64) -> Call {
        self.tg
            .wait_call("sendPhoto", chat, |c| c.text("caption").is_some())
            .await
    }

    /// The `n`-th (0-based) text message sent to `chat` that contains `needle`.
    pub(crate) async fn text_containing(&self, chat: i64, needle: &str) -> Call {
        self.tg
            .wait_call("sendMessage", chat, |c| {
                c.text("text").is_some_and(|t| t.contains(needle))
            })
            .await
    }
}

/// The message JSON the fake returned for a call (to reply to it or press its buttons).
pub(crate) fn sent(call: &Call) -> Value {
    let result = call.result.clone().expect("call was answered");
    match result {
        Value::Array(mut items) => items.remove(0),
        other => other,
    }
}
