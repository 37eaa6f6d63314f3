//! The gateway as its own service: the frontend API (`http/frontend*`) and
//! the `RemoteGateway` client, over the real in-process gateway and the
//! fake OpenAI server. The Telegram and Discord suites run whole in remote
//! mode too (`telegram_remote.rs`, `discord_remote.rs`); this file checks
//! what they cannot see: tokens, resume after a dropped connection, and
//! errors crossing the wire unchanged.

use axum::body::Body;
use axum::http::{Method, Request as HttpRequest, StatusCode};
use easel_gateway::http::frontend::jobs::STREAM_IDS;
use easel_gateway::http::{AppState, app};
use easel_gateway::service::{Gateway, GatewayError, JobStream};
use easel_shared::admin::{AdminActor, AdminOp, AdminReply};
use easel_shared::job::JobEvent;
use easel_shared::render::RenderOptions;
use easel_shared::request::{Precheck, Request};
use easel_shared::{Denial, Refusal, RequestId, UserKey};
use easel_tests::remote::{CutProxy, FRONTEND_TOKEN, FrontendApi, remote_gateway};
use easel_tests::stack::Stack;
use futures::StreamExt;
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

/// The admin rules' copy, refreshed on the port's clock.
#[path = "remote/admin_rules.rs"]
mod admin_rules;

const ALICE: UserKey = UserKey {
    platform: easel_shared::Platform::Telegram,
    id: 1,
};
const ADMIN: UserKey = UserKey {
    platform: easel_shared::Platform::Telegram,
    id: 900,
};

fn request(id: &str) -> Request {
    Request {
        id: RequestId::new(id).unwrap(),
        user: ALICE,
        prompt: "a lighthouse at dusk".into(),
        options: RenderOptions::default(),
        inputs: Vec::new(),
        parent: None,
        mask: None,
    }
}

/// A stack whose model streams two partial images, with an admin.
async fn stack() -> Stack {
    Stack::start(|c| {
        c.backends.chain[0].partial_images = 2;
        c.access.admins = vec![ADMIN];
    })
    .await
}

async fn serve(stack: &Stack) -> FrontendApi {
    FrontendApi::serve(stack.gateway.clone(), stack.gateway.ledger(), &stack.config).await
}

/// Reads a job's events until the stream closes.
async fn drain(mut events: JobStream) -> Vec<JobEvent> {
    let mut seen = Vec::new();
    while let Some(event) = events.recv().await {
        seen.push(event);
    }
    seen
}

/// Every frontend-API route, with a body it would accept.
fn routes() -> Vec<(Method, &'static str, Value)> {
    let user = json!("tg:1");
    let message = json!({"chat": 1, "message": 2});
    vec![
        (
            Method::POST,
            "/precheck",
            json!({"id": "r1", "user": user, "options": {}, "inputs": 0}),
        ),
        (
            Method::POST,
            "/submit",
            json!({"id": "r1", "user": user, "prompt": "x", "options": {}, "inputs": [], "parent": null}),
        ),
        (Method::GET, "/jobs/0123/events", Value::Null),
        (Method::POST, "/cancel", json!({"user": user, "id": "r1"})),
        (Method::POST, "/quota", json!({"user": user})),
        (
            Method::POST,
            "/redeem",
            json!({"user": user, "text": "CODE"}),
        ),
        (Method::GET, "/admin/rules", Value::Null),
        (
            Method::POST,
            "/admin/check",
            json!({"by": "user", "actor": "tg:900"}),
        ),
        (
            Method::POST,
            "/admin",
            json!({"actor": {"by": "user", "actor": "tg:900"}, "op": {"op": "stats"}}),
        ),
        (Method::POST, "/results/by-message", message.clone()),
        (Method::GET, "/results/r-1", Value::Null),
        (Method::GET, "/results/r-1/original/0", Value::Null),
        (Method::POST, "/results/r-1/message", message),
        (Method::POST, "/settings/get", json!({"user": user})),
        (
            Method::POST,
            "/settings/set",
            json!({"user": user, "settings": {}}),
        ),
        (
            Method::POST,
            "/usernames/remember",
            json!({"user": user, "text": "alice"}),
        ),
        (
            Method::POST,
            "/usernames/lookup",
            json!({"platform": "telegram", "username": "alice"}),
        ),
        (Method::POST, "/forget", json!({"user": user})),
        (Method::POST, "/api-keys/create", json!({"user": user})),
        (Method::POST, "/api-keys/list", json!({"user": user})),
        (
            Method::POST,
            "/api-keys/revoke",
            json!({"user": user, "text": "easel-sk-ABCD"}),
        ),
        (Method::POST, "/web-link", json!({"user": user})),
        (Method::GET, "/notices", Value::Null),
        (Method::GET, "/info", Value::Null),
    ]
}

