//! `easel doctor`: one test per misconfiguration it claims to find, and a
//! good config that passes; secrets never appear in its output.

use std::collections::HashMap;

use easel_bot::cli::doctor::{self, Check, Report, Status, Verdict};
use easel_shared::config::{Config, DiscordMode, TelegramMode};
use easel_shared::secret::Secret;
use easel_tests::fake_discord::{Application, FakeDiscord};
use easel_tests::fake_openai::{CatalogModel, FakeOpenAi};
use easel_tests::fake_telegram::FakeTelegram;
use easel_tests::ledger::{redis_url, unique_prefix};
use easel_tests::redis_server::PrivateRedis;
use easel_tests::stack::OPENAI_KEY;

use crate::harness::{ADMIN_TOKEN, KEY_VAR, env, good_config};

const TG_TOKEN: &str = "123456:tg-SECRET-right";
const DC_TOKEN: &str = "dc-SECRET-token.abc";
const APP_ID: u64 = 4242;
const VERIFY_KEY: &str = "3a5b1e0f6c2d4e8a9b7c1d3e5f7a9b1c3d5e7f9a1b3c5d7e9f1a3b5c7d9e1f3a";

/// A good config, with both chat frontends pointed at live fakes.
struct Setup {
    config: Config,
    dir: tempfile::TempDir,
    openai: FakeOpenAi,
    telegram: FakeTelegram,
    discord: FakeDiscord,
}

async fn setup() -> Setup {
    let openai = FakeOpenAi::start_with_key(OPENAI_KEY).await;
    let dir = tempfile::tempdir().unwrap();
    let telegram = FakeTelegram::start(TG_TOKEN).await;
    let discord = FakeDiscord::start().await;
    discord.set_application(Application {
        token: DC_TOKEN.into(),
        id: APP_ID,
        verify_key: VERIFY_KEY.into(),
    });
    let mut config = good_config(&openai, dir.path());
    config.telegram.token = Secret::new(TG_TOKEN);
    config.telegram.api_url = telegram.url();
    config.discord.token = Secret::new(DC_TOKEN);
    config.discord.application_id = APP_ID;
    config.discord.rest_base_url = discord.base_url();
    Setup {
        config,
        dir,
        openai,
        telegram,
        discord,
    }
}

/// The one check named `name`, which must have failed.
fn failed<'r>(report: &'r Report, name: &str) -> &'r Check {
    let named = report.named(name);
    assert_eq!(named.len(), 1, "{name}: {report:#?}");
    assert_eq!(named[0].status, Status::Fail, "{name}: {report:#?}");
    named[0]
}

fn status(report: &Report, name: &str) -> Option<Status> {
    report.named(name).first().map(|c| c.status)
}

#[tokio::test]
async fn a_good_config_passes_every_check() {
    let s = setup().await;
    let report = doctor::check(&s.config, &env()).await;
    assert!(!report.failed(), "{report:#?}");
    for name in [
        "config",
        "ledger.path",
        "results.path",
        "backends.chain[0]",
        "backends.chain[0].model",
        "telegram.token",
        "discord.token",
        "discord.application_id",
        "http.admin_token",
        "access.admins",
    ] {
        assert_eq!(
            status(&report, name),
            Some(Status::Ok),
            "{name}: {report:#?}"
        );
    }
    // The checks asked the platforms, not just the config.
    assert_eq!(s.telegram.calls_of("getme").len(), 1);
    assert!(
        s.discord
            .calls()
            .iter()
            .any(|c| c.path == "/api/v10/oauth2/applications/@me")
    );
}

