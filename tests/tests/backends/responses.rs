//! The `openai-responses` backend against the fake Responses API: the
//! request it sends, streamed partials, cost from both usages, the
//! continuation it returns and honours (only its own), the Images edit
//! when the provider forgot the conversation, and error kinds.

use easel_shared::results::Continuation;
use easel_tests::fake_openai::{FakeOpenAi, Reply, known_png};
use serde_json::json;

use super::*;

fn responses(fake: &FakeOpenAi) -> BackendConfig {
    BackendConfig {
        name: "conversation".into(),
        kind: BackendKind::OpenAiResponses,
        model: "gpt-5.1".into(),
        image_model: "gpt-image-1.5".into(),
        partial_images: 2,
        ..openai(fake)
    }
}

/// The test prices plus the mainline model's: $1.25 in, $10 out per million.
fn conversation_chain(fake: &FakeOpenAi) -> BackendChain {
    let mut prices = prices();
    prices.insert(
        "gpt-5.1".into(),
        ModelPrice {
            text_input_per_mtok: 1_250_000,
            output_per_mtok: 10_000_000,
            ..ModelPrice::default()
        },
    );
    let config = BackendsConfig {
        chain: vec![responses(fake)],
        retry: retry(),
        prices,
        ..BackendsConfig::default()
    };
    build_chain(&config, &HashMap::new()).expect("chain builds")
}

/// The mainline model's tokens in every fake answer: 310 in, 42 out.
const TEXT_COST: u64 = (310 * 1_250_000 + 42 * 10_000_000_u64).div_ceil(1_000_000);

#[tokio::test]
async fn a_turn_streams_partials_and_costs_the_text_plus_the_image() {
    let fake = FakeOpenAi::start().await;
    let chain = conversation_chain(&fake);
    let (result, events) = run(&chain, &job(low(1))).await;
    let out = result.unwrap();
    assert_eq!(out.images[0].bytes, FakeOpenAi::turn_image(0));
    let ids = fake.issued_responses();
    assert_eq!(
        out.continuation,
        Some(Continuation::OpenaiResponse {
            backend: "conversation".into(),
            response_id: ids[0].clone(),
        })
    );
    let partials = events
        .iter()
        .filter(|e| matches!(e, BackendEvent::Partial { .. }))
        .count();
    assert_eq!(partials, 2);
    // No tool usage reported: the image model's low 1024x1024 price.
    assert_eq!(out.cost_micros, TEXT_COST + 11_000);
    // ... and no image usage to report (the mainline's text tokens are not it).
    assert_eq!(out.usage, None);

    let body = fake.requests()[0].json.clone().unwrap();
    assert_eq!(body["model"], "gpt-5.1");
    assert_eq!(body["stream"], true);
    assert_eq!(body["tool_choice"], json!({ "type": "image_generation" }));
    // The salted user hash, as OpenAI asks of apps serving end users.
    assert_eq!(body["safety_identifier"], "u-3f9a");
    let tool = &body["tools"][0];
    assert_eq!(tool["model"], "gpt-image-1.5");
    assert_eq!(tool["quality"], "low");
    assert_eq!(tool["size"], "1024x1024");
    assert_eq!(tool["partial_images"], 2);

    // Reported image tool tokens are priced at the image model's token rates.
    fake.set_image_tool_usage(Some(json!({
        "input_tokens": 60, "output_tokens": 4160, "total_tokens": 4220,
        "input_tokens_details": { "text_tokens": 10, "image_tokens": 50 }
    })));
    let (result, _) = run(&chain, &job(low(1))).await;
    let out = result.unwrap();
    assert_eq!(out.cost_micros, TEXT_COST + 10 * 5 + 50 * 10 + 4160 * 40);
    // The image tool's tokens are the call's usage.
    let usage = out.usage.expect("tool usage carried");
    assert_eq!(
        (usage.text_input, usage.image_input, usage.output),
        (10, 50, 4160)
    );
}

