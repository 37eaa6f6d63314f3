//! The dashboard's reports on the admin API: images, spend and credits per day,
//! plans with today's usage, the code listing as CSV, and the live queue
//! with an admin cancel (through a whole in-process gateway).

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use easel_gateway::http::{AppState, app};
use easel_gateway::ledger::Settlement;
use easel_gateway::service::{Gateway, JobStream};
use easel_shared::job::{JobEvent, JobFailure};
use easel_shared::render::RenderOptions;
use easel_shared::secret::Secret;
use easel_shared::{RequestId, UserKey};
use easel_tests::ledger::req;
use easel_tests::stack::Stack;
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

use super::{Api, TOKEN};

#[tokio::test]
async fn daily_series_plans_and_the_codes_csv() {
    let api = Api::new(TOKEN);
    let ledger = &api.state.ledger;
    let alice = UserKey::telegram(7);
    let id = RequestId::new("r1").unwrap();
    assert!(matches!(
        ledger.reserve(&req(alice, "r1", 2)).await.unwrap(),
        easel_gateway::ledger::Admission::Admitted(_)
    ));
    let delivered = Settlement::Delivered {
        images: 2,
        cost_micros: 1234,
    };
    ledger.settle(alice, &id, delivered).await.unwrap();

    let (status, days) = api.admin("GET", "/admin/v1/spend/days?days=3", None).await;
    assert_eq!(status, StatusCode::OK);
    let days = days.as_array().unwrap();
    assert_eq!(days.len(), 3);
    assert_eq!(days[2]["cost_micros"], 1234);
    assert_eq!(days[2]["credits"], 2);
    assert_eq!(days[0]["credits"], 0);
    let (status, _) = api.admin("GET", "/admin/v1/spend/days?days=0", None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    let (status, plans) = api.admin("GET", "/admin/v1/plans", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        plans,
        json!([
            {"name": "free", "is_default": true, "users_today": 1, "credits_today": 2},
            {"name": "pro", "is_default": false, "users_today": 0, "credits_today": 0},
        ])
    );

    let spec = json!({"credits": 5, "plan": null, "plan_days": 0, "max_uses": 2,
                      "redeem_by": null, "note": "for Ann, Bob", "count": 1});
    let (status, minted) = api.admin("POST", "/admin/v1/codes", Some(spec)).await;
    assert_eq!(status, StatusCode::OK);
    let (code_id, plaintext) = (
        minted[0]["id"].as_str().unwrap().to_owned(),
        minted[0]["code"].as_str().unwrap().to_owned(),
    );
    let res = app(api.state.clone())
        .oneshot(
            Request::get("/admin/v1/codes.csv")
                .header("authorization", format!("Bearer {TOKEN}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        res.headers()[header::CONTENT_TYPE],
        "text/csv; charset=utf-8"
    );
    let csv =
        String::from_utf8(res.into_body().collect().await.unwrap().to_bytes().to_vec()).unwrap();
    let rows: Vec<&str> = csv.lines().collect();
    assert_eq!(rows.len(), 2, "{csv}");
    assert!(
        rows[1].starts_with(&format!("{code_id},5,,0,2,0,false,")),
        "{csv}"
    );
    assert!(rows[1].ends_with(",api,\"for Ann, Bob\""), "{csv}");
    assert!(!csv.contains(&plaintext), "the CSV never holds a code");
}

#[tokio::test]
async fn a_process_without_a_runner_has_no_queue() {
    let api = Api::new(TOKEN);
    let (status, body) = api.admin("GET", "/admin/v1/queue", None).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(body["error"]["code"], "no_runner", "{body}");
}

fn request(id: &str, user: UserKey) -> easel_shared::request::Request {
    easel_shared::request::Request {
        id: RequestId::new(id).unwrap(),
        user,
        prompt: "a lighthouse".into(),
        options: RenderOptions::default(),
        inputs: Vec::new(),
        parent: None,
        mask: None,
    }
}

async fn next(events: &mut JobStream) -> JobEvent {
    events.recv().await.expect("an event")
}

#[tokio::test]
async fn the_queue_lists_jobs_and_an_admin_cancel_refunds_a_waiting_one() {
    let stack = Stack::start(|c| {
        c.runner.concurrency = 1;
        c.http.admin_token = Secret::new(TOKEN);
    })
    .await;
    let gateway: Arc<dyn Gateway> = stack.gateway.clone();
    let state = AppState {
        ledger: stack.gateway.ledger(),
        config: stack.config.clone(),
        config_path: None,
        gateway: Some(gateway.clone()),
    };
    let call = |method: &str, path: &str| {
        let req = Request::builder()
            .method(method)
            .uri(path)
            .header("authorization", format!("Bearer {TOKEN}"))
            .body(Body::empty())
            .unwrap();
        let router = app(state.clone());
        async move {
            let res = router.oneshot(req).await.unwrap();
            let status = res.status();
            let bytes = res.into_body().collect().await.unwrap().to_bytes();
            (
                status,
                serde_json::from_slice::<Value>(&bytes).unwrap_or(Value::Null),
            )
        }
    };
    let (alice, bob) = (UserKey::telegram(1), UserKey::telegram(2));
    stack.openai.hold();
    let mut running = gateway.submit(request("run", alice)).await.unwrap();
    loop {
        if next(&mut running).await == JobEvent::Started {
            break;
        }
    }
    let mut waiting = gateway.submit(request("wait", bob)).await.unwrap();
    assert_eq!(next(&mut waiting).await, JobEvent::Queued { position: 0 });
    let before = gateway.quota(bob).await.unwrap();

    let (status, queue) = call("GET", "/admin/v1/queue").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(queue["waiting"][0]["id"], "wait");
    assert_eq!(queue["waiting"][0]["user"], "tg:2");
    assert_eq!(queue["waiting"][0]["position"], 0);
    assert_eq!(queue["running"][0]["id"], "run");
    assert_eq!(queue["running"][0]["position"], Value::Null);

    let (status, body) = call("DELETE", "/admin/v1/queue/run").await;
    assert_eq!(
        (status, &body["outcome"]),
        (StatusCode::OK, &json!("already_started"))
    );
    let (status, body) = call("DELETE", "/admin/v1/queue/wait").await;
    assert_eq!(
        (status, &body["outcome"]),
        (StatusCode::OK, &json!("cancelled"))
    );
    let Some(JobEvent::Failed {
        failure: JobFailure::Cancelled,
        ..
    }) = waiting.recv().await
    else {
        panic!("the owner's stream ends with Cancelled");
    };
    let after = gateway.quota(bob).await.unwrap();
    let used = |q: &easel_shared::QuotaStatus| q.windows[0].used;
    assert_eq!(
        (used(&before), used(&after)),
        (1, 0),
        "the cancelled job was refunded"
    );
    let (status, body) = call("DELETE", "/admin/v1/queue/wait").await;
    assert_eq!(
        (status, &body["error"]["code"]),
        (StatusCode::NOT_FOUND, &json!("not_found"))
    );

    stack.openai.release();
    loop {
        if next(&mut running).await.is_final() {
            break;
        }
    }
}
