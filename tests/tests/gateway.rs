//! The `Gateway` port end to end: the real in-process gateway (admission,
//! runner, imaging, backend chain, embedded ledger and result store; once a
//! Redis ledger beside a full results Redis, once all on a Redis Cluster)
//! against the fake OpenAI server.
//! What a frontend relies on, checked in one place.

use bytes::Bytes;
use easel_gateway::service::{Gateway, GatewayError, JobStream};
use easel_shared::admin::{AdminActor, AdminOp, AdminReply};
use easel_shared::job::{JobEvent, JobFailure};
use easel_shared::render::RenderOptions;
use easel_shared::request::{InputImage, Request};
use easel_shared::results::ResultId;
use easel_shared::{Denial, Refusal, RequestId, UserKey};
use easel_tests::fake_openai::{FakeOpenAi, Reply};
use easel_tests::stack::Stack;

/// Two gateway processes on one Redis key prefix: one user's quota, exactly.
#[path = "gateway/replicas.rs"]
mod replicas;

/// The shared job queue on Redis across gateway processes.
#[path = "gateway/queue.rs"]
mod queue;

/// A job's frontend-API events followed through another replica.
#[path = "gateway/queue_follow.rs"]
mod queue_follow;

const ALICE: UserKey = UserKey {
    platform: easel_shared::Platform::Telegram,
    id: 1,
};

fn request(id: &str, prompt: &str, inputs: Vec<InputImage>) -> Request {
    Request {
        id: RequestId::new(id).unwrap(),
        user: ALICE,
        prompt: prompt.into(),
        options: RenderOptions::default(),
        inputs,
        parent: None,
        mask: None,
    }
}

/// Reads a job's events up to and including the final one.
async fn finish(mut events: JobStream) -> Vec<JobEvent> {
    let mut seen = Vec::new();
    while let Some(event) = events.recv().await {
        let last = event.is_final();
        seen.push(event);
        if last {
            break;
        }
    }
    seen
}

/// Submits a request and reads its events to the end.
async fn run(stack: &Stack, request: Request) -> Vec<JobEvent> {
    finish(stack.gateway.submit(request).await.unwrap()).await
}

/// Runs a request to its end and returns the stored result it produced.
async fn stored_result(stack: &Stack, request: Request) -> ResultId {
    let events = run(stack, request).await;
    match events.last() {
        Some(JobEvent::Done {
            result: Some(id), ..
        }) => id.clone(),
        _ => panic!("no stored result: {events:?}"),
    }
}

fn png(seed: u8) -> Bytes {
    easel_tests::fake_openai::known_png(seed)
}

#[tokio::test]
async fn a_generated_image_arrives_untouched_and_is_stored_with_its_prompt() {
    let stack = Stack::start(|_| {}).await;
    let events = run(&stack, request("tg:1:1", "a red fox", vec![])).await;
    let Some(JobEvent::Done {
        images,
        charged,
        result: Some(id),
        quota: Some(quota),
        ..
    }) = events.last()
    else {
        panic!("no stored result: {events:?}");
    };
    assert_eq!(
        images[0].bytes,
        FakeOpenAi::final_image(0),
        "the provider's bytes, untouched"
    );
    assert_eq!(*charged, 1);
    assert_eq!(quota.windows[0].used, 1);

    let record = stack.gateway.result(id).await.unwrap().expect("stored");
    assert_eq!((record.prompt.as_str(), record.user), ("a red fox", ALICE));
    let original = stack
        .gateway
        .original(id, 0)
        .await
        .unwrap()
        .expect("original kept");
    assert_eq!(original.bytes, FakeOpenAi::final_image(0));
    assert_eq!(stack.openai.requests().len(), 1);
}

