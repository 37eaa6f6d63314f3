//! The whole `easel` process (`app::run_with`, manual clock) with a chat
//! platform down at start-up: the admin API and readiness serve meanwhile,
//! the frontend is retried after its backoff once the platform is back, and
//! `/readyz` turns 200. The fakes answer their edge's 502 page while down.

use easel_bot::supervise::FIRST_BACKOFF;
use easel_gateway::ledger::Clock;
use easel_gateway::settings::ProcessEnv;
use easel_shared::config::{Config, DiscordMode};
use easel_shared::secret::Secret;
use easel_tests::fake_discord::{self, FakeDiscord};
use easel_tests::fake_openai::FakeOpenAi;
use easel_tests::fake_telegram::updates::Msg;
use easel_tests::fake_telegram::{FakeTelegram, TgUser, poll_until, poll_until_async};
use easel_tests::stack::{OPENAI_KEY, START, Stack};
use serde_json::Value;
use tokio_util::sync::CancellationToken;

use super::free_port;

const TELEGRAM_TOKEN: &str = "7000000001:AAH-opsTEST-token0123456789abcdefghi";

/// A running `easel` process and how to reach and stop it.
struct App {
    base: String,
    clock: Clock,
    stop: CancellationToken,
    task: tokio::task::JoinHandle<Result<(), easel_bot::app::AppError>>,
    _dir: tempfile::TempDir,
    openai: FakeOpenAi,
}

impl App {
    async fn start(tune: impl FnOnce(&mut Config)) -> App {
        let openai = FakeOpenAi::start_with_key(OPENAI_KEY).await;
        let dir = tempfile::tempdir().unwrap();
        let mut config = Stack::config(&openai, dir.path());
        let port = free_port();
        config.http.listen = format!("127.0.0.1:{port}");
        tune(&mut config);
        let clock = Clock::manual(START);
        let stop = CancellationToken::new();
        let task = tokio::spawn(easel_bot::app::run_with(
            config,
            None,
            stop.clone().cancelled_owned(),
            clock.clone(),
            &ProcessEnv,
        ));
        App {
            base: format!("http://127.0.0.1:{port}"),
            clock,
            stop,
            task,
            _dir: dir,
            openai,
        }
    }

    async fn get(&self, path: &str) -> Option<(u16, String)> {
        let res = reqwest::get(format!("{}{path}", self.base)).await.ok()?;
        let status = res.status().as_u16();
        Some((status, res.text().await.ok()?))
    }

    /// `/readyz` once the server answers: (status, body).
    async fn readyz(&self) -> (u16, Value) {
        let (status, body) =
            poll_until_async("the HTTP server answers", || self.get("/readyz")).await;
        (status, serde_json::from_str(&body).unwrap())
    }

    /// Waits until `/readyz` says `platform` is down and waiting to retry.
    async fn wait_retrying(&self, platform: &str) -> Value {
        poll_until_async("the frontend waits to retry", || async {
            let (status, body) = self.readyz().await;
            let check = body["checks"]
                .as_array()?
                .iter()
                .find(|c| c["name"] == platform)?
                .clone();
            let retrying = check["error"].as_str()?.starts_with("retrying:");
            (status == 503 && retrying).then_some(body)
        })
        .await
    }

    async fn wait_ready(&self) {
        poll_until_async("readyz turns 200", || async {
            (self.readyz().await.0 == 200).then_some(())
        })
        .await;
    }

    async fn stop(self) {
        self.stop.cancel();
        let ended = self.task.await.unwrap();
        assert!(ended.is_ok(), "a clean stop: {ended:?}");
    }
}

fn check<'a>(body: &'a Value, name: &str) -> &'a Value {
    body["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no {name} check in {body}"))
}

#[tokio::test]
async fn telegram_down_at_start_up_is_retried_while_the_rest_serves() {
    let telegram = FakeTelegram::start(TELEGRAM_TOKEN).await;
    telegram.set_down(true);
    let url = telegram.url();
    let app = App::start(|c| {
        c.telegram.token = Secret::new(TELEGRAM_TOKEN);
        c.telegram.api_url = url;
    })
    .await;

    let body = app.wait_retrying("telegram").await;
    assert_eq!(check(&body, "ledger")["ok"], true, "{body}");
    assert_eq!(check(&body, "results")["ok"], true, "{body}");
    assert!(telegram.refused_while_down() >= 1);
    // Liveness and the admin surface keep answering during the outage.
    assert_eq!(app.get("/healthz").await.map(|r| r.0), Some(200));
    assert_eq!(app.get("/metrics").await.map(|r| r.0), Some(200));
    let body_text = body.to_string();
    assert!(!body_text.contains("secret") && !body_text.contains(TELEGRAM_TOKEN));

    telegram.set_down(false);
    app.clock.advance(FIRST_BACKOFF);
    telegram
        .wait_for("polling after the retry", |calls| {
            calls.iter().any(|c| c.method == "getupdates").then_some(())
        })
        .await;
    app.wait_ready().await;
    app.stop().await;
}

