//! Tokens and keys never reach logs or error messages, when the services
//! they unlock fail: the Telegram Bot API and Discord REST unreachable at
//! start-up, the image provider refusing the key, Redis with a password gone.
//! Every log record of this test binary (tracing and the `log` crate, which
//! teloxide uses) is captured at TRACE level, in the text format and in the
//! JSON format (`log.format = "json"`), and both are searched.

use std::sync::Arc;

use easel_gateway::service::Gateway;
use easel_shared::config::Config;
use easel_shared::job::JobEvent;
use easel_shared::render::RenderOptions;
use easel_shared::request::Request;
use easel_shared::secret::Secret;
use easel_shared::{RequestId, UserKey};
use easel_tests::fake_openai::Reply;
use easel_tests::logs::Logs;
use easel_tests::stack::{OPENAI_KEY, Stack};

/// Shaped like a real bot token (id, colon, 35 characters), so teloxide's
/// own redaction would recognise it; we must not depend on that alone.
const TELEGRAM_TOKEN: &str = "7000000001:AAH-secretTELEGRAMtokenPart0123456789";
const DISCORD_TOKEN: &str = "MTAwMDAwMDAw.secretDISCORD.tokenPart-0123456789abcdef";
const REDIS_PASSWORD: &str = "secretREDISpassword42";

/// Everything logged by this process.
fn logs() -> &'static Logs {
    Logs::process()
}

/// Fails with the offending line if any secret (or its distinctive part) was logged.
fn assert_no_secret_logged(also: &str) {
    let json = logs().json();
    // A JSON capture that is not JSON, or empty, would hide nothing.
    assert!(!json.is_empty(), "the JSON layer wrote nothing");
    for line in json.lines() {
        let parsed: serde_json::Value = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("not one JSON object per line ({e}): {line}"));
        assert!(
            parsed["level"].is_string() && parsed["fields"].is_object(),
            "{line}"
        );
    }
    let text = format!("{}\n{json}", logs().text());
    for secret in [
        TELEGRAM_TOKEN,
        "secretTELEGRAM",
        DISCORD_TOKEN,
        "secretDISCORD",
        OPENAI_KEY,
        REDIS_PASSWORD,
    ] {
        assert!(!text.contains(secret), "a secret was logged:\n{text}");
        assert!(!also.contains(secret), "a secret is in an error: {also}");
    }
}

/// A port nothing listens on.
async fn dead_url() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    format!("http://{addr}")
}

fn frontend_config(stack: &Stack) -> Config {
    (*stack.config.load_full()).clone()
}

#[tokio::test]
async fn an_unreachable_telegram_api_does_not_leak_the_token() {
    logs();
    let stack = Stack::start(|_| {}).await;
    let mut config = frontend_config(&stack);
    config.telegram.token = Secret::new(TELEGRAM_TOKEN);
    config.telegram.api_url = dead_url().await;
    let gateway: Arc<dyn Gateway> = stack.gateway.clone();
    let err = easel_bot::telegram::run(config, gateway, std::future::pending())
        .await
        .expect_err("nothing answers");
    let shown = format!("{err} {err:?}");
    assert!(shown.contains("could not be reached"), "{shown}");
    assert_no_secret_logged(&shown);
}

#[tokio::test]
async fn an_unreachable_discord_api_does_not_leak_the_token() {
    logs();
    let stack = Stack::start(|_| {}).await;
    let mut config = frontend_config(&stack);
    config.discord.token = Secret::new(DISCORD_TOKEN);
    config.discord.application_id = 1;
    config.discord.rest_base_url = dead_url().await;
    let gateway: Arc<dyn Gateway> = stack.gateway.clone();
    let err = easel_bot::discord::run(config, gateway, std::future::pending())
        .await
        .expect_err("nothing answers");
    assert_no_secret_logged(&format!("{err} {err:?}"));
}

#[tokio::test]
async fn a_provider_refusing_the_key_does_not_leak_it() {
    logs();
    let stack = Stack::start(|_| {}).await;
    // 401 bodies quote the key, as OpenAI's do.
    stack.openai.script([Reply::Unauthorized]);
    let request = Request {
        id: RequestId::new("tg:9:1").unwrap(),
        user: UserKey::telegram(9),
        prompt: "a lighthouse".into(),
        options: RenderOptions::default(),
        inputs: Vec::new(),
        parent: None,
        mask: None,
    };
    let mut events = stack.gateway.submit(request).await.unwrap();
    let mut seen = String::new();
    while let Some(event) = events.recv().await {
        seen.push_str(&format!("{event:?}"));
        if matches!(event, JobEvent::Done { .. } | JobEvent::Failed { .. }) {
            break;
        }
    }
    assert!(seen.contains("ServiceUnavailable"), "{seen}");
    assert_no_secret_logged(&seen);
    // A capture that recorded nothing would pass every test here.
    let text = logs().text();
    assert!(
        text.contains("openai"),
        "the failing call was logged:\n{text}"
    );
}

#[tokio::test]
async fn a_redis_password_stays_out_of_errors_and_logs() {
    logs();
    let mut config = Config::default();
    let dead = dead_url().await.replace("http://", "");
    config.ledger.redis_url = format!("redis://easel:{REDIS_PASSWORD}@{dead}/0");
    let config = Arc::new(arc_swap::ArcSwap::from_pointee(config));
    let err = match easel_gateway::ledger::open(&config, easel_gateway::ledger::Clock::real()).await
    {
        Ok(_) => panic!("nothing listens there"),
        Err(e) => e,
    };
    assert_no_secret_logged(&format!("{err} {err:?}"));
}
