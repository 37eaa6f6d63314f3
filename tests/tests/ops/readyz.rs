//! `/readyz` lists each check and is 200 only when all pass; a failed check
//! is asked again on the next probe, so recovery shows at once.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use axum::body::Body;
use axum::http::{Request, StatusCode};
use easel_gateway::http::ops::{self, OpsState};
use easel_gateway::readiness::{DEFAULT_TTL, Readiness};
use easel_tests::stack::Stack;
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

async fn readyz(stack: &Stack, readiness: &Readiness) -> (StatusCode, Value) {
    let router = ops::routes(OpsState {
        metrics: stack.gateway.metrics(),
        readiness: readiness.clone(),
        ledger: stack.gateway.ledger(),
        config: stack.config.clone(),
    });
    let req = Request::get("/readyz").body(Body::empty()).unwrap();
    let res = router.oneshot(req).await.unwrap();
    let status = res.status();
    let body = res.into_body().collect().await.unwrap().to_bytes();
    (status, serde_json::from_slice(&body).unwrap())
}

#[tokio::test]
async fn ready_only_when_every_check_passes_and_each_is_listed() {
    let stack = Stack::start(|_| {}).await;
    let readiness = Readiness::new(DEFAULT_TTL);
    readiness.add_ledger(stack.gateway.ledger());
    readiness.add_results(stack.gateway.result_store());
    let up = Arc::new(AtomicBool::new(false));
    let asked = Arc::new(AtomicUsize::new(0));
    let (flag, count) = (up.clone(), asked.clone());
    readiness.add(
        "telegram",
        Arc::new(move || {
            count.fetch_add(1, Ordering::SeqCst);
            let up = flag.load(Ordering::SeqCst);
            Box::pin(async move {
                if up {
                    Ok(())
                } else {
                    Err("network error".to_owned())
                }
            })
        }),
    );

    let (status, body) = readyz(&stack, &readiness).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        body,
        json!({"ready": false, "checks": [
            {"name": "ledger", "ok": true},
            {"name": "results", "ok": true},
            {"name": "telegram", "ok": false, "error": "network error"}
        ]})
    );
    up.store(true, Ordering::SeqCst);
    let (status, body) = readyz(&stack, &readiness).await;
    assert_eq!(status, StatusCode::OK, "a failure is not cached: {body}");
    assert_eq!(body["ready"], json!(true));
    // A success is reused within the TTL: the platform is not asked again.
    let before = asked.load(Ordering::SeqCst);
    let (status, _) = readyz(&stack, &readiness).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(asked.load(Ordering::SeqCst), before);
}

/// The standalone `easel-gateway` serves `/readyz` (the ledger) and
/// `/metrics` beside its admin API.
#[tokio::test]
async fn the_standalone_gateway_serves_readyz_and_metrics() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = easel_shared::config::Config::default();
    config.ledger.path = dir.path().join("ledger.redb").display().to_string();
    let port = super::free_port();
    config.http.listen = format!("127.0.0.1:{port}");
    let stop = tokio_util::sync::CancellationToken::new();
    let server = tokio::spawn(easel_gateway::server::run(
        config,
        None,
        stop.clone().cancelled_owned(),
    ));
    let base = format!("http://127.0.0.1:{port}");
    let (status, body) =
        easel_tests::fake_telegram::poll_until_async("the gateway listens", || async {
            let res = reqwest::get(format!("{base}/readyz")).await.ok()?;
            Some((res.status().as_u16(), res.json::<Value>().await.ok()?))
        })
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body,
        json!({"ready": true, "checks": [{"name": "ledger", "ok": true}]})
    );
    let metrics = reqwest::get(format!("{base}/metrics")).await.unwrap();
    assert_eq!(metrics.status().as_u16(), 200);
    assert!(
        metrics
            .text()
            .await
            .unwrap()
            .contains("easel_spend_cap_micros 0")
    );
    stop.cancel();
    server.await.unwrap().unwrap();
}