#[tokio::test]
async fn doctor_prints_a_checklist_without_secrets_and_exits_by_verdict() {
    let s = setup().await;
    let path = s.dir.path().join("easel.toml");
    let toml = format!(
        "[ledger]\npath = {:?}\n[results]\npath = {:?}\n[access]\nadmins = [\"tg:42\"]\n\
         [[backends.chain]]\nname = \"openai\"\nbase_url = {:?}\napi_key_env = {:?}\n\
         model = \"gpt-image-2\"\n[telegram]\napi_url = {:?}\n\
         [discord]\napplication_id = {APP_ID}\nrest_base_url = {:?}\n",
        s.config.ledger.path,
        s.config.results.path,
        s.config.backends.chain[0].base_url,
        KEY_VAR,
        s.config.telegram.api_url,
        s.config.discord.rest_base_url,
    );
    std::fs::write(&path, toml).unwrap();
    let mut env = env();
    env.insert("EASEL_TELEGRAM_TOKEN".into(), TG_TOKEN.into());
    env.insert("EASEL_DISCORD_TOKEN".into(), DC_TOKEN.into());
    env.insert("EASEL_ADMIN_TOKEN".into(), ADMIN_TOKEN.into());
    let run = async |env: &HashMap<String, String>| {
        let mut out = Vec::new();
        let verdict = doctor::run(Some(&path), env, &mut out).await.unwrap();
        (verdict, String::from_utf8(out).unwrap())
    };

    let (verdict, text) = run(&env).await;
    assert_eq!(verdict, Verdict::Healthy, "{text}");
    assert_eq!(verdict.exit_code(), 0);
    assert!(text.contains("ok    telegram.token: "), "{text}");
    assert!(
        text.contains("all ") && text.contains(" checks passed"),
        "{text}"
    );

    // A refused token is named by its variable, never printed.
    env.insert(
        "EASEL_TELEGRAM_TOKEN".into(),
        "123456:tg-SECRET-wrong".into(),
    );
    let (verdict, text) = run(&env).await;
    assert_eq!(verdict, Verdict::Failed, "{text}");
    assert_eq!(verdict.exit_code(), 1);
    assert!(
        text.contains("FAIL  telegram.token: the token was refused: check EASEL_TELEGRAM_TOKEN"),
        "{text}"
    );
    for secret in [
        TG_TOKEN,
        "123456:tg-SECRET-wrong",
        DC_TOKEN,
        ADMIN_TOKEN,
        OPENAI_KEY,
    ] {
        assert!(!text.contains(secret), "{secret} printed:\n{text}");
    }
    assert!(!text.contains("SECRET"), "{text}");
}

#[tokio::test]
async fn a_config_that_does_not_parse_exits_64() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("easel.toml");
    std::fs::write(&path, "[ledger\n").unwrap();
    let mut out = Vec::new();
    let verdict = doctor::run(Some(&path), &env(), &mut out).await.unwrap();
    assert_eq!(verdict, Verdict::Unreadable);
    assert_eq!(verdict.exit_code(), 64);
    let text = String::from_utf8(out).unwrap();
    assert!(
        text.contains("FAIL  config: ") && text.contains("not valid TOML"),
        "{text}"
    );
}

#[tokio::test]
async fn missing_discord_application_id_fails_and_the_token_check_tells_the_id() {
    let mut s = setup().await;
    s.config.discord.application_id = 0;
    let report = doctor::check(&s.config, &env()).await;
    let check = failed(&report, "discord.application_id");
    assert!(
        check
            .fix
            .as_deref()
            .unwrap()
            .contains("EASEL__DISCORD__APPLICATION_ID"),
        "{check:?}"
    );
    let token = &report.named("discord.token")[0];
    assert_eq!(token.status, Status::Ok);
    assert!(token.detail.contains(&APP_ID.to_string()), "{token:?}");
}

#[tokio::test]
async fn an_application_id_of_another_application_fails() {
    let mut s = setup().await;
    s.config.discord.application_id = 777;
    let report = doctor::check(&s.config, &env()).await;
    let check = failed(&report, "discord.application_id");
    assert!(
        check
            .fix
            .as_deref()
            .unwrap()
            .ends_with(&format!("= {APP_ID}")),
        "{check:?}"
    );
}

#[tokio::test]
async fn an_http_mode_public_key_of_another_application_fails() {
    let mut s = setup().await;
    s.config.discord.mode = DiscordMode::Http;
    s.config.discord.public_key = "ab".repeat(32);
    let report = doctor::check(&s.config, &env()).await;
    failed(&report, "discord.public_key");
    s.config.discord.public_key = VERIFY_KEY.to_ascii_uppercase();
    let report = doctor::check(&s.config, &env()).await;
    assert!(report.named("discord.public_key").is_empty(), "{report:#?}");
}

#[tokio::test]
async fn tokens_the_platforms_refuse_fail_naming_their_variable() {
    let s = setup().await;
    let mut tg = s.config.clone();
    tg.telegram.token = Secret::new("123456:tg-SECRET-wrong");
    let mut dc = s.config.clone();
    dc.discord.token = Secret::new("dc-SECRET-stale");
    for (config, key, var) in [
        (tg, "telegram.token", "EASEL_TELEGRAM_TOKEN"),
        (dc, "discord.token", "EASEL_DISCORD_TOKEN"),
    ] {
        let report = doctor::check(&config, &env()).await;
        let check = failed(&report, key);
        assert_eq!(check.detail, format!("the token was refused: check {var}"));
    }
}

#[tokio::test]
async fn an_unreachable_bot_api_fails_with_the_reason() {
    let mut s = setup().await;
    // Port 1 on loopback: nothing listens, the connection is refused at once.
    s.config.telegram.api_url = "http://127.0.0.1:1/".into();
    let report = doctor::check(&s.config, &env()).await;
    let check = failed(&report, "telegram.token");
    assert!(
        check.detail.starts_with("cannot reach the Bot API"),
        "{check:?}"
    );
    assert!(!check.detail.contains(TG_TOKEN), "{check:?}");
}