#[tokio::test]
async fn a_bad_upload_is_refused_before_anything_is_charged() {
    let stack = Stack::start(|_| {}).await;
    let upload = InputImage::Upload {
        bytes: Bytes::from_static(b"just some text, not a png"),
    };
    let err = stack
        .gateway
        .submit(request("tg:1:2", "edit", vec![upload]))
        .await
        .unwrap_err();
    let GatewayError::BadInput { index: 0, error } = err else {
        panic!("{err:?}")
    };
    assert_eq!(error.key(), "image.not_an_image");
    let quota = stack.gateway.quota(ALICE).await.unwrap();
    assert_eq!((quota.windows[0].used, quota.in_flight), (0, 0));
    assert!(stack.openai.requests().is_empty(), "nothing sent upstream");
}

#[tokio::test]
async fn a_redelivered_request_runs_and_charges_once() {
    let stack = Stack::start(|_| {}).await;
    let first = stack
        .gateway
        .submit(request("tg:1:3", "a cat", vec![]))
        .await
        .unwrap();
    let again = stack
        .gateway
        .submit(request("tg:1:3", "a cat", vec![]))
        .await;
    assert!(
        matches!(again, Err(GatewayError::Duplicate(_))),
        "{again:?}"
    );
    finish(first).await;
    let again = stack
        .gateway
        .submit(request("tg:1:3", "a cat", vec![]))
        .await;
    assert!(
        matches!(again, Err(GatewayError::Duplicate(_))),
        "after it finished too: {again:?}"
    );
    assert_eq!(stack.gateway.quota(ALICE).await.unwrap().windows[0].used, 1);
    assert_eq!(stack.openai.requests().len(), 1);
}

#[tokio::test]
async fn an_edit_of_an_earlier_result_sends_that_image_and_records_lineage() {
    let stack = Stack::start(|_| {}).await;
    let parent = stored_result(&stack, request("tg:1:4", "a house", vec![])).await;

    let mut edit = request(
        "tg:1:5",
        "make the sky purple",
        vec![
            InputImage::Output {
                result: parent.clone(),
                index: 0,
            },
            InputImage::Upload { bytes: png(7) },
        ],
    );
    edit.parent = Some(parent.clone());
    let child = stored_result(&stack, edit).await;

    let sent = stack.openai.requests().pop().unwrap();
    assert!(sent.path.ends_with("/images/edits"), "{}", sent.path);
    let images = sent.parts.iter().filter(|p| p.name == "image[]").count();
    assert_eq!(images, 2, "both inputs, as image[] parts");
    let record = stack.gateway.result(&child).await.unwrap().unwrap();
    assert_eq!(record.parent.as_ref(), Some(&parent));
    assert_eq!(record.inputs.len(), 2);
    assert_eq!(stack.gateway.quota(ALICE).await.unwrap().windows[0].used, 2);
}

#[tokio::test]
async fn an_upstream_failure_is_explained_and_refunded() {
    let stack = Stack::start(|_| {}).await;
    stack
        .openai
        .script([Reply::Status(503), Reply::Status(503), Reply::Status(503)]);
    let events = finish(
        stack
            .gateway
            .submit(request("tg:1:6", "a boat", vec![]))
            .await
            .unwrap(),
    )
    .await;
    let Some(JobEvent::Failed {
        failure,
        quota: Some(quota),
    }) = events.last()
    else {
        panic!("{events:?}")
    };
    assert!(matches!(failure, JobFailure::Busy { .. }), "{failure:?}");
    assert_eq!(
        (quota.windows[0].used, quota.in_flight),
        (0, 0),
        "nothing charged"
    );

    stack.openai.script([Reply::ModerationBlocked]);
    let events = finish(
        stack
            .gateway
            .submit(request("tg:1:7", "something", vec![]))
            .await
            .unwrap(),
    )
    .await;
    assert!(matches!(
        events.last(),
        Some(JobEvent::Failed {
            failure: JobFailure::Blocked { .. },
            ..
        })
    ));
    assert_eq!(stack.gateway.quota(ALICE).await.unwrap().windows[0].used, 0);
}

