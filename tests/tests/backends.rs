//! The image backends and their reliability layer, driven through the real
//! backend code against the fake OpenAI and Gemini servers by base URL: every
//! row of the fault table, the wire format of requests, streaming, byte
//! identity of originals, cost, and that API keys never reach logs.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use easel_gateway::backend::breaker::BreakerState;
use easel_gateway::backend::{
    BackendChain, BackendError, BackendEvent, BackendOutput, ImageBackend, ImageJob, build_chain,
};
use easel_gateway::imaging::PreparedImage;
use easel_shared::config::{
    BackendConfig, BackendKind, BackendsConfig, BreakerConfig, ModelPrice, RetryConfig, Secret,
};
use easel_shared::render::{Background, OutputFormat, Quality, RenderOptions, Shape};
use easel_tests::fake_gemini::{FakeGemini, GeminiReply};
use easel_tests::fake_openai::{FakeOpenAi, Reply, Style, known_png};
use tokio::sync::mpsc;

const KEY: &str = "sk-test-SECRET-4f2a9c17";

fn openai(fake: &FakeOpenAi) -> BackendConfig {
    BackendConfig {
        name: "openai".into(),
        kind: BackendKind::OpenAi,
        base_url: fake.base_url(),
        api_key: Secret::new(KEY),
        model: "gpt-image-1.5".into(),
        organization: Some("org-test".into()),
        project: Some("proj-test".into()),
        request_timeout: Duration::from_secs(20),
        ..BackendConfig::default()
    }
}

fn gemini(fake: &FakeGemini) -> BackendConfig {
    BackendConfig {
        name: "gemini".into(),
        kind: BackendKind::Gemini,
        base_url: fake.base_url(),
        api_key: Secret::new(KEY),
        model: "gemini-2.5-flash-image".into(),
        max_inputs: 3,
        request_timeout: Duration::from_secs(20),
        ..BackendConfig::default()
    }
}

/// Tiny delays so retry tests take milliseconds.
fn retry() -> RetryConfig {
    RetryConfig {
        max_attempts: 3,
        base: Duration::from_millis(1),
        cap: Duration::from_millis(20),
        max_total_wait: Duration::from_secs(1),
        attempt_timeout: Duration::from_secs(20),
    }
}

fn prices() -> BTreeMap<String, ModelPrice> {
    let per_image = BTreeMap::from([(
        Quality::Low,
        BTreeMap::from([("1024x1024".into(), 11_000), ("1536x1024".into(), 16_000)]),
    )]);
    BTreeMap::from([
        (
            "gpt-image-1.5".into(),
            ModelPrice {
                text_input_per_mtok: 5_000_000,
                image_input_per_mtok: 10_000_000,
                output_per_mtok: 40_000_000,
                per_image: per_image.clone(),
                default_per_image: 0,
            },
        ),
        (
            "gemini-2.5-flash-image".into(),
            ModelPrice {
                text_input_per_mtok: 300_000,
                output_per_mtok: 30_000_000,
                default_per_image: 39_000,
                ..ModelPrice::default()
            },
        ),
        (
            "priced-per-image".into(),
            ModelPrice {
                per_image,
                ..ModelPrice::default()
            },
        ),
    ])
}

fn chain_with(
    backends: Vec<BackendConfig>,
    retry: RetryConfig,
    breaker: BreakerConfig,
) -> BackendChain {
    build_chain(&BackendsConfig {
        chain: backends,
        retry,
        breaker,
        prices: prices(),
    })
    .expect("chain builds")
}

fn chain(backends: Vec<BackendConfig>) -> BackendChain {
    chain_with(backends, retry(), BreakerConfig::default())
}

fn job(options: RenderOptions) -> ImageJob {
    ImageJob {
        prompt: "a lighthouse at dawn".into(),
        options,
        inputs: Vec::new(),
        mask: None,
        user_tag: "u-3f9a".into(),
    }
}