#[tokio::test]
async fn a_webhook_on_a_port_telegram_does_not_use_fails() {
    let mut s = setup().await;
    s.config.telegram.mode = TelegramMode::Webhook;
    s.config.telegram.webhook_url = "https://bot.example.com:8080/telegram".into();
    let report = doctor::check(&s.config, &env()).await;
    let check = failed(&report, "telegram.webhook_url");
    assert!(check.detail.contains("port 8080"), "{check:?}");
    assert_eq!(
        status(&report, "telegram.webhook_secret"),
        Some(Status::Warn)
    );

    s.config.telegram.webhook_url = "https://bot.example.com:8443/telegram".into();
    s.config.telegram.webhook_secret = Secret::new("a-secret_1");
    let report = doctor::check(&s.config, &env()).await;
    assert_eq!(status(&report, "telegram.webhook_url"), Some(Status::Ok));
    assert!(!report.failed(), "{report:#?}");
}

#[tokio::test]
async fn redis_that_may_evict_ledger_keys_fails() {
    let s = setup().await;
    let redis = PrivateRedis::start();
    let client = redis::Client::open(redis.url()).unwrap();
    let mut con = client.get_multiplexed_async_connection().await.unwrap();
    let _: () = redis::cmd("CONFIG")
        .arg("SET")
        .arg("maxmemory-policy")
        .arg("allkeys-lru")
        .query_async(&mut con)
        .await
        .unwrap();
    let mut config = s.config.clone();
    config.ledger.redis_url = redis.url();
    config.ledger.key_prefix = unique_prefix("doctor-evict");
    let report = doctor::check(&config, &env()).await;
    assert_eq!(status(&report, "ledger.redis_url"), Some(Status::Ok));
    let check = failed(&report, "redis maxmemory-policy");
    assert!(check.detail.contains("allkeys-lru"), "{check:?}");
    // The private server runs without persistence (see redis_server.rs).
    assert_eq!(status(&report, "redis persistence"), Some(Status::Warn));
    // With Redis there are no embedded files to check.
    assert!(report.named("ledger.path").is_empty());
}

#[tokio::test]
async fn redis_is_reached_with_the_urls_password_and_a_wrong_one_is_not_printed() {
    let s = setup().await;
    let redis = PrivateRedis::start();
    let client = redis::Client::open(redis.url()).unwrap();
    let mut con = client.get_multiplexed_async_connection().await.unwrap();
    let _: () = redis::cmd("CONFIG")
        .arg("SET")
        .arg("requirepass")
        .arg("pw-SECRET-good")
        .query_async(&mut con)
        .await
        .unwrap();
    let mut config = s.config.clone();
    config.ledger.key_prefix = unique_prefix("doctor-auth");
    config.ledger.redis_url = format!("{}?pass=pw-SECRET-good", redis.url());
    let report = doctor::check(&config, &env()).await;
    assert_eq!(
        status(&report, "ledger.redis_url"),
        Some(Status::Ok),
        "{report:#?}"
    );

    // Through the whole command: the file names no Redis, the environment does.
    let path = s.dir.path().join("easel.toml");
    std::fs::write(&path, "").unwrap();
    let mut env = env();
    env.insert(
        "EASEL_REDIS_URL".into(),
        format!("{}?pass=pw-SECRET-bad", redis.url()),
    );
    let mut out = Vec::new();
    let verdict = doctor::run(Some(&path), &env, &mut out).await.unwrap();
    let text = String::from_utf8(out).unwrap();
    assert_eq!(verdict, Verdict::Failed, "{text}");
    assert!(text.contains("FAIL  ledger.redis_url: "), "{text}");
    assert!(!text.contains("SECRET"), "{text}");
}

#[tokio::test]
async fn the_shared_redis_is_reachable_and_its_policy_reported_as_is() {
    let s = setup().await;
    let mut config = s.config.clone();
    config.ledger.redis_url = redis_url();
    config.ledger.key_prefix = unique_prefix("doctor-shared");
    let report = doctor::check(&config, &env()).await;
    assert_eq!(status(&report, "ledger.redis_url"), Some(Status::Ok));
    let client = redis::Client::open(redis_url()).unwrap();
    let mut con = client.get_multiplexed_async_connection().await.unwrap();
    let pair: Vec<String> = redis::cmd("CONFIG")
        .arg("GET")
        .arg("maxmemory-policy")
        .query_async(&mut con)
        .await
        .unwrap();
    let expected = if pair[1] == "noeviction" {
        Status::Ok
    } else {
        Status::Fail
    };
    assert_eq!(status(&report, "redis maxmemory-policy"), Some(expected));
}