#[tokio::test]
async fn an_exhausted_quota_is_denied_with_when_it_frees_and_nothing_is_sent() {
    let stack = Stack::start(|c| {
        let free = c.plans.get_mut("free").unwrap();
        free.windows.truncate(1);
        free.windows[0].limit = 1;
    })
    .await;
    finish(
        stack
            .gateway
            .submit(request("tg:1:8", "one", vec![]))
            .await
            .unwrap(),
    )
    .await;
    let err = stack
        .gateway
        .submit(request("tg:1:9", "two", vec![]))
        .await
        .unwrap_err();
    let GatewayError::Denied(Refusal {
        denial: Denial::Quota {
            fits: 0,
            retry_at: Some(at),
        },
        ..
    }) = err
    else {
        panic!("{err:?}")
    };
    assert!(at > stack.clock.now());
    assert_eq!(stack.openai.requests().len(), 1);
}

#[tokio::test]
async fn admin_operations_need_a_configured_admin() {
    let admin = UserKey::telegram(99);
    let stack = Stack::start(|c| c.access.admins = vec![admin]).await;
    let op = AdminOp::Grant {
        user: ALICE,
        credits: 5,
        reason: "welcome".into(),
    };
    let refused = stack
        .gateway
        .admin(AdminActor::User(ALICE), op.clone())
        .await;
    assert!(
        matches!(refused, Err(GatewayError::Forbidden)),
        "{refused:?}"
    );
    let granted = stack
        .gateway
        .admin(AdminActor::User(admin), op)
        .await
        .unwrap();
    assert_eq!(
        granted,
        AdminReply::Credits {
            user: ALICE,
            balance: 5
        }
    );
    assert_eq!(stack.gateway.quota(ALICE).await.unwrap().credits, 5);
}

#[tokio::test]
async fn results_and_lineage_survive_a_restart_and_forget_removes_them() {
    let stack = Stack::start(|_| {}).await;
    let id = stored_result(&stack, request("tg:1:10", "a tree", vec![])).await;

    let stack = stack.restart().await;
    let record = stack
        .gateway
        .result(&id)
        .await
        .unwrap()
        .expect("kept across restart");
    assert_eq!(record.prompt, "a tree");
    assert_eq!(
        stack.gateway.quota(ALICE).await.unwrap().windows[0].used,
        1,
        "quota kept"
    );

    assert_eq!(stack.gateway.forget(ALICE).await.unwrap(), 1);
    assert!(stack.gateway.result(&id).await.unwrap().is_none());
    assert!(stack.gateway.original(&id, 0).await.unwrap().is_none());
    assert_eq!(
        stack.gateway.quota(ALICE).await.unwrap().windows[0].used,
        1,
        "usage stays"
    );
}

#[tokio::test]
async fn again_of_an_upload_edit_resends_the_inputs_even_after_a_restart() {
    let stack = Stack::start(|_| {}).await;
    let upload = InputImage::Upload { bytes: png(3) };
    let first = stored_result(&stack, request("tg:1:11", "add a hat", vec![upload])).await;

    let stack = stack.restart().await;
    let again = request(
        "tg:1:12",
        "add a hat",
        vec![InputImage::Input {
            result: first,
            index: 0,
        }],
    );
    let events = finish(stack.gateway.submit(again).await.unwrap()).await;
    assert!(
        matches!(
            events.last(),
            Some(JobEvent::Done {
                result: Some(_),
                ..
            })
        ),
        "{events:?}"
    );

    let sent = stack.openai.requests();
    let dims: Vec<(u32, u32)> = sent
        .iter()
        .map(|r| {
            let part = r
                .parts
                .iter()
                .find(|p| p.name == "image[]")
                .expect("an image[] part");
            let image = image::load_from_memory(&part.bytes).expect("a decodable image");
            (image.width(), image.height())
        })
        .collect();
    assert_eq!(dims.len(), 2);
    assert_eq!(
        dims[0], dims[1],
        "the same picture went upstream both times"
    );
}

