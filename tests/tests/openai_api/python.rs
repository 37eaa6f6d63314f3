//! The official `openai` Python package (pinned in `tests/python/setup-venv.sh`)
//! as a real client against a listening gateway with the fake upstream:
//! generate, edit with two images, stream partial images, a revoked key
//! refused, then 429 with Retry-After once the key's quota is spent; the
//! same user's chat quota shows all of it.

use std::path::PathBuf;
use std::process::Stdio;

use easel_gateway::http::app;
use easel_shared::admin::Actor;

use super::{LIMIT, V1};

fn python_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("python")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_official_openai_sdk_works_against_easel() {
    // Creates the venv once (network on first run only), then reuses it.
    let setup = tokio::process::Command::new("bash")
        .arg(python_dir().join("setup-venv.sh"))
        .stdin(Stdio::null())
        .output()
        .await
        .expect("run setup-venv.sh");
    assert!(
        setup.status.success(),
        "setup-venv.sh failed: {}",
        String::from_utf8_lossy(&setup.stderr)
    );
    let python = String::from_utf8_lossy(&setup.stdout).trim().to_owned();

    let v1 = V1::start().await;
    let revoked = v1
        .state
        .ledger
        .create_api_key(v1.user, Actor::Api)
        .await
        .expect("create");
    assert!(
        v1.state
            .ledger
            .revoke_api_key(v1.user, &revoked.prefix, Actor::Api)
            .await
            .expect("revoke")
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let server = tokio::spawn(axum::serve(listener, app(v1.state.clone())).into_future());

    let out = tokio::process::Command::new(&python)
        .arg(python_dir().join("openai_client.py"))
        .env("EASEL_BASE_URL", format!("http://{addr}/v1"))
        .env("EASEL_KEY", &v1.key)
        .env("EASEL_REVOKED_KEY", revoked.key.expose())
        .env("EASEL_LIMIT", LIMIT.to_string())
        .stdin(Stdio::null())
        .output()
        .await
        .expect("run the client");
    server.abort();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "client failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for step in [
        "generate ok",
        "edit ok",
        "stream ok",
        "edit stream ok",
        "revoked ok",
        "429 ok",
    ] {
        assert!(stdout.contains(step), "{step} missing:\n{stdout}");
    }
    // Everything the SDK did is on the user's chat quota, and nothing more.
    assert_eq!(v1.used().await, LIMIT);
}