#[tokio::test]
async fn discord_down_at_start_up_is_retried_with_growing_backoff() {
    let discord = FakeDiscord::start().await;
    discord.set_down(true);
    let base = discord.base_url();
    let listen = format!("127.0.0.1:{}", free_port());
    let app = App::start(|c| {
        c.discord.token = Secret::new(fake_discord::TOKEN);
        c.discord.application_id = fake_discord::payloads::APP_ID;
        c.discord.rest_base_url = base;
        c.discord.mode = DiscordMode::Http;
        c.discord.listen = listen;
        let key = ed25519_dalek::SigningKey::from_bytes(&[7; 32]);
        c.discord.public_key = key
            .verifying_key()
            .to_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
    })
    .await;

    app.wait_retrying("discord").await;
    let refused = discord.refused_while_down();
    // Still down after the first backoff: the second wait is longer.
    app.clock.advance(FIRST_BACKOFF);
    poll_until("a second attempt", || {
        (discord.refused_while_down() > refused).then_some(())
    })
    .await;
    app.wait_retrying("discord").await;
    discord.set_down(false);
    app.clock.advance(FIRST_BACKOFF);
    tokio::task::yield_now().await;
    let (_, body) = app.readyz().await;
    let error = check(&body, "discord")["error"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(
        error.starts_with("retrying:"),
        "the second backoff is 2 s, not 1 s: {body}"
    );
    let registered = |calls: &[fake_discord::Call]| {
        calls
            .iter()
            .any(|c| c.method == "PUT" && c.path.ends_with("/commands"))
    };
    app.clock.advance(FIRST_BACKOFF);
    poll_until("commands registered after the retry", || {
        registered(&discord.calls()).then_some(())
    })
    .await;
    app.wait_ready().await;
    app.stop().await;
}

#[tokio::test]
async fn a_rejected_telegram_token_stops_the_process_with_a_token_error() {
    let telegram = FakeTelegram::start(TELEGRAM_TOKEN).await;
    let url = telegram.url();
    let app = App::start(|c| {
        c.telegram.token = Secret::new("7000000001:AAH-wrong-token-0123456789abcdefgh");
        c.telegram.api_url = url;
    })
    .await;
    let ended = app.task.await.unwrap();
    match ended {
        Err(easel_bot::app::AppError::GaveUp(easel_bot::supervise::GaveUp::TokenRejected {
            platform,
            ..
        })) => {
            assert_eq!(platform, "telegram")
        }
        other => panic!("a rejected token is final: {other:?}"),
    }
}

/// What SIGTERM does (the shutdown future resolves): the process turns
/// not-ready, a new message hears "restarting, nothing charged" and never
/// reaches the provider, and the job already running is still delivered
/// before the process exits.
#[tokio::test]
async fn on_shutdown_new_work_hears_restarting_and_the_running_job_is_still_delivered() {
    let telegram = FakeTelegram::start(TELEGRAM_TOKEN).await;
    let url = telegram.url();
    let app = App::start(|c| {
        c.telegram.token = Secret::new(TELEGRAM_TOKEN);
        c.telegram.api_url = url;
    })
    .await;
    app.wait_ready().await;
    app.openai.hold();
    let user = TgUser::new(61);
    let chat = user.private_chat();
    telegram.push_update(Msg::new(1, &user, &chat).text("a red fox").update(1));
    poll_until("the job reaches the provider", || {
        (!app.openai.requests().is_empty()).then_some(())
    })
    .await;

    app.stop.cancel();
    let body = poll_until_async("readyz says draining", || async {
        let (status, body) = app.readyz().await;
        (status == 503 && check(&body, "accepting")["ok"] == false).then_some(body)
    })
    .await;
    assert_eq!(check(&body, "accepting")["error"], "draining for shutdown");
    telegram.push_update(Msg::new(2, &user, &chat).text("a blue fox").update(2));
    telegram
        .wait_for("the restarting reply", |calls| {
            calls
                .iter()
                .any(|c| {
                    c.method == "sendmessage"
                        && c.text("text")
                            .is_some_and(|t| t.contains("takes no new requests"))
                })
                .then_some(())
        })
        .await;
    app.openai.release();
    telegram
        .wait_for("the running job's photo", |calls| {
            calls.iter().any(|c| c.method == "sendphoto").then_some(())
        })
        .await;
    let ended = app.task.await.unwrap();
    assert!(ended.is_ok(), "{ended:?}");
    assert_eq!(
        app.openai.requests().len(),
        1,
        "the second message never reached the provider"
    );
}
