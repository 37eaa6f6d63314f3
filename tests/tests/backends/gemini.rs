//! Gemini: request parts, aspect ratio, n calls, block reasons, no-image answers.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use easel_gateway::backend::BackendError;
use easel_shared::render::{RenderOptions, Shape};
use easel_tests::fake_gemini::{FakeGemini, GeminiReply};
use easel_tests::fake_openai::known_png;

use super::*;

#[tokio::test]
async fn gemini_sends_text_and_inline_images_and_makes_n_calls() {
    let fake = FakeGemini::start().await;
    let chain = chain(vec![gemini(&fake)]);
    let mut j = job(RenderOptions {
        shape: Shape::Aspect { w: 16, h: 9 },
        n: 2,
        ..RenderOptions::default()
    });
    j.inputs = vec![
        prepared(known_png(1), "image/png"),
        prepared(Bytes::from_static(b"\xFF\xD8\xFF jpeg"), "image/jpeg"),
    ];
    let out = run(&chain, &j).await.0.unwrap();
    assert_eq!(out.images.len(), 2);
    for image in &out.images {
        assert_eq!(
            image.bytes,
            FakeGemini::final_image(),
            "the last image part is final"
        );
        assert_eq!(image.mime, "image/png");
    }
    // Two calls of 12 prompt + 1290 output tokens at $0.30 / $30 per million.
    assert_eq!(
        out.cost_micros,
        (24 * 300_000 + 2580 * 30_000_000u64).div_ceil(1_000_000)
    );

    let reqs = fake.requests();
    assert_eq!(reqs.len(), 2);
    let r = &reqs[0];
    assert_eq!(r.model, "gemini-2.5-flash-image");
    assert_eq!(
        r.headers["x-goog-api-key"],
        easel_tests::fake_gemini::API_KEY
    );
    let parts = &r.json["contents"][0]["parts"];
    assert_eq!(parts[0]["text"], "a lighthouse at dawn");
    assert_eq!(parts[1]["inline_data"]["mime_type"], "image/png");
    assert_eq!(
        parts[1]["inline_data"]["data"],
        STANDARD.encode(known_png(1))
    );
    assert_eq!(parts[2]["inline_data"]["mime_type"], "image/jpeg");
    let gen_cfg = &r.json["generationConfig"];
    assert_eq!(
        gen_cfg["responseModalities"],
        serde_json::json!(["TEXT", "IMAGE"])
    );
    assert_eq!(gen_cfg["imageConfig"]["aspectRatio"], "16:9");
}

#[tokio::test]
async fn gemini_block_reasons_are_blocked_without_retry() {
    let replies = [
        GeminiReply::PromptBlocked("PROHIBITED_CONTENT".into()),
        GeminiReply::Finish("IMAGE_SAFETY".into()),
        GeminiReply::Finish("IMAGE_PROHIBITED_CONTENT".into()),
        GeminiReply::Finish("SAFETY".into()),
    ];
    for reply in replies {
        let fake = FakeGemini::start().await;
        fake.script([reply.clone()]);
        let chain = chain(vec![gemini(&fake)]);
        let err = run(&chain, &job(low(1))).await.0.unwrap_err();
        let want = match &reply {
            GeminiReply::PromptBlocked(r) | GeminiReply::Finish(r) => r.clone(),
            _ => unreachable!(),
        };
        assert!(
            matches!(&err, BackendError::Blocked { reason } if reason.contains(&want)),
            "{reply:?}: {err:?}"
        );
        assert_eq!(fake.requests().len(), 1, "{reply:?}");
    }
}

#[tokio::test]
async fn gemini_text_only_or_no_image_is_retried_once_then_a_bad_response() {
    for reply in [
        GeminiReply::TextOnly,
        GeminiReply::Finish("NO_IMAGE".into()),
        GeminiReply::MalformedJson,
    ] {
        let fake = FakeGemini::start().await;
        fake.script([reply.clone(), reply.clone(), reply.clone()]);
        let chain = chain(vec![gemini(&fake)]);
        let err = run(&chain, &job(low(1))).await.0.unwrap_err();
        assert!(
            matches!(err, BackendError::BadResponse(_)),
            "{reply:?}: {err:?}"
        );
        assert_eq!(fake.requests().len(), 2, "{reply:?}");
    }
}

#[tokio::test]
async fn gemini_busy_then_success_and_bad_keys_unavailable() {
    let fake = FakeGemini::start().await;
    fake.script([GeminiReply::Status {
        code: 429,
        retry_after_secs: Some(0),
    }]);
    let busy = chain(vec![gemini(&fake)]);
    let out = run(&busy, &job(low(1))).await.0.unwrap();
    assert_eq!(out.images[0].bytes, FakeGemini::final_image());
    assert_eq!(fake.requests().len(), 2);

    for reply in [
        GeminiReply::BadKey,
        GeminiReply::Status {
            code: 403,
            retry_after_secs: None,
        },
    ] {
        let fake = FakeGemini::start().await;
        fake.script([reply.clone()]);
        let keyed = chain(vec![gemini(&fake)]);
        let err = run(&keyed, &job(low(1))).await.0.unwrap_err();
        assert!(
            matches!(err, BackendError::Unavailable(_)),
            "{reply:?}: {err:?}"
        );
        assert_eq!(fake.requests().len(), 1);
    }
}

#[tokio::test]
async fn gemini_delivers_the_images_made_before_a_later_call_fails() {
    let fake = FakeGemini::start().await;
    fake.script([GeminiReply::Ok, GeminiReply::Finish("IMAGE_SAFETY".into())]);
    let chain = chain(vec![gemini(&fake)]);
    let out = run(&chain, &job(low(3))).await.0.unwrap();
    assert_eq!(out.images.len(), 1, "charged per image delivered");
    assert_eq!(fake.requests().len(), 2, "no call after the failure");
}

/// A blocked prompt is still billed for the tokens Gemini reports, so the
/// day's spend counts it (7 prompt tokens at $0.30 per million, rounded up).
#[tokio::test]
async fn a_blocked_prompt_still_counts_the_tokens_gemini_reports() {
    let fake = FakeGemini::start().await;
    fake.script([GeminiReply::PromptBlocked("SAFETY".into())]);
    let chain = chain(vec![gemini(&fake)]);
    let (tx, _rx) = mpsc::channel(8);
    let billed = chain.generate_billed(&job(low(1)), &tx).await;
    assert!(
        matches!(billed.result, Err(BackendError::Blocked { .. })),
        "{:?}",
        billed.result
    );
    assert_eq!(billed.cost_micros, (7 * 300_000_u64).div_ceil(1_000_000));
    assert_eq!(fake.requests().len(), 1, "a block is final");
}
