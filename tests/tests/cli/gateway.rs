//! `easel doctor` against a remote gateway (`gateway.url` set): a real
//! gateway's frontend API on a port passes; a token it refuses and an
//! address where nothing listens fail, each naming the fix.

use easel_bot::cli::doctor::{self, Check, Report, Status};
use easel_shared::config::Config;
use easel_shared::secret::Secret;
use easel_tests::fake_openai::FakeOpenAi;
use easel_tests::remote::{FRONTEND_TOKEN, FrontendApi};
use easel_tests::stack::{OPENAI_KEY, Stack};

use crate::harness::{env, good_config};

/// A good config pointed at the gateway at `url` with `token`.
fn remote(openai: &FakeOpenAi, dir: &tempfile::TempDir, url: &str, token: &str) -> Config {
    let mut config = good_config(openai, dir.path());
    config.gateway.url = url.to_owned();
    config.gateway.token = Secret::new(token);
    config
}

/// The one check named `name`.
fn one<'r>(report: &'r Report, name: &str) -> &'r Check {
    let named = report.named(name);
    assert_eq!(named.len(), 1, "{name}: {report:#?}");
    named[0]
}

#[tokio::test]
async fn a_live_gateway_that_takes_the_token_passes() {
    let stack = Stack::start(|_| {}).await;
    let api =
        FrontendApi::serve(stack.gateway.clone(), stack.gateway.ledger(), &stack.config).await;
    let dir = tempfile::tempdir().unwrap();
    let config = remote(&stack.openai, &dir, &api.url(), FRONTEND_TOKEN);
    let report = doctor::check(&config, &env()).await;
    assert_eq!(
        one(&report, "gateway.token").status,
        Status::Ok,
        "{report:#?}"
    );
    let version = one(&report, "gateway.version");
    assert_eq!(version.status, Status::Ok, "{report:#?}");
    assert_eq!(
        version.detail,
        format!("easel-gateway {} serves jobs", env!("CARGO_PKG_VERSION"))
    );
}

#[tokio::test]
async fn a_token_the_gateway_refuses_fails_naming_the_variable() {
    let stack = Stack::start(|_| {}).await;
    let api =
        FrontendApi::serve(stack.gateway.clone(), stack.gateway.ledger(), &stack.config).await;
    let dir = tempfile::tempdir().unwrap();
    let wrong = "wrong-SECRET-frontend-token";
    let config = remote(&stack.openai, &dir, &api.url(), wrong);
    let report = doctor::check(&config, &env()).await;
    let check = one(&report, "gateway.token");
    assert_eq!(check.status, Status::Fail, "{report:#?}");
    let fix = check.fix.as_deref().unwrap_or_default();
    assert!(fix.contains("EASEL_GATEWAY_TOKEN"), "{check:?}");
    assert!(fix.contains("gateway.frontends"), "{check:?}");
    assert!(report.named("gateway.version").is_empty(), "{report:#?}");
    assert!(
        !check.detail.contains(wrong) && !fix.contains(wrong),
        "{check:?}"
    );
}

#[tokio::test]
async fn nothing_listening_at_the_url_fails_with_the_reason() {
    let openai = FakeOpenAi::start_with_key(OPENAI_KEY).await;
    let dir = tempfile::tempdir().unwrap();
    // Port 1 on loopback: nothing listens, the connection is refused at once.
    let config = remote(&openai, &dir, "http://127.0.0.1:1", FRONTEND_TOKEN);
    let report = doctor::check(&config, &env()).await;
    let check = one(&report, "gateway.url");
    assert_eq!(check.status, Status::Fail, "{report:#?}");
    assert!(
        check
            .detail
            .starts_with("cannot reach the gateway at http://127.0.0.1:1"),
        "{check:?}"
    );
    let fix = check.fix.as_deref().unwrap_or_default();
    assert!(fix.contains("EASEL_GATEWAY_URL"), "{check:?}");
    assert!(report.named("gateway.token").is_empty(), "{report:#?}");
}