/// Fills a private Redis up to its `maxmemory` (noeviction): from then on
/// every write fails with `OOM command not allowed ...`.
async fn full_redis() -> easel_tests::redis_server::PrivateRedis {
    let server = easel_tests::redis_server::PrivateRedis::start();
    let client = redis::Client::open(server.url()).unwrap();
    let mut con = client.get_multiplexed_async_connection().await.unwrap();
    for (name, value) in [("maxmemory", "2mb"), ("maxmemory-policy", "noeviction")] {
        let _: () = redis::cmd("CONFIG")
            .arg("SET")
            .arg(name)
            .arg(value)
            .query_async(&mut con)
            .await
            .unwrap();
    }
    let filler = vec![b'x'; 16 * 1024];
    let mut full = false;
    for n in 0..1000 {
        let set: redis::RedisResult<()> = redis::cmd("SET")
            .arg(format!("filler:{n}"))
            .arg(&filler)
            .query_async(&mut con)
            .await;
        match set {
            Ok(()) => {}
            Err(e) if e.code() == Some("OOM") => {
                full = true;
                break;
            }
            Err(e) => panic!("filling the private Redis: {e}"),
        }
    }
    assert!(full, "2 MB of maxmemory never filled up");
    // At the limit, Redis frees idle clients' buffers now and then, which
    // would let a small write through again: put the limit well below what
    // is used, so every write is refused from here on.
    let _: () = redis::cmd("CONFIG")
        .arg("SET")
        .arg("maxmemory")
        .arg("1mb")
        .query_async(&mut con)
        .await
        .unwrap();
    server
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_results_redis_never_blocks_generation_or_quotas() {
    let full = full_redis().await;
    let prefix = easel_tests::ledger::unique_prefix("full-results");
    // The store on its own is full: writes are refused as such, reads work.
    let store = easel_gateway::results::redis::RedisResultStore::connect(
        &full.url(),
        &prefix,
        easel_shared::config::ResultsConfig::default(),
        easel_gateway::ledger::Clock::real(),
    )
    .await
    .unwrap();
    let err = easel_gateway::results::ResultStore::settings(&store, ALICE).await;
    assert_eq!(err.unwrap(), Default::default(), "reads still work");
    let err = easel_gateway::results::ResultStore::set_settings(&store, ALICE, &Default::default())
        .await
        .unwrap_err();
    assert!(
        matches!(err, easel_gateway::results::ResultStoreError::Full(_)),
        "{err:?}"
    );

    // The ledger on the shared Redis, results on the full one.
    let (results_url, ledger_url) = (full.url(), easel_tests::ledger::redis_url());
    let stack = Stack::start(move |c| {
        c.ledger.redis_url = ledger_url;
        c.ledger.key_prefix = prefix;
        c.results.redis_url = results_url;
    })
    .await;
    for (n, id) in ["tg:1:1", "tg:1:2"].into_iter().enumerate() {
        let events = run(&stack, request(id, "a red fox", vec![])).await;
        let Some(JobEvent::Done {
            images,
            charged,
            result,
            quota: Some(quota),
            ..
        }) = events.last()
        else {
            panic!("no image: {events:?}");
        };
        assert_eq!(images[0].bytes, FakeOpenAi::final_image(0));
        assert_eq!(*charged, 1);
        assert_eq!(*result, None, "nothing could be stored");
        assert_eq!(quota.windows[0].used, n as u32 + 1, "charged exactly once");
        assert_eq!(stack.gateway.results_not_stored(), n as u64 + 1);
    }
    let quota = stack.gateway.quota(ALICE).await.unwrap();
    assert_eq!((quota.windows[0].used, quota.in_flight), (2, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_whole_gateway_runs_on_a_redis_cluster() {
    let url = easel_tests::redis_cluster::shared().url();
    let prefix = easel_tests::ledger::unique_prefix("cluster-stack");
    let stack = Stack::start(move |c| {
        c.ledger.redis_url = url.clone();
        c.ledger.key_prefix = prefix;
        c.results.redis_url = url;
    })
    .await;
    // Generate, then edit that result: ledger scripts, result records, blobs,
    // lineage and the size index all on the cluster.
    let parent = stored_result(&stack, request("tg:1:4", "a house", vec![])).await;
    let message = easel_shared::results::MessageRef {
        platform: easel_shared::Platform::Telegram,
        chat: 9,
        message: 10,
    };
    stack
        .gateway
        .attach_message(&parent, message)
        .await
        .unwrap();
    let mut edit = request(
        "tg:1:5",
        "make the sky purple",
        vec![InputImage::Output {
            result: parent.clone(),
            index: 0,
        }],
    );
    edit.parent = Some(parent.clone());
    let child = stored_result(&stack, edit).await;

    let found = stack.gateway.find_by_message(&message).await.unwrap();
    assert_eq!(found.map(|r| r.id), Some(parent.clone()));
    let record = stack.gateway.result(&child).await.unwrap().unwrap();
    assert_eq!(record.parent.as_ref(), Some(&parent));
    let quota = stack.gateway.quota(ALICE).await.unwrap();
    assert_eq!((quota.windows[0].used, quota.in_flight), (2, 0));
    assert_eq!(stack.gateway.results_not_stored(), 0);
    assert_eq!(stack.gateway.forget(ALICE).await.unwrap(), 2);
    assert_eq!(stack.gateway.result(&parent).await.unwrap(), None);
}

/// A noisy RGB PNG of `side` x `side` pixels (noise keeps the file large).
fn large_png(side: u32, seed: u32) -> Bytes {
    let img = image::RgbImage::from_fn(side, side, |x, y| {
        let v = (x.wrapping_mul(2_654_435_761) ^ y.wrapping_mul(40_503) ^ seed) as u8;
        image::Rgb([v, v.rotate_left(3), v.rotate_left(5)])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png)
        .expect("encode png");
    Bytes::from(out.into_inner())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn more_large_inputs_than_the_decode_limit_all_finish_or_are_told_busy() {
    const USERS: u64 = 6;
    // Room for exactly one of these decodes at a time (pixels ~5.8 MB each).
    let budget = 8 * 1024 * 1024;
    let stack = Stack::start(|c| {
        c.runner.decodes_at_once = 2;
        c.runner.decode_memory = budget;
        c.runner.max_queued_per_user = 0;
    })
    .await;
    let photo = large_png(1_200, 7);
    let mut tasks = Vec::new();
    for user in 1..=USERS {
        let gateway = stack.gateway.clone();
        let mut req = request(&format!("big-{user}"), "in the snow", Vec::new());
        req.user = UserKey::telegram(user);
        req.inputs = vec![InputImage::Upload {
            bytes: photo.clone(),
        }];
        tasks.push(tokio::spawn(async move {
            match gateway.submit(req).await {
                Ok(events) => Ok(finish(events).await),
                Err(e) => Err(e),
            }
        }));
    }
    let (mut done, mut busy) = (0, 0);
    for task in tasks {
        match task.await.expect("no panic") {
            Ok(events) => {
                assert!(
                    matches!(events.last(), Some(JobEvent::Done { .. })),
                    "{events:?}"
                );
                done += 1;
            }
            Err(GatewayError::Busy) => busy += 1,
            Err(other) => panic!("neither done nor busy: {other:?}"),
        }
    }
    assert_eq!(done + busy, USERS);
    assert!(done >= 1, "the first decode always finds room");
    let gate = stack.gateway.decodes();
    assert_eq!(
        gate.peak_decodes(),
        1,
        "one decode at a time fits the budget"
    );
    assert!(
        gate.peak_bytes() <= budget,
        "{} > {budget}",
        gate.peak_bytes()
    );
    // A busy answer charged nothing; every finished request was charged once.
    let mut charged = 0;
    for user in 1..=USERS {
        let status = stack.gateway.quota(UserKey::telegram(user)).await.unwrap();
        charged += status.windows.first().map_or(0, |w| u64::from(w.used));
    }
    assert_eq!(charged, done);
}
