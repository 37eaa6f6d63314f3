//! The `healthcheck` subcommand against real sockets: the real admin API
//! router on 127.0.0.1:0 (healthy), a closed port and an erroring server
//! (unhealthy), and the `easel-gateway healthcheck` binary's exit codes.

use std::process::Output;
use std::sync::Arc;

use axum::Router;
use axum::http::StatusCode;
use axum::routing::get;
use easel_gateway::http::{AppState, app};
use easel_gateway::ledger::{Clock, SharedConfig, embedded::EmbeddedLedger};
use easel_gateway::process::healthcheck::{self, HealthError};
use easel_shared::config::{Config, HttpConfig};

/// Serves `router` on a fresh loopback port until the test ends.
async fn serve(router: Router) -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, router).await });
    port
}

/// The real admin API router over a real embedded ledger in `dir`.
fn admin_api(dir: &tempfile::TempDir) -> Router {
    let config: SharedConfig = Arc::new(arc_swap::ArcSwap::from_pointee(Config::default()));
    let ledger =
        EmbeddedLedger::open(&dir.path().join("l.redb"), config.clone(), Clock::real()).unwrap();
    app(AppState {
        ledger: Arc::new(ledger),
        config,
        config_path: None,
        gateway: None,
    })
}

/// A loopback port nothing listens on (bound, then released).
async fn closed_port() -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    listener.local_addr().unwrap().port()
}

fn listening_on(listen: String) -> HttpConfig {
    HttpConfig {
        listen,
        ..HttpConfig::default()
    }
}

#[tokio::test]
async fn the_running_admin_api_is_healthy_also_through_a_wildcard_listen() {
    let dir = tempfile::tempdir().unwrap();
    let port = serve(admin_api(&dir)).await;

    let url = healthcheck::probe(&listening_on(format!("127.0.0.1:{port}")))
        .await
        .unwrap();
    assert_eq!(url, format!("http://127.0.0.1:{port}/healthz"));
    // The server is bound to 127.0.0.1 only: this answers only if 0.0.0.0
    // was turned into loopback.
    let url = healthcheck::probe(&listening_on(format!("0.0.0.0:{port}")))
        .await
        .unwrap();
    assert_eq!(url, format!("http://127.0.0.1:{port}/healthz"));
}

#[tokio::test]
async fn nothing_listening_is_unhealthy() {
    let port = closed_port().await;
    let err = healthcheck::probe(&listening_on(format!("127.0.0.1:{port}")))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, HealthError::Unreachable { url, .. } if url.contains(&port.to_string())),
        "{err}"
    );
}

#[tokio::test]
async fn a_server_answering_an_error_is_unhealthy() {
    let failing = Router::new().route(
        "/healthz",
        get(|| async { (StatusCode::SERVICE_UNAVAILABLE, "draining") }),
    );
    let port = serve(failing).await;
    let err = healthcheck::probe(&listening_on(format!("127.0.0.1:{port}")))
        .await
        .unwrap_err();
    assert!(
        matches!(err, HealthError::Unhealthy { status: 503, .. }),
        "{err}"
    );
}

#[tokio::test]
async fn a_disabled_http_server_is_named_as_the_reason() {
    let err = healthcheck::probe(&listening_on(String::new()))
        .await
        .unwrap_err();
    assert!(matches!(err, HealthError::Disabled));
    assert!(err.to_string().contains("http.listen"), "{err}");
}

/// Runs `easel-gateway healthcheck [--config FILE]` with only `env` set.
async fn run_binary(config: Option<&std::path::Path>, env: &[(&str, &str)]) -> Output {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_easel-gateway"));
    cmd.env_clear().envs(env.iter().copied()).arg("healthcheck");
    if let Some(path) = config {
        cmd.arg("--config").arg(path);
    }
    cmd.output().await.unwrap()
}

#[tokio::test]
async fn the_binary_exits_0_when_healthy_and_1_when_not() {
    let dir = tempfile::tempdir().unwrap();
    let port = serve(admin_api(&dir)).await;
    let healthy = format!("0.0.0.0:{port}");
    let dead = format!("127.0.0.1:{}", closed_port().await);

    // The address from the environment, as a container sets EASEL_LISTEN.
    let out = run_binary(None, &[("EASEL_LISTEN", &healthy)]).await;
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("healthy"));

    // The address from the file named by EASEL_CONFIG, as the server reads it.
    let file = dir.path().join("easel.toml");
    std::fs::write(&file, format!("[http]\nlisten = \"{healthy}\"\n")).unwrap();
    let path = file.to_str().unwrap();
    let out = run_binary(None, &[("EASEL_CONFIG", path)]).await;
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    // ...and the environment overrides the file, as for the server.
    let out = run_binary(None, &[("EASEL_CONFIG", path), ("EASEL_LISTEN", &dead)]).await;
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("no answer from"));

    // --config after the subcommand is the server's flag too (global).
    let out = run_binary(Some(&file), &[]).await;
    assert_eq!(out.status.code(), Some(0), "{out:?}");

    let out = run_binary(None, &[("EASEL_LISTEN", "")]).await;
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("http.listen is empty"));

    // A config that does not load is unhealthy too (1, not 64: Docker
    // reserves every code but 0 and 1).
    std::fs::write(&file, "[http\n").unwrap();
    let out = run_binary(Some(&file), &[]).await;
    assert_eq!(out.status.code(), Some(1), "{out:?}");
}