fn low(n: u8) -> RenderOptions {
    RenderOptions {
        quality: Quality::Low,
        shape: Shape::Aspect { w: 1, h: 1 },
        n,
        ..RenderOptions::default()
    }
}

async fn run(
    backend: &dyn ImageBackend,
    job: &ImageJob,
) -> (Result<BackendOutput, BackendError>, Vec<BackendEvent>) {
    let (tx, mut rx) = mpsc::channel(64);
    let result = backend.generate(job, &tx).await;
    let mut events = Vec::new();
    while let Ok(e) = rx.try_recv() {
        events.push(e);
    }
    (result, events)
}

fn prepared(bytes: Bytes, mime: &'static str) -> PreparedImage {
    PreparedImage {
        bytes,
        mime,
        width: 8,
        height: 8,
    }
}

// ---- OpenAI: wire format, bytes, cost ----

#[tokio::test]
async fn openai_generation_sends_the_mapped_fields_and_returns_the_providers_bytes() {
    let fake = FakeOpenAi::start().await;
    let mut cfg = openai(&fake);
    cfg.moderation = Some("low".into());
    let chain = chain(vec![cfg]);
    let options = RenderOptions {
        shape: Shape::Aspect { w: 16, h: 9 },
        quality: Quality::Low,
        background: Background::Transparent,
        format: OutputFormat::Jpeg,
        n: 1,
    };
    let (result, _) = run(&chain, &job(options)).await;
    let out = result.unwrap();
    assert_eq!(out.backend, "openai");
    assert_eq!(out.images.len(), 1);
    assert_eq!(
        out.images[0].bytes,
        FakeOpenAi::final_image(0),
        "original bytes untouched"
    );
    assert_eq!(out.images[0].mime, "image/png");
    // usage: 10 text, 50 image in, 4160 out at 5 / 10 / 40 dollars per million.
    assert_eq!(out.cost_micros, 10 * 5 + 50 * 10 + 4160 * 40);

    let reqs = fake.requests();
    assert_eq!(reqs.len(), 1);
    let r = &reqs[0];
    assert_eq!(r.path, "/v1/images/generations");
    assert_eq!(r.headers["authorization"], format!("Bearer {KEY}"));
    assert_eq!(r.headers["openai-organization"], "org-test");
    assert_eq!(r.headers["openai-project"], "proj-test");
    let body = r.json.as_ref().unwrap();
    assert_eq!(body["model"], "gpt-image-1.5");
    assert_eq!(body["prompt"], "a lighthouse at dawn");
    assert_eq!(body["n"], 1);
    assert_eq!(body["size"], "1536x1024");
    assert_eq!(body["quality"], "low");
    assert_eq!(body["background"], "transparent");
    assert_eq!(
        body["output_format"], "png",
        "transparent forces an alpha format"
    );
    assert_eq!(body["moderation"], "low");
    assert_eq!(body["user"], "u-3f9a");
    assert!(body.get("stream").is_none());
}

#[tokio::test]
async fn openai_images_by_url_are_downloaded_byte_identical_and_priced_per_image() {
    let fake = FakeOpenAi::start().await;
    fake.set_style(Style {
        by_url: true,
        usage: None,
        ..Style::default()
    });
    let chain = chain(vec![openai(&fake)]);
    let out = run(&chain, &job(low(2))).await.0.unwrap();
    let bytes: Vec<Bytes> = out.images.iter().map(|i| i.bytes.clone()).collect();
    assert_eq!(
        bytes,
        vec![FakeOpenAi::final_image(0), FakeOpenAi::final_image(1)]
    );
    assert_eq!(out.cost_micros, 2 * 11_000);
}

#[tokio::test]
async fn openai_url_download_over_the_cap_is_a_bad_response() {
    let fake = FakeOpenAi::start().await;
    fake.set_style(Style {
        by_url: true,
        ..Style::default()
    });
    let mut cfg = openai(&fake);
    cfg.download_max_bytes = 16;
    let chain = chain(vec![cfg]);
    let err = run(&chain, &job(low(1))).await.0.unwrap_err();
    assert!(
        matches!(err, BackendError::BadResponse(ref m) if m.contains("larger")),
        "{err:?}"
    );
}