#[tokio::test]
async fn every_frontend_route_refuses_a_missing_or_wrong_token() {
    let stack = stack().await;
    // Configures the frontend token on the live config.
    let _api = serve(&stack).await;
    let router = app(AppState {
        ledger: stack.gateway.ledger(),
        config: stack.config.clone(),
        config_path: None,
        gateway: Some(stack.gateway.clone()),
    });
    let wrong_same_length = "x".repeat(FRONTEND_TOKEN.len());
    for (method, path, body) in routes() {
        for token in [None, Some("wrong"), Some(wrong_same_length.as_str())] {
            let mut req = HttpRequest::builder()
                .method(method.clone())
                .uri(format!("/frontend/v1{path}"))
                .header("content-type", "application/json");
            if let Some(token) = token {
                req = req.header("authorization", format!("Bearer {token}"));
            }
            let req = req.body(Body::from(body.to_string())).unwrap();
            let resp = router.clone().oneshot(req).await.unwrap();
            assert_eq!(
                resp.status(),
                StatusCode::UNAUTHORIZED,
                "{method} {path} {token:?}"
            );
            let bytes = resp.into_body().collect().await.unwrap().to_bytes();
            let json: Value = serde_json::from_slice(&bytes).unwrap();
            assert_eq!(json["error"]["code"], "unauthorized", "{method} {path}");
        }
    }
    // The right token passes the same door (so the refusals above are the token's).
    let req = HttpRequest::post("/frontend/v1/quota")
        .header("content-type", "application/json")
        .header("authorization", format!("Bearer {FRONTEND_TOKEN}"))
        .body(Body::from(json!({"user": "tg:1"}).to_string()))
        .unwrap();
    assert_eq!(router.oneshot(req).await.unwrap().status(), StatusCode::OK);
    assert_eq!(stack.openai.requests().len(), 0, "nothing was submitted");
}

/// The bot's connection to the gateway drops while the job runs; events
/// made meanwhile wait at the gateway, and the `RemoteGateway` resumes with
/// `Last-Event-ID`: the frontend sees every event exactly once, in order.
#[tokio::test]
async fn a_dropped_event_stream_resumes_and_delivers_every_event_once() {
    let stack = stack().await;
    let api = serve(&stack).await;
    let proxy = CutProxy::start(api.addr).await;
    let remote = remote_gateway(&proxy.url()).await;
    stack.openai.hold();

    let mut events = remote.submit(request("resume-1")).await.unwrap();
    let mut seen = Vec::new();
    while !matches!(seen.last(), Some(JobEvent::Started)) {
        seen.push(events.recv().await.expect("events until Started"));
    }
    let before_cut = *proxy.forwarded.lock().unwrap();
    proxy.cut();
    // The model answers while the bot is cut off: the partials and the
    // result are made (and charged) with nobody listening.
    stack.openai.release();
    let mut charged = stack.gateway.quota(ALICE).await.unwrap();
    while charged.windows[0].used == 0 {
        tokio::task::yield_now().await;
        charged = stack.gateway.quota(ALICE).await.unwrap();
    }
    proxy.restore();
    seen.extend(drain(events).await);
    proxy.wait_forwarded_more_than(before_cut).await;

    let started = seen
        .iter()
        .filter(|e| matches!(e, JobEvent::Started))
        .count();
    let partials: Vec<u32> = seen
        .iter()
        .filter_map(|e| match e {
            JobEvent::Partial { image, .. } => Some(*image),
            _ => None,
        })
        .collect();
    let done = seen
        .iter()
        .filter(|e| matches!(e, JobEvent::Done { .. }))
        .count();
    assert_eq!(started, 1, "{seen:?}");
    assert_eq!(partials.len(), 2, "both previews, once each: {partials:?}");
    assert_eq!(done, 1, "{seen:?}");
    assert!(
        matches!(seen.last(), Some(JobEvent::Done { charged: 1, .. })),
        "{seen:?}"
    );
    assert_eq!(stack.gateway.quota(ALICE).await.unwrap().windows[0].used, 1);
}

