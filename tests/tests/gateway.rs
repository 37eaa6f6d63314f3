//! The `Gateway` port end to end: the real in-process gateway (admission,
//! runner, imaging, backend chain, embedded ledger and result store) against
//! the fake OpenAI server. What a frontend relies on, checked in one place.

use bytes::Bytes;
use easel_gateway::service::{Gateway, GatewayError, JobStream};
use easel_shared::admin::{AdminActor, AdminOp, AdminReply};
use easel_shared::job::{JobEvent, JobFailure};
use easel_shared::render::RenderOptions;
use easel_shared::request::{InputImage, Request};
use easel_shared::results::ResultId;
use easel_shared::{Denial, RequestId, UserKey};
use easel_tests::fake_openai::{FakeOpenAi, Reply};
use easel_tests::stack::Stack;

/// Two gateway processes on one Redis key prefix: one user's quota, exactly.
#[path = "gateway/replicas.rs"]
mod replicas;

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

/// Runs a request to its end and returns the stored result it produced.
async fn stored_result(stack: &Stack, request: Request) -> ResultId {
    let events = finish(stack.gateway.submit(request).await.unwrap()).await;
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
    let events = finish(
        stack
            .gateway
            .submit(request("tg:1:1", "a red fox", vec![]))
            .await
            .unwrap(),
    )
    .await;
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
    let GatewayError::Denied {
        denial: Denial::Quota {
            fits: 0,
            retry_at: Some(at),
        },
        ..
    } = err
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