#[tokio::test]
async fn openai_edit_sends_three_images_and_a_mask_as_multipart_parts() {
    let fake = FakeOpenAi::start().await;
    let mut cfg = openai(&fake);
    cfg.input_fidelity = Some("high".into());
    let chain = chain(vec![cfg]);
    let inputs = vec![
        prepared(known_png(1), "image/png"),
        prepared(
            Bytes::from_static(b"\xFF\xD8\xFF\xE0 jpeg bytes"),
            "image/jpeg",
        ),
        prepared(
            Bytes::from_static(b"RIFF\0\0\0\0WEBPVP8 webp"),
            "image/webp",
        ),
    ];
    let mask = prepared(known_png(9), "image/png");
    let mut j = job(RenderOptions {
        shape: Shape::Aspect { w: 2, h: 3 },
        quality: Quality::High,
        background: Background::Opaque,
        format: OutputFormat::Webp,
        n: 2,
    });
    j.inputs = inputs.clone();
    j.mask = Some(mask.clone());
    let out = run(&chain, &j).await.0.unwrap();
    assert_eq!(out.images.len(), 2);

    let reqs = fake.requests();
    assert_eq!(reqs.len(), 1);
    let r = &reqs[0];
    assert_eq!(r.path, "/v1/images/edits");
    assert!(r.headers["content-type"].starts_with("multipart/form-data; boundary="));
    let images: Vec<_> = r.parts.iter().filter(|p| p.name == "image[]").collect();
    assert_eq!(images.len(), 3);
    for (part, input) in images.iter().zip(&inputs) {
        assert_eq!(part.bytes, input.bytes);
        assert_eq!(part.content_type.as_deref(), Some(input.mime));
        assert!(part.filename.is_some());
    }
    let names: Vec<&str> = r.parts.iter().map(|p| p.name.as_str()).collect();
    let first_image = names.iter().position(|n| *n == "image[]").unwrap();
    let mask_at = names.iter().position(|n| *n == "mask").unwrap();
    assert!(
        mask_at > first_image + 2,
        "mask after the images: {names:?}"
    );
    let mask_part = &r.parts[mask_at];
    assert_eq!(mask_part.bytes, mask.bytes);
    assert_eq!(mask_part.content_type.as_deref(), Some("image/png"));
    for (field, want) in [
        ("model", "gpt-image-1.5"),
        ("prompt", "a lighthouse at dawn"),
        ("size", "1024x1536"),
        ("quality", "high"),
        ("n", "2"),
        ("background", "opaque"),
        ("output_format", "webp"),
        ("user", "u-3f9a"),
        ("input_fidelity", "high"),
    ] {
        assert_eq!(r.field(field).as_deref(), Some(want), "field {field}");
    }
    assert_eq!(r.field("moderation"), None);
}

#[tokio::test]
async fn openai_input_fidelity_is_not_sent_to_gpt_image_1_mini() {
    let fake = FakeOpenAi::start().await;
    let mut cfg = openai(&fake);
    cfg.model = "gpt-image-1-mini".into();
    cfg.input_fidelity = Some("high".into());
    let chain = chain(vec![cfg]);
    let mut j = job(low(1));
    j.inputs = vec![prepared(known_png(1), "image/png")];
    run(&chain, &j).await.0.unwrap();
    let r = &fake.requests()[0];
    assert_eq!(r.field("model").as_deref(), Some("gpt-image-1-mini"));
    assert_eq!(r.field("input_fidelity"), None);
}

