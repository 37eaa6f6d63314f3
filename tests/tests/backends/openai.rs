//! OpenAI wire format: generation fields, edit multipart parts, streaming,
//! URL downloads, byte identity of originals and cost.

use bytes::Bytes;
use easel_gateway::backend::{BackendError, BackendEvent};
use easel_shared::render::{Background, OutputFormat, Quality, RenderOptions, Shape, Tuning};
use easel_tests::fake_openai::{FakeOpenAi, Style, known_png};

use super::*;

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
        tuning: Tuning::default(),
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
    let usage = out.usage.expect("the provider's usage is carried");
    assert_eq!(
        (usage.text_input, usage.image_input, usage.output),
        (10, 50, 4160)
    );

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
        tuning: Tuning::default(),
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
