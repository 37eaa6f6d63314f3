//! Gemini multi-turn through the gateway: generate, then two refines; each
//! refine resends the earlier turns with Gemini's thought signatures (the
//! fake refuses a follow-up without them), and each result stores its
//! history without image bytes.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use easel_shared::request::InputImage;
use easel_shared::results::{Continuation, ResultId};
use serde_json::Value;

use super::*;

async fn gemini_only() -> (Stack, FakeGemini) {
    let gemini = FakeGemini::start().await;
    let g = gemini.clone();
    let stack = Stack::start(move |c| {
        c.backends.chain = vec![gemini_backend(&g, "gemini-3-pro-image")];
    })
    .await;
    (stack, gemini)
}

/// Runs `request` and returns the stored result's id.
async fn done(stack: &Stack, request: Request) -> ResultId {
    let event = last_event(stack.gateway.submit(request).await.unwrap()).await;
    let JobEvent::Done {
        images,
        result: Some(id),
        ..
    } = event
    else {
        panic!("expected a stored result: {event:?}");
    };
    assert_eq!(images[0].bytes, FakeGemini::final_image());
    id
}

fn refine(id: &str, parent: &ResultId, prompt: &str) -> Request {
    Request {
        prompt: prompt.into(),
        inputs: vec![InputImage::Output {
            result: parent.clone(),
            index: 0,
        }],
        parent: Some(parent.clone()),
        ..request(id, Shape::Auto)
    }
}

/// `(role, texts, signatures, image datas)` of each turn of a request.
fn turns(body: &Value) -> Vec<(String, Vec<String>, usize, Vec<String>)> {
    body["contents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|turn| {
            let parts = turn["parts"].as_array().unwrap();
            let texts = parts
                .iter()
                .filter_map(|p| p["text"].as_str().map(str::to_owned))
                .collect();
            let signed = parts
                .iter()
                .filter(|p| p["thoughtSignature"].is_string())
                .count();
            let images = parts
                .iter()
                .filter_map(|p| p["inline_data"]["data"].as_str().map(str::to_owned))
                .collect();
            (
                turn["role"].as_str().unwrap().to_owned(),
                texts,
                signed,
                images,
            )
        })
        .collect()
}

#[tokio::test]
async fn refines_resend_the_earlier_turns_with_their_signatures() {
    let (stack, gemini) = gemini_only().await;
    let first = done(&stack, request("tg:7:40", Shape::Auto)).await;
    let second = done(&stack, refine("tg:7:41", &first, "make it night")).await;
    let third = done(&stack, refine("tg:7:42", &second, "add snow")).await;

    let requests = gemini.requests();
    assert_eq!(requests.len(), 3, "no call was refused or retried");
    let image = STANDARD.encode(FakeGemini::final_image());
    let model = (
        "model".to_owned(),
        vec!["Here is your image.".to_owned()],
        2,
        vec![image.clone()],
    );
    let user = |text: &str| ("user".to_owned(), vec![text.to_owned()], 0, Vec::new());
    assert_eq!(turns(&requests[0].json), [user("a lighthouse at dawn")]);
    assert_eq!(
        turns(&requests[1].json),
        [
            user("a lighthouse at dawn"),
            model.clone(),
            // The continued image is in the history: not sent again.
            user("make it night"),
        ]
    );
    assert_eq!(
        turns(&requests[2].json),
        [
            user("a lighthouse at dawn"),
            model.clone(),
            user("make it night"),
            model,
            user("add snow"),
        ]
    );

    // The third result keeps the whole history, without image bytes.
    let record = stack.gateway.result(&third).await.unwrap().unwrap();
    let Some(Continuation::GeminiTurns {
        backend,
        history,
        replies,
    }) = &record.continuation
    else {
        panic!("a Gemini continuation is stored: {:?}", record.continuation);
    };
    assert_eq!(backend, "gemini");
    assert_eq!((history.len(), replies.len()), (5, 1));
    let stored = serde_json::to_string(&record).unwrap();
    assert!(
        !stored.contains(&image),
        "image bytes are referenced, not stored"
    );
    assert!(
        stored.contains(&format!("\"result\":\"{first}\"")),
        "{stored}"
    );
}

#[tokio::test]
async fn a_refine_on_another_backend_or_without_a_parent_starts_afresh() {
    let (stack, gemini) = gemini_only().await;
    let first = done(&stack, request("tg:7:50", Shape::Auto)).await;
    // Vary-like request that names the image but not the parent: fresh.
    let mut fresh = refine("tg:7:51", &first, "again, in watercolour");
    fresh.parent = None;
    done(&stack, fresh).await;
    let sent = turns(&gemini.requests()[1].json);
    assert_eq!(sent.len(), 1, "one user turn: {sent:?}");
    assert_eq!(sent[0].3.len(), 1, "the image goes as an input instead");
}

#[tokio::test]
async fn again_of_a_refine_redoes_that_turn_in_the_same_conversation() {
    let (stack, gemini) = gemini_only().await;
    let first = done(&stack, request("tg:7:55", Shape::Auto)).await;
    let second = done(&stack, refine("tg:7:56", &first, "make it night")).await;
    // Again of the refine: its prompt and its own inputs, parent = itself.
    let again = Request {
        prompt: "make it night".into(),
        inputs: vec![InputImage::Input {
            result: second.clone(),
            index: 0,
        }],
        parent: Some(second),
        ..request("tg:7:57", Shape::Auto)
    };
    done(&stack, again).await;
    let requests = gemini.requests();
    assert_eq!(
        turns(&requests[2].json),
        turns(&requests[1].json),
        "the same turn on the same history, not a turn after the refine"
    );
}