/// The server side of resume: `Last-Event-ID: n` starts after the event with id `n`,
/// each SSE event carries its `id:`, and the log outlives the job's end.
#[tokio::test]
async fn last_event_id_resumes_after_that_event() {
    let stack = stack().await;
    let api = serve(&stack).await;
    let http = reqwest::Client::new();
    let base = format!("{}/frontend/v1", api.url());
    let submitted: Value = http
        .post(format!("{base}/submit"))
        .bearer_auth(FRONTEND_TOKEN)
        .json(&json!({"id": "resume-2", "user": "tg:1", "prompt": "a fox",
                      "options": RenderOptions::default(), "inputs": [], "parent": null}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let job = submitted["job"].as_str().unwrap().to_owned();
    let read = |last: Option<&str>| {
        let mut req = http
            .get(format!("{base}/jobs/{job}/events"))
            .bearer_auth(FRONTEND_TOKEN);
        if let Some(last) = last {
            req = req.header("last-event-id", last);
        }
        async move {
            let resp = req.send().await.unwrap();
            assert_eq!(resp.headers()["content-type"], "text/event-stream");
            let mut events = eventsource_stream::Eventsource::eventsource(resp.bytes_stream());
            let mut all = Vec::new();
            while let Some(Ok(e)) = events.next().await {
                all.push((e.id, serde_json::from_str::<JobEvent>(&e.data).unwrap()));
            }
            all
        }
    };
    let all = read(None).await;
    assert!(all.len() >= 4, "started, two partials, done: {all:?}");
    // Queue positions count from 0, the other events from STREAM_IDS (the
    // ids every replica gives them, see `http/frontend/jobs.rs`).
    let (mut queued, mut streamed) = (0u64, STREAM_IDS);
    let ids: Vec<String> = all
        .iter()
        .map(|(_, e)| {
            let counter = if matches!(e, JobEvent::Queued { .. }) {
                &mut queued
            } else {
                &mut streamed
            };
            *counter += 1;
            (*counter - 1).to_string()
        })
        .collect();
    assert_eq!(
        all.iter().map(|(id, _)| id.clone()).collect::<Vec<_>>(),
        ids
    );
    let second = all[1].0.clone();
    assert!(all.last().unwrap().1.is_final());

    let tail = read(Some(&second)).await;
    assert_eq!(tail, all[2..].to_vec(), "everything after event 1, once");
    // Another frontend's token (or none) cannot read it.
    let other = http
        .get(format!("{base}/jobs/{job}/events"))
        .bearer_auth("not-a-frontend")
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), StatusCode::UNAUTHORIZED);
}

/// Errors cross the wire as the same variant with the same data: a ban set
/// through the remote admin route is a `Denied(Banned)` on the remote
/// precheck, exactly as in process, and a non-admin is `Forbidden`.
#[tokio::test]
async fn gateway_errors_come_back_the_same_over_the_wire() {
    let stack = stack().await;
    let api = serve(&stack).await;
    let remote = remote_gateway(&api.url()).await;
    assert!(
        remote.is_admin(&AdminActor::User(ADMIN)),
        "rules fetched at connect"
    );
    assert!(!remote.is_admin(&AdminActor::User(ALICE)));

    let ban = AdminOp::Ban {
        user: ALICE,
        banned: true,
        reason: "test".into(),
    };
    let refused = remote.admin(AdminActor::User(ALICE), ban.clone()).await;
    assert!(
        matches!(refused, Err(GatewayError::Forbidden)),
        "{refused:?}"
    );
    let reply = remote.admin(AdminActor::User(ADMIN), ban).await.unwrap();
    assert_eq!(
        reply,
        AdminReply::Banned {
            user: ALICE,
            banned: true
        }
    );

    let check = Precheck::of(&request("denied-1"), 0);
    let local = stack.gateway.precheck(check.clone()).await.unwrap_err();
    let wire = remote.precheck(check).await.unwrap_err();
    match (local, wire) {
        (
            GatewayError::Denied(Refusal {
                denial: a,
                notify_admins: x,
            }),
            GatewayError::Denied(Refusal {
                denial: b,
                notify_admins: y,
            }),
        ) => {
            assert_eq!(a, Denial::Banned);
            assert_eq!((a, x), (b, y));
        }
        other => panic!("{other:?}"),
    }
    let dup = remote.submit(request("denied-1")).await.unwrap_err();
    assert!(
        matches!(
            dup,
            GatewayError::Denied(Refusal {
                denial: Denial::Banned,
                ..
            })
        ),
        "{dup:?}"
    );
}