#[tokio::test]
async fn only_its_own_continuation_is_sent_and_a_forgotten_one_becomes_an_images_edit() {
    let fake = FakeOpenAi::start().await;
    let chain = conversation_chain(&fake);
    let mut refine = job(low(1));
    refine.inputs = vec![prepared(known_png(5), "image/png")];
    refine.continuation = Some(Continuation::OpenaiResponse {
        backend: "another".into(),
        response_id: "resp_of_another".into(),
    });
    let (result, _) = run(&chain, &refine).await;
    assert!(result.is_ok());
    let body = fake.requests()[0].json.clone().unwrap();
    assert!(
        body.get("previous_response_id").is_none(),
        "not ours to use"
    );
    assert_eq!(body["input"][0]["content"][1]["type"], "input_image");

    refine.continuation = Some(Continuation::OpenaiResponse {
        backend: "conversation".into(),
        response_id: "resp_expired".into(),
    });
    let (result, _) = run(&chain, &refine).await;
    let out = result.unwrap();
    let sent = fake.requests();
    assert_eq!(sent[1].path, "/v1/responses");
    assert_eq!(
        sent[1].json.as_ref().unwrap()["previous_response_id"],
        "resp_expired"
    );
    assert_eq!(
        sent[2].path, "/v1/images/edits",
        "the stored image is edited instead"
    );
    assert_eq!(sent[2].field("model").as_deref(), Some("gpt-image-1.5"));
    assert_eq!(sent.len(), 3, "no retry of the refused continuation");
    assert_eq!(out.images[0].bytes, FakeOpenAi::final_image(0));
    assert_eq!(out.backend, "conversation");
    assert_eq!(out.continuation, None);
    // The Images API's usage: 10 text, 50 image in, 4160 out.
    assert_eq!(out.cost_micros, 10 * 5 + 50 * 10 + 4160 * 40);
}

#[tokio::test]
async fn responses_errors_map_to_the_same_kinds_as_the_images_api() {
    let fake = FakeOpenAi::start().await;
    let chain = conversation_chain(&fake);
    fake.script([Reply::RateLimited {
        retry_after_ms: Some(1),
        retry_after_secs: None,
    }]);
    let (result, events) = run(&chain, &job(low(1))).await;
    assert!(result.is_ok(), "a 429 is retried");
    assert!(
        events
            .iter()
            .any(|e| matches!(e, BackendEvent::Retrying { attempt: 2, .. }))
    );

    fake.script([Reply::ModerationBlocked]);
    let (result, _) = run(&chain, &job(low(1))).await;
    assert!(matches!(result, Err(BackendError::Blocked { .. })));

    fake.script([Reply::StreamCut, Reply::StreamCut]);
    let (result, _) = run(&chain, &job(low(1))).await;
    assert!(
        matches!(result, Err(BackendError::BadResponse(_))),
        "a cut stream earns one retry, then fails"
    );
    let unauthorized = BackendConfig {
        api_key: Secret::new("sk-wrong-key-000"),
        ..responses(&fake)
    };
    let (result, _) = run(
        &chain_with(vec![unauthorized], retry(), BreakerConfig::default()),
        &job(low(1)),
    )
    .await;
    assert!(matches!(result, Err(BackendError::Unavailable(m)) if !m.contains("sk-")));
}

#[tokio::test]
async fn a_fallback_backend_edits_the_stored_image_instead_of_continuing() {
    let conversation = FakeOpenAi::start().await;
    let images = FakeOpenAi::start().await;
    let chain = chain(vec![responses(&conversation), openai(&images)]);
    let (first, _) = run(&chain, &job(low(1))).await;
    let mut refine = job(low(1));
    refine.inputs = vec![prepared(FakeOpenAi::turn_image(0), "image/png")];
    refine.continuation = first.unwrap().continuation;
    // Billing exhausted on the primary: another provider may still serve.
    conversation.script([Reply::InsufficientQuota]);
    let (result, _) = run(&chain, &refine).await;
    let out = result.unwrap();
    assert_eq!(out.backend, "openai");
    assert_eq!(
        out.continuation, None,
        "the Images API keeps no conversation"
    );
    let sent = images.requests();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].path, "/v1/images/edits");
    let inputs = sent[0].parts.iter().filter(|p| p.name == "image[]").count();
    assert_eq!(inputs, 1, "the stored image is the input");
    let asked = conversation.requests();
    assert_eq!(asked.len(), 2, "the fresh turn, then the continuation");
    assert_eq!(
        asked[1]
            .json
            .as_ref()
            .map(|j| j["previous_response_id"].clone()),
        Some(serde_json::Value::from(
            conversation.issued_responses()[0].clone()
        )),
        "the primary was asked to continue"
    );
}
