//! The metrics each recording point feeds, read back through `/metrics`
//! exactly as Prometheus scrapes it.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request as HttpRequest, StatusCode};
use easel_gateway::http::ops::{self, OpsState};
use easel_gateway::readiness::{DEFAULT_TTL, Readiness};
use easel_gateway::service::{Gateway, GatewayError};
use easel_shared::job::JobEvent;
use easel_shared::secret::Secret;
use easel_shared::{Denial, Refusal, UserKey};
use easel_tests::fake_openai::Reply;
use easel_tests::stack::Stack;
use http_body_util::BodyExt;
use tower::ServiceExt;

use super::request;

const TOKEN: &str = "metrics-token-7f3e";

async fn scrape(stack: &Stack, bearer: Option<&str>) -> (StatusCode, String) {
    let router = ops::routes(OpsState {
        metrics: stack.gateway.metrics(),
        readiness: Readiness::new(DEFAULT_TTL),
        ledger: stack.gateway.ledger(),
        config: stack.config.clone(),
    });
    let mut req = HttpRequest::get("/metrics");
    if let Some(token) = bearer {
        req = req.header("authorization", format!("Bearer {token}"));
    }
    let res = router
        .oneshot(req.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = res.status();
    let body = res.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8(body.to_vec()).unwrap())
}

/// The value of the sample line starting with `series` (name and labels).
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

async fn finish(mut events: easel_gateway::service::JobStream) -> JobEvent {
    while let Some(event) = events.recv().await {
        if matches!(event, JobEvent::Done { .. } | JobEvent::Failed { .. }) {
            return event;
        }
    }
    panic!("the stream ended without Done or Failed");
}

#[tokio::test]
async fn a_job_feeds_admissions_settles_queue_upstream_and_spend() {
    let stack = Stack::start(|c| {
        c.http.metrics_token = Secret::new(TOKEN);
        c.spend.daily_cap_micros = 50_000_000;
        c.backends.prices.insert(
            "gpt-image-2".into(),
            easel_shared::config::ModelPrice {
                default_per_image: 40_000,
                ..Default::default()
            },
        );
    })
    .await;
    let user = UserKey::telegram(41);
    // One busy answer first: an upstream error of kind `busy`, then success.
    stack.openai.script([Reply::Status(503)]);
    let done = finish(
        stack
            .gateway
            .submit(request("tg:41:1", user))
            .await
            .unwrap(),
    )
    .await;
    assert!(matches!(done, JobEvent::Done { .. }), "{done:?}");
    // A denied one: more images than the plan allows.
    let mut greedy = request("tg:41:2", user);
    greedy.options.n = 10;
    let denied = stack.gateway.submit(greedy).await.unwrap_err();
    assert!(matches!(
        denied,
        GatewayError::Denied(Refusal {
            denial: Denial::PlanForbids { .. },
            ..
        })
    ));

    let (status, text) = scrape(&stack, Some(TOKEN)).await;
    assert_eq!(status, StatusCode::OK, "{text}");
    let at =
        |series: &str| sample(&text, series).unwrap_or_else(|| panic!("no {series} in\n{text}"));
    assert_eq!(
        at(r#"easel_admissions_total{outcome="admitted",reason=""}"#),
        1.0
    );
    assert_eq!(
        at(r#"easel_admissions_total{outcome="denied",reason="plan_forbids"}"#),
        1.0
    );
    assert_eq!(at(r#"easel_reservations_total{outcome="settled"}"#), 1.0);
    assert_eq!(at("easel_queue_wait_seconds_count"), 1.0);
    assert_eq!(at("easel_queue_depth"), 0.0);
    let upstream = r#"{backend="openai",model="gpt-image-2"}"#;
    assert_eq!(
        at(&format!("easel_upstream_latency_seconds_count{upstream}")),
        2.0
    );
    assert_eq!(
        at(r#"easel_upstream_errors_total{backend="openai",model="gpt-image-2",kind="busy"}"#),
        1.0
    );
    let cost = at(&format!("easel_upstream_cost_micros_total{upstream}"));
    assert!(cost > 0.0, "the fake reports usage: {text}");
    assert_eq!(at("easel_spend_cap_micros"), 50_000_000.0);
    assert!(at("easel_spend_today_micros") >= cost, "{text}");
}

#[tokio::test]
async fn a_failed_job_counts_as_refunded() {
    let stack = Stack::start(|_| {}).await;
    stack.openai.script([Reply::ModerationBlocked]);
    let user = UserKey::telegram(42);
    let failed = finish(
        stack
            .gateway
            .submit(request("tg:42:1", user))
            .await
            .unwrap(),
    )
    .await;
    assert!(matches!(failed, JobEvent::Failed { .. }), "{failed:?}");
    let (_, text) = scrape(&stack, None).await;
    assert_eq!(
        sample(&text, r#"easel_reservations_total{outcome="refunded"}"#),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        sample(&text, r#"easel_reservations_total{outcome="settled"}"#),
        None,
        "{text}"
    );
    assert_eq!(
        sample(
            &text,
            r#"easel_upstream_errors_total{backend="openai",model="gpt-image-2",kind="blocked"}"#
        ),
        Some(1.0),
        "{text}"
    );
}

#[tokio::test]
async fn metrics_refuse_a_missing_or_wrong_token_when_one_is_set() {
    let stack = Stack::start(|c| c.http.metrics_token = Secret::new(TOKEN)).await;
    for bearer in [None, Some("metrics-token-7f3x"), Some("")] {
        let (status, body) = scrape(&stack, bearer).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{bearer:?}");
        assert!(!body.contains("easel_"), "no series leak: {body}");
    }
    let (status, _) = scrape(&stack, Some(TOKEN)).await;
    assert_eq!(status, StatusCode::OK);
    // Without a token configured, anyone who reaches the listener may scrape.
    let open = Stack::start(|_| {}).await;
    let (status, body) = scrape(&open, None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("# TYPE easel_queue_depth gauge"), "{body}");
    let _: Arc<dyn Gateway> = open.gateway.clone();
}

/// A reservation whose worker vanished is refunded by the reaper and counted
/// as reaped (real Redis, the ledger's manual clock past the lease).
#[tokio::test]
async fn a_reaped_reservation_is_counted() {
    use easel_tests::ledger::config::{HOUR, config, plan};
    use easel_tests::ledger::{Kind, Suite, req, user};
    let h = Suite {
        kind: Kind::Redis,
        name: "ops-reaped",
    }
    .open(config(plan(&[(10, 3 * HOUR)])))
    .await;
    let held = h.admit(&req(user(1), "a", 2)).await;
    let metrics = easel_gateway::metrics::Metrics::new();
    let series = r#"easel_reservations_total{outcome="reaped"}"#;
    easel_gateway::server::reap_once(&*h.ledger, &metrics)
        .await
        .unwrap();
    assert_eq!(
        sample(&metrics.encode(), series),
        None,
        "the lease is still live"
    );
    h.advance_to(held.lease_until);
    let report = easel_gateway::server::reap_once(&*h.ledger, &metrics)
        .await
        .unwrap();
    assert_eq!(report.refunded, 1);
    assert_eq!(sample(&metrics.encode(), series), Some(1.0));
}
