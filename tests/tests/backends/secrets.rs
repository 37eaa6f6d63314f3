//! API keys never reach logs or error text, even when calls fail.

use easel_shared::config::BreakerConfig;
use easel_tests::fake_gemini::{FakeGemini, GeminiReply};
use easel_tests::fake_openai::{FakeOpenAi, Reply};
use easel_tests::logs::Logs;

use super::*;

#[tokio::test]
async fn the_api_key_never_reaches_logs_or_errors() {
    let logs = Logs::process();

    let openai_fake = FakeOpenAi::start().await;
    openai_fake.script([
        Reply::Unauthorized,
        Reply::ModerationBlocked,
        Reply::Status(500),
        Reply::Status(500),
        Reply::Status(500),
        Reply::MalformedJson,
        Reply::MalformedJson,
        Reply::InsufficientQuota,
    ]);
    let gemini_fake = FakeGemini::start().await;
    gemini_fake.script([
        GeminiReply::BadKey,
        GeminiReply::PromptBlocked("SAFETY".into()),
    ]);
    // A breaker that never opens, so every scripted fault reaches the fake.
    let breaker = BreakerConfig {
        failures: 100,
        ..BreakerConfig::default()
    };
    let openai_chain = chain_with(vec![openai(&openai_fake)], retry(), breaker.clone());
    let gemini_chain = chain_with(vec![gemini(&gemini_fake)], retry(), breaker);
    let mut errors = Vec::new();
    for _ in 0..5 {
        errors.push(run(&openai_chain, &job(low(1))).await.0.unwrap_err());
    }
    for _ in 0..2 {
        errors.push(run(&gemini_chain, &job(low(1))).await.0.unwrap_err());
    }
    assert_eq!(
        openai_fake.requests().len(),
        8,
        "every scripted fault was served"
    );
    assert!(
        openai_fake.requests()[0].headers["authorization"].contains(KEY),
        "the key was really sent"
    );

    let logged = logs.text();
    assert!(
        logged.contains("backend unavailable"),
        "logs were captured: {logged}"
    );
    assert!(!logged.contains(KEY), "key in logs:\n{logged}");
    assert!(!logged.contains("SECRET"), "part of the key in logs");
    for err in &errors {
        let shown = format!("{err} {err:?}");
        assert!(!shown.contains("SECRET"), "key in error: {shown}");
    }
    let config_dump = format!("{:?}", openai(&openai_fake));
    assert!(!config_dump.contains("SECRET"));
}

#[tokio::test]
async fn the_api_key_can_come_from_the_environment_variable_named() {
    let fake = FakeOpenAi::start_with_key("sk-from-env").await;
    let mut cfg = openai(&fake);
    cfg.api_key = Secret::default();
    cfg.api_key_env = Some("EASEL_TEST_OPENAI_KEY".into());
    let backends = BackendsConfig {
        chain: vec![cfg],
        retry: retry(),
        ..BackendsConfig::default()
    };
    let missing = build_chain(&backends, &HashMap::new()).unwrap_err();
    assert!(
        missing.problem.contains("EASEL_TEST_OPENAI_KEY"),
        "{missing}"
    );

    let env = HashMap::from([("EASEL_TEST_OPENAI_KEY".to_owned(), "sk-from-env".to_owned())]);
    let chain = build_chain(&backends, &env).unwrap();
    run(&chain, &job(low(1))).await.0.unwrap();
    assert_eq!(
        fake.requests()[0].headers["authorization"],
        "Bearer sk-from-env"
    );
}