#[tokio::test]
async fn unreachable_redis_fails_without_showing_its_password() {
    let s = setup().await;
    let mut config = s.config.clone();
    config.ledger.redis_url = "redis://:pw-SECRET-redis@127.0.0.1:1/0".into();
    let report = doctor::check(&config, &env()).await;
    let check = failed(&report, "ledger.redis_url");
    assert!(!check.detail.contains("pw-SECRET-redis"), "{check:?}");
    assert!(check.fix.as_deref().unwrap().contains("EASEL_REDIS_URL"));
}

#[tokio::test]
async fn an_unwritable_data_directory_fails() {
    let mut s = setup().await;
    // A regular file where the directory should be: unwritable even for root.
    let blocker = s.dir.path().join("not-a-dir");
    std::fs::write(&blocker, b"x").unwrap();
    s.config.ledger.path = blocker.join("ledger.redb").display().to_string();
    s.config.results.path = s
        .dir
        .path()
        .join("missing/results.redb")
        .display()
        .to_string();
    let report = doctor::check(&s.config, &env()).await;
    assert!(
        failed(&report, "ledger.path")
            .fix
            .as_deref()
            .unwrap()
            .contains("EASEL_LEDGER_PATH")
    );
    failed(&report, "results.path");
    // The probe leaves nothing behind in a writable directory.
    s.config.results.path = s.dir.path().join("results.redb").display().to_string();
    let report = doctor::check(&s.config, &env()).await;
    assert_eq!(status(&report, "results.path"), Some(Status::Ok));
    let left: Vec<_> = std::fs::read_dir(s.dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with(".easel-doctor"))
        .collect();
    assert!(left.is_empty());
}

#[tokio::test]
async fn a_backend_without_its_key_fails_naming_the_variable() {
    let s = setup().await;
    let report = doctor::check(&s.config, &HashMap::new()).await;
    let check = failed(&report, "backends.chain[0]");
    assert!(check.detail.contains(KEY_VAR), "{check:?}");
    assert!(check.fix.as_deref().unwrap().contains(KEY_VAR), "{check:?}");

    let mut config = s.config.clone();
    config.backends.chain.clear();
    let report = doctor::check(&config, &env()).await;
    failed(&report, "backends.chain");
}

#[tokio::test]
async fn no_admins_and_no_admin_token_warn() {
    let mut s = setup().await;
    s.config.access.admins.clear();
    s.config.http.admin_token = Secret::default();
    let report = doctor::check(&s.config, &env()).await;
    assert_eq!(status(&report, "access.admins"), Some(Status::Warn));
    assert_eq!(status(&report, "http.admin_token"), Some(Status::Warn));
    assert!(!report.failed(), "{report:#?}");
    s.config.http.listen = String::new();
    let report = doctor::check(&s.config, &env()).await;
    assert_eq!(status(&report, "http.admin_token"), Some(Status::Ok));
}

#[tokio::test]
async fn a_model_the_provider_does_not_know_fails_naming_the_key_and_the_usable_models() {
    let s = setup().await;
    s.openai.set_models([
        CatalogModel::current("gpt-image-2"),
        CatalogModel::current("gpt-5.1"),
    ]);
    let mut config = s.config.clone();
    config.backends.chain[0].model = "gpt-image-1.5".into();
    let report = doctor::check(&config, &env()).await;
    let check = failed(&report, "backends.chain[0].model");
    let text = format!("{check:?}");
    assert!(text.contains("`gpt-image-1.5`"), "{text}");
    assert!(
        text.contains("gpt-image-2"),
        "lists what the key can use: {text}"
    );
    assert!(
        !text.contains("gpt-5.1"),
        "text models are not image models: {text}"
    );
    assert!(
        s.openai
            .model_requests()
            .contains(&"/v1/models/gpt-image-1.5".to_owned()),
        "the provider was asked: {:?}",
        s.openai.model_requests()
    );
}

#[tokio::test]
async fn an_announced_shutdown_warns_and_an_unreachable_provider_only_warns() {
    let s = setup().await;
    s.openai.set_models([CatalogModel {
        id: "gpt-image-2".into(),
        shutdown_date: Some("2099-01-01".into()),
    }]);
    let report = doctor::check(&s.config, &env()).await;
    assert_eq!(
        status(&report, "backends.chain[0].model"),
        Some(Status::Warn),
        "{report:#?}"
    );
    assert!(!report.failed(), "{report:#?}");

    let mut config = s.config.clone();
    config.backends.chain[0].base_url = "http://127.0.0.1:9/v1".into();
    let report = doctor::check(&config, &env()).await;
    assert_eq!(
        status(&report, "backends.chain[0].model"),
        Some(Status::Warn),
        "{report:#?}"
    );
}