/// The `easel-gateway` process itself (`server::run`): with a backend chain
/// and a frontend token it opens the whole gateway and serves the frontend
/// API; a `RemoteGateway` runs a job through it and the quota shows it.
#[tokio::test]
async fn the_gateway_process_serves_frontends_end_to_end() {
    let openai =
        easel_tests::fake_openai::FakeOpenAi::start_with_key(easel_tests::stack::OPENAI_KEY).await;
    let dir = tempfile::tempdir().unwrap();
    let mut config = Stack::config(&openai, dir.path());
    let addr = {
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        l.local_addr().unwrap()
    };
    config.http.listen = addr.to_string();
    config.gateway.frontends.insert(
        "bots".into(),
        easel_shared::secret::Secret::new(FRONTEND_TOKEN),
    );
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    // In this task, beside the client: the server's start-up future is not `Send`.
    let server = easel_gateway::server::run(config, None, async move {
        let _ = stopped.await;
    });
    let client = async {
        // Bounded wait for the listener (start-up runs the model check first).
        let mut up = false;
        for _ in 0..500 {
            if tokio::net::TcpStream::connect(addr).await.is_ok() {
                up = true;
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        assert!(up, "easel-gateway never listened");
        let remote = remote_gateway(&format!("http://{addr}")).await;
        let seen = drain(remote.submit(request("process-1")).await.unwrap()).await;
        assert!(
            matches!(seen.last(), Some(JobEvent::Done { charged: 1, .. })),
            "{seen:?}"
        );
        assert_eq!(remote.quota(ALICE).await.unwrap().windows[0].used, 1);
        drop(remote);
        let _ = stop.send(());
    };
    let (served, ()) = tokio::join!(server, client);
    served.expect("the gateway stops cleanly");
}

/// A submit carries real uploads: a 3 MB and a 30 MB file pass the body
/// limit (far above the 64 KiB of the admin API) and reach the decoder,
/// whose refusal comes back as the same `BadInput` as in process; nothing
/// is charged and nothing goes upstream.
#[tokio::test]
async fn large_uploads_reach_the_decoder_and_its_refusal_comes_back() {
    use easel_gateway::imaging::ImageError;
    use easel_shared::request::InputImage;

    let stack = stack().await;
    let api = serve(&stack).await;
    let remote = remote_gateway(&api.url()).await;
    let cases = [
        (3_000_000, ImageError::NotAnImage),
        (30_000_000, ImageError::TooManyBytes { max_mb: 25 }),
    ];
    for (i, (size, expected)) in cases.into_iter().enumerate() {
        let mut req = request(&format!("upload-{i}"));
        req.inputs = vec![InputImage::Upload {
            bytes: bytes::Bytes::from(vec![b'x'; size]),
        }];
        match remote.submit(req).await {
            Err(GatewayError::BadInput { index: 0, error }) => assert_eq!(error, expected),
            other => panic!("{size} bytes: {:?}", other.map(|_| "a job")),
        }
    }
    assert_eq!(stack.gateway.quota(ALICE).await.unwrap().windows[0].used, 0);
    assert_eq!(stack.openai.requests().len(), 0);
}

/// The frontend token never reaches a log line or an error, whether the
/// gateway refuses it, is gone, or a job is followed (TRACE capture).
#[tokio::test]
async fn the_frontend_token_is_never_logged_or_shown() {
    let logs = easel_tests::logs::Logs::process();
    let stack = stack().await;
    let api = serve(&stack).await;
    let remote = remote_gateway(&api.url()).await;
    let seen = drain(remote.submit(request("secret-1")).await.unwrap()).await;
    assert!(
        matches!(seen.last(), Some(JobEvent::Done { .. })),
        "{seen:?}"
    );

    // A frontend presenting a wrong token (its own secret) is refused.
    let wrong = "wrong-token-secretFRONTEND-0123456789";
    let config = easel_shared::config::GatewayConfig {
        url: api.url(),
        token: easel_shared::secret::Secret::new(wrong),
        ..Default::default()
    };
    let refused = easel_gateway::service::RemoteGateway::connect(&config).await;
    let err = refused.quota(ALICE).await.unwrap_err();
    assert!(matches!(err, GatewayError::Unavailable(_)), "{err:?}");
    // And a gateway that is gone.
    drop(api);
    let dead = {
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        l.local_addr().unwrap()
    };
    let gone = remote_gateway(&format!("http://{dead}")).await;
    let err2 = gone.quota(ALICE).await.unwrap_err();

    let text = logs.text();
    for secret in [FRONTEND_TOKEN, wrong, "secretFRONTEND"] {
        assert!(!text.contains(secret), "a token was logged:\n{text}");
        for e in [&err, &err2] {
            assert!(!format!("{e} {e:?}").contains(secret), "{e:?}");
        }
    }
    assert!(
        text.contains("refused gateway.token"),
        "the refusal is logged"
    );
}

/// A job's events stay readable (by the frontend that submitted it) until
/// `gateway.events_grace` after its final event, then go; paused time.
#[tokio::test(start_paused = true)]
async fn a_finished_jobs_events_stay_for_the_grace_then_go() {
    use easel_gateway::http::frontend::jobs::Jobs;
    use easel_shared::job::JobFailure;
    use std::time::Duration;

    let jobs = std::sync::Arc::new(Jobs::default());
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let grace = Duration::from_secs(120);
    let handle = "job-1";
    jobs.track("bots", handle, rx, grace);
    tx.send(JobEvent::Started).unwrap();
    tx.send(JobEvent::Failed {
        failure: JobFailure::Cancelled,
        quota: None,
    })
    .unwrap();
    let count = |after: Option<u64>| {
        let stream = jobs.follow("bots", handle, after);
        async move { stream.expect("kept").count().await }
    };
    assert_eq!(count(None).await, 2);
    assert_eq!(count(Some(STREAM_IDS)).await, 1, "a resume after event 0");
    assert!(jobs.follow("other-frontend", handle, None).is_none());

    tokio::time::sleep(grace - Duration::from_secs(1)).await;
    assert_eq!(
        count(None).await,
        2,
        "still there just before the grace ends"
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(jobs.follow("bots", handle, None).is_none(), "gone after it");
}

/// `/apikey` in remote mode: a key created through the remote port draws on
/// the same account the gateway resolves for `/v1`, lists by its prefix
/// only, and is gone once revoked remotely.
#[tokio::test]
async fn api_keys_are_created_listed_and_revoked_through_the_remote_port() {
    let stack = stack().await;
    let api = serve(&stack).await;
    let remote = remote_gateway(&api.url()).await;

    let minted = remote.create_api_key(ALICE).await.unwrap();
    let listed = remote.list_api_keys(ALICE).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].prefix, minted.prefix);
    assert!(
        minted.key.expose().starts_with(&minted.prefix),
        "the secret crossed the wire whole"
    );
    let ledger = stack.gateway.ledger();
    assert_eq!(
        ledger.api_key_user(minted.key.expose()).await.unwrap(),
        Some(ALICE),
        "the gateway resolves the remotely created key"
    );

    assert!(remote.revoke_api_key(ALICE, &minted.prefix).await.unwrap());
    assert!(remote.list_api_keys(ALICE).await.unwrap().is_empty());
    assert_eq!(
        ledger.api_key_user(minted.key.expose()).await.unwrap(),
        None
    );
    assert!(!remote.revoke_api_key(ALICE, &minted.prefix).await.unwrap());
}

/// `/web` through a remote gateway: the link is made by the gateway (from
/// its `http.public_url`) for the asking user, comes back over the wire,
/// and works once in the gateway's ledger; without a public URL the answer
/// is "no link", not an error.
#[tokio::test]
async fn a_web_link_comes_back_over_the_wire_and_works_once() {
    let stack = stack().await;
    let api = serve(&stack).await;
    let remote = remote_gateway(&api.url()).await;
    let user = UserKey::telegram(31);
    assert_eq!(remote.web_link(user).await.expect("answer"), None);

    stack.config.rcu(|c| {
        let mut c = easel_shared::config::Config::clone(c);
        c.http.public_url = "https://easel.example.org".into();
        c
    });
    let link = remote
        .web_link(user)
        .await
        .expect("answer")
        .expect("a link");
    let token = link
        .url
        .expose()
        .strip_prefix("https://easel.example.org/web/link?t=")
        .expect("built from http.public_url")
        .to_owned();
    let ledger = stack.gateway.ledger();
    assert_eq!(
        ledger.take_web_link(&token).await.expect("take"),
        Some(user)
    );
    assert_eq!(ledger.take_web_link(&token).await.expect("take"), None);
}