#[tokio::test]
async fn openai_stream_delivers_partials_as_events_before_the_final_image() {
    let fake = FakeOpenAi::start().await;
    let mut cfg = openai(&fake);
    cfg.partial_images = 2;
    let chain = chain(vec![cfg]);
    let (result, events) = run(&chain, &job(low(1))).await;
    let out = result.unwrap();
    assert_eq!(out.images[0].bytes, FakeOpenAi::final_image(0));
    assert_eq!(
        out.cost_micros,
        10 * 5 + 50 * 10 + 4160 * 40,
        "usage from the completed event"
    );
    let previews: Vec<Bytes> = events
        .iter()
        .filter_map(|e| match e {
            BackendEvent::Partial { image: 0, preview } => Some(preview.bytes.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(
        previews,
        vec![FakeOpenAi::partial_image(0), FakeOpenAi::partial_image(1)]
    );
    let body = fake.requests()[0].json.clone().unwrap();
    assert_eq!(body["stream"], true);
    assert_eq!(body["partial_images"], 2);
}

#[tokio::test]
async fn openai_stream_with_the_final_image_first_drops_late_partials() {
    let fake = FakeOpenAi::start().await;
    fake.set_style(Style {
        final_first: true,
        ..Style::default()
    });
    let mut cfg = openai(&fake);
    cfg.partial_images = 2;
    let chain = chain(vec![cfg]);
    let (result, events) = run(&chain, &job(low(1))).await;
    assert_eq!(result.unwrap().images[0].bytes, FakeOpenAi::final_image(0));
    assert!(
        events
            .iter()
            .all(|e| !matches!(e, BackendEvent::Partial { .. })),
        "{events:?}"
    );
}

// ---- the fault table ----

#[tokio::test]
async fn busy_then_success_returns_the_image_after_retries() {
    let fake = FakeOpenAi::start().await;
    fake.script([
        Reply::RateLimited {
            retry_after_ms: Some(2),
            retry_after_secs: None,
        },
        Reply::Status(503),
    ]);
    let chain = chain(vec![openai(&fake)]);
    let (result, events) = run(&chain, &job(low(1))).await;
    assert_eq!(result.unwrap().images[0].bytes, FakeOpenAi::final_image(0));
    assert_eq!(fake.requests().len(), 3);
    let retries: Vec<u32> = events
        .iter()
        .filter_map(|e| match e {
            BackendEvent::Retrying { attempt, .. } => Some(*attempt),
            _ => None,
        })
        .collect();
    assert_eq!(retries, vec![2, 3]);
}

#[tokio::test]
async fn busy_until_retries_run_out_is_busy_with_a_retry_hint() {
    let fake = FakeOpenAi::start().await;
    fake.script([Reply::Status(500), Reply::Status(502), Reply::Status(503)]);
    let chain = chain(vec![openai(&fake)]);
    let err = run(&chain, &job(low(1))).await.0.unwrap_err();
    assert!(
        matches!(
            err,
            BackendError::Busy {
                status: 503,
                retry_after: Some(_)
            }
        ),
        "{err:?}"
    );
    assert_eq!(fake.requests().len(), 3);
}

#[tokio::test]
async fn a_retry_after_beyond_the_budget_ends_retries_and_is_passed_on() {
    let fake = FakeOpenAi::start().await;
    fake.script([Reply::RateLimited {
        retry_after_ms: None,
        retry_after_secs: Some(120),
    }]);
    let chain = chain(vec![openai(&fake)]);
    let err = run(&chain, &job(low(1))).await.0.unwrap_err();
    assert_eq!(
        err,
        BackendError::Busy {
            status: 429,
            retry_after: Some(Duration::from_secs(120))
        }
    );
    assert_eq!(fake.requests().len(), 1);
}

#[tokio::test]
async fn insufficient_quota_and_401_are_unavailable_without_retry() {
    for reply in [Reply::InsufficientQuota, Reply::Unauthorized] {
        let fake = FakeOpenAi::start().await;
        fake.script([reply.clone()]);
        let chain = chain(vec![openai(&fake)]);
        let err = run(&chain, &job(low(1))).await.0.unwrap_err();
        assert!(
            matches!(err, BackendError::Unavailable(_)),
            "{reply:?}: {err:?}"
        );
        assert_eq!(fake.requests().len(), 1, "{reply:?}");
    }
}

#[tokio::test]
async fn moderation_blocked_is_blocked_with_the_reason_and_never_retried() {
    let fake = FakeOpenAi::start().await;
    fake.script([Reply::ModerationBlocked]);
    let chain = chain(vec![openai(&fake)]);
    let err = run(&chain, &job(low(1))).await.0.unwrap_err();
    assert!(
        matches!(&err, BackendError::Blocked { reason } if reason.contains("safety_violations=[sexual]")),
        "{err:?}"
    );
    assert_eq!(fake.requests().len(), 1);
}

#[tokio::test]
async fn malformed_json_is_retried_once_then_a_bad_response() {
    let fake = FakeOpenAi::start().await;
    fake.script([
        Reply::MalformedJson,
        Reply::MalformedJson,
        Reply::MalformedJson,
    ]);
    let chain = chain(vec![openai(&fake)]);
    let err = run(&chain, &job(low(1))).await.0.unwrap_err();
    assert!(matches!(err, BackendError::BadResponse(_)), "{err:?}");
    assert_eq!(fake.requests().len(), 2);
}

#[tokio::test]
async fn a_stream_cut_before_the_final_image_is_retried_once_then_a_bad_response() {
    let fake = FakeOpenAi::start().await;
    fake.script([Reply::StreamCut, Reply::StreamCut, Reply::StreamCut]);
    let mut cfg = openai(&fake);
    cfg.partial_images = 1;
    let chain = chain(vec![cfg]);
    let err = run(&chain, &job(low(1))).await.0.unwrap_err();
    assert!(
        matches!(err, BackendError::BadResponse(ref m) if m.contains("stream")),
        "{err:?}"
    );
    assert_eq!(fake.requests().len(), 2);
}

#[tokio::test]
async fn a_cut_stream_then_a_good_one_delivers_the_image() {
    let fake = FakeOpenAi::start().await;
    fake.script([Reply::StreamCut]);
    let mut cfg = openai(&fake);
    cfg.partial_images = 1;
    let chain = chain(vec![cfg]);
    let out = run(&chain, &job(low(1))).await.0.unwrap();
    assert_eq!(out.images[0].bytes, FakeOpenAi::final_image(0));
    assert_eq!(fake.requests().len(), 2);
}

#[tokio::test]
async fn four_asked_three_returned_gives_three_images_priced_as_three() {
    let fake = FakeOpenAi::start().await;
    fake.set_style(Style {
        usage: None,
        ..Style::default()
    });
    fake.script([Reply::FewerImages(3)]);
    let chain = chain(vec![openai(&fake)]);
    let out = run(&chain, &job(low(4))).await.0.unwrap();
    assert_eq!(out.images.len(), 3);
    assert_eq!(out.cost_micros, 3 * 11_000);
    assert_eq!(fake.requests().len(), 1);
}

#[tokio::test]
async fn a_slow_upstream_times_out() {
    let fake = FakeOpenAi::start().await;
    fake.script([Reply::Slow(Duration::from_secs(60))]);
    let mut r = retry();
    r.attempt_timeout = Duration::from_millis(200);
    let chain = chain_with(vec![openai(&fake)], r, BreakerConfig::default());
    let err = run(&chain, &job(low(1))).await.0.unwrap_err();
    assert_eq!(err, BackendError::Timeout(Duration::from_millis(200)));
    assert_eq!(fake.requests().len(), 1, "a timeout is final");
}

#[tokio::test]
async fn the_http_client_timeout_is_a_timeout_too() {
    let fake = FakeOpenAi::start().await;
    fake.script([Reply::Slow(Duration::from_secs(60))]);
    let mut cfg = openai(&fake);
    cfg.request_timeout = Duration::from_millis(200);
    let chain = chain(vec![cfg]);
    let err = run(&chain, &job(low(1))).await.0.unwrap_err();
    assert!(matches!(err, BackendError::Timeout(_)), "{err:?}");
}

#[tokio::test]
async fn an_open_breaker_sends_jobs_to_the_next_backend() {
    let primary = FakeOpenAi::start().await;
    let secondary = FakeGemini::start().await;
    primary.script([Reply::Status(500)]);
    let mut r = retry();
    r.max_attempts = 1;
    let breaker = BreakerConfig {
        failures: 1,
        cool_down: Duration::from_secs(3600),
    };
    let chain = chain_with(vec![openai(&primary), gemini(&secondary)], r, breaker);
    let first = run(&chain, &job(low(1))).await.0.unwrap_err();
    assert!(
        matches!(first, BackendError::Busy { status: 500, .. }),
        "{first:?}"
    );
    assert_eq!(chain.breaker_state("openai"), Some(BreakerState::Open));

    let out = run(&chain, &job(low(1))).await.0.unwrap();
    assert_eq!(out.backend, "gemini");
    assert_eq!(out.images[0].bytes, FakeGemini::final_image());
    assert_eq!(
        primary.requests().len(),
        1,
        "the open breaker kept calls away"
    );
    assert_eq!(secondary.requests().len(), 1);
}

#[tokio::test]
async fn an_unavailable_primary_falls_back_to_the_next_backend() {
    let primary = FakeOpenAi::start().await;
    let secondary = FakeGemini::start().await;
    primary.script([Reply::InsufficientQuota]);
    let chain = chain(vec![openai(&primary), gemini(&secondary)]);
    let out = run(&chain, &job(low(1))).await.0.unwrap();
    assert_eq!(out.backend, "gemini");
    assert_eq!(primary.requests().len(), 1);
}

// ---- Gemini ----

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
    assert_eq!(r.headers["x-goog-api-key"], KEY);
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

// ---- secrets ----

/// A `MakeWriter` target: everything logged lands in this buffer.
#[derive(Clone, Default)]
struct LogBuffer(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for LogBuffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn the_api_key_never_reaches_logs_or_errors() {
    let logs = LogBuffer::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let openai_fake = FakeOpenAi::start().await;
    openai_fake.script([
        Reply::Unauthorized,
        Reply::ModerationBlocked,
        Reply::Status(500),
        Reply::Status(500),
        Reply::Status(500),
        Reply::MalformedJson,
        Reply::MalformedJson,
        Reply::InsufficientQuota,
    ]);
    let gemini_fake = FakeGemini::start().await;
    gemini_fake.script([
        GeminiReply::BadKey,
        GeminiReply::PromptBlocked("SAFETY".into()),
    ]);
    // A breaker that never opens, so every scripted fault reaches the fake.
    let breaker = BreakerConfig {
        failures: 100,
        ..BreakerConfig::default()
    };
    let openai_chain = chain_with(vec![openai(&openai_fake)], retry(), breaker.clone());
    let gemini_chain = chain_with(vec![gemini(&gemini_fake)], retry(), breaker);
    let mut errors = Vec::new();
    for _ in 0..5 {
        errors.push(run(&openai_chain, &job(low(1))).await.0.unwrap_err());
    }
    for _ in 0..2 {
        errors.push(run(&gemini_chain, &job(low(1))).await.0.unwrap_err());
    }
    assert_eq!(
        openai_fake.requests().len(),
        8,
        "every scripted fault was served"
    );
    assert!(
        openai_fake.requests()[0].headers["authorization"].contains(KEY),
        "the key was really sent"
    );

    let logged = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    assert!(
        logged.contains("backend unavailable"),
        "logs were captured: {logged}"
    );
    assert!(!logged.contains(KEY), "key in logs:\n{logged}");
    assert!(!logged.contains("SECRET"), "part of the key in logs");
    for err in &errors {
        let shown = format!("{err} {err:?}");
        assert!(!shown.contains("SECRET"), "key in error: {shown}");
    }
    let config_dump = format!("{:?}", openai(&openai_fake));
    assert!(!config_dump.contains("SECRET"));
}
