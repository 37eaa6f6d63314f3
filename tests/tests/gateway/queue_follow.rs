//! The frontend API's job events through a replica that did not accept the
//! job (the shared queue's event stream): every event once, through `Done`,
//! and a resume that crosses replicas delivers the rest once.

use easel_gateway::http::frontend::jobs::STREAM_IDS;
use easel_gateway::service::Gateway;
use easel_shared::job::JobEvent;
use easel_shared::render::RenderOptions;
use easel_tests::fake_openai::FakeOpenAi;
use easel_tests::ledger::unique_prefix;
use easel_tests::remote::{FRONTEND_TOKEN, FrontendApi};
use easel_tests::stack::Stack;
use futures::StreamExt;
use serde_json::{Value, json};

use super::queue::replica;

async fn serve(stack: &Stack) -> FrontendApi {
    FrontendApi::serve(stack.gateway.clone(), stack.gateway.ledger(), &stack.config).await
}

/// Opens job `job`'s events on `api` (after `last`), answering the status.
async fn open(api: &FrontendApi, job: &str, last: Option<u64>) -> reqwest::Response {
    let mut req = reqwest::Client::new()
        .get(format!("{}/frontend/v1/jobs/{job}/events", api.url()))
        .bearer_auth(FRONTEND_TOKEN);
    if let Some(last) = last {
        req = req.header("last-event-id", last.to_string());
    }
    req.send().await.unwrap()
}

/// Reads (id, event) pairs until `stop` holds for one (included) or the
/// stream ends.
async fn read_until(
    resp: reqwest::Response,
    stop: impl Fn(&JobEvent) -> bool,
) -> Vec<(u64, JobEvent)> {
    assert_eq!(resp.status(), reqwest::StatusCode::OK);
    let mut events = eventsource_stream::Eventsource::eventsource(resp.bytes_stream());
    let mut seen = Vec::new();
    while let Some(Ok(e)) = events.next().await {
        let event: JobEvent = serde_json::from_str(&e.data).unwrap();
        let done = stop(&event);
        seen.push((e.id.parse().unwrap(), event));
        if done {
            break;
        }
    }
    seen
}

fn images(events: &[(u64, JobEvent)]) -> usize {
    match events.last() {
        Some((_, JobEvent::Done { images, .. })) => images.len(),
        other => panic!("not delivered: {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_replica_serves_a_jobs_events_from_the_queue_and_resumes_across_replicas() {
    let openai = FakeOpenAi::start().await;
    openai.hold();
    let prefix = unique_prefix("queue-follow");
    let a = replica(&openai, &prefix, 1, 1, 0).await;
    let b = replica(&openai, &prefix, 1, 1, 0).await;
    let (api_a, api_b) = (serve(&a).await, serve(&b).await);

    let submitted: Value = reqwest::Client::new()
        .post(format!("{}/frontend/v1/submit", api_a.url()))
        .bearer_auth(FRONTEND_TOKEN)
        .json(
            &json!({"id": "tg:1:follow", "user": "tg:1", "prompt": "a fox",
                      "options": RenderOptions::default(), "inputs": [], "parent": null}),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let job = submitted["job"].as_str().unwrap().to_owned();

    // Seen on A up to Started, then A's HTTP server is gone.
    let on_a = read_until(open(&api_a, &job, None).await, |e| *e == JobEvent::Started).await;
    let (started, _) = on_a.last().unwrap().clone();
    assert_eq!(started, STREAM_IDS, "Started is the stream's first event");
    drop(api_a);

    openai.release();
    // Resumed on B after Started: the rest, each once, through Done.
    let rest = read_until(open(&api_b, &job, Some(started)).await, |_| false).await;
    assert!(rest.iter().all(|(id, _)| *id > started), "{rest:?}");
    assert!(
        !rest.iter().any(|(_, e)| *e == JobEvent::Started),
        "{rest:?}"
    );
    assert_eq!(images(&rest), 1, "the images reach B's follower");
    let ids: Vec<u64> = rest.iter().map(|(id, _)| *id).collect();
    let expected: Vec<u64> = (started + 1..started + 1 + ids.len() as u64).collect();
    assert_eq!(ids, expected, "consecutive, none twice");

    // From the start on B: the whole stream, the same ids.
    let all = read_until(open(&api_b, &job, None).await, |_| false).await;
    assert_eq!(all[0], (STREAM_IDS, JobEvent::Started));
    assert_eq!(all[1..], rest[..]);

    // A job nobody knows, or a handle that is not this frontend's: 404.
    let unknown = easel_gateway::http::frontend::handle::handle(
        FRONTEND_TOKEN,
        &easel_shared::RequestId::new("tg:1:never").unwrap(),
    );
    assert_eq!(open(&api_b, &unknown, None).await.status(), 404);
    let forged = easel_gateway::http::frontend::handle::handle(
        "another-token",
        &easel_shared::RequestId::new("tg:1:follow").unwrap(),
    );
    assert_eq!(open(&api_b, &forged, None).await.status(), 404);

    let quota = b.gateway.quota(super::ALICE).await.unwrap();
    assert_eq!(
        (quota.windows[0].used, quota.in_flight),
        (1, 0),
        "charged once"
    );
}
