//! The fake Gemini API: what it refuses and how Google says so.

use easel_tests::fake_gemini::{API_KEY, FakeGemini, GeminiReply};
use serde_json::{Value, json};

use super::send;

async fn generate(fake: &FakeGemini, key: Option<&str>, body: String) -> (u16, Value) {
    generate_on(fake, "gemini-3.1-flash-image", key, body).await
}

async fn generate_on(
    fake: &FakeGemini,
    model: &str,
    key: Option<&str>,
    body: String,
) -> (u16, Value) {
    let mut req = reqwest::Client::new()
        .post(format!(
            "{}/v1beta/models/{model}:generateContent",
            fake.base_url()
        ))
        .header("content-type", "application/json")
        .body(body);
    if let Some(key) = key {
        req = req.header("x-goog-api-key", key);
    }
    send(req).await
}

fn body(ratio: Option<&str>) -> Value {
    let mut b = json!({
        "contents": [{ "role": "user", "parts": [{ "text": "a lighthouse" }] }],
        "generationConfig": { "responseModalities": ["TEXT", "IMAGE"] },
    });
    if let Some(r) = ratio {
        b["generationConfig"]["imageConfig"] = json!({ "aspectRatio": r });
    }
    b
}

/// Asserts Google's error shape with this HTTP code and `error.status`.
fn refused(answer: &(u16, Value), code: u16, status: &str, case: &str) {
    assert_eq!(answer.0, code, "{case}: {}", answer.1);
    assert_eq!(answer.1["error"]["code"], code, "{case}");
    assert_eq!(answer.1["error"]["status"], status, "{case}");
    assert!(
        answer.1["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty())
    );
}

#[tokio::test]
async fn a_missing_key_is_permission_denied_and_a_wrong_one_api_key_invalid() {
    let fake = FakeGemini::start().await;
    let ok = body(None).to_string();
    refused(
        &generate(&fake, None, ok.clone()).await,
        403,
        "PERMISSION_DENIED",
        "no key",
    );
    let wrong = generate(&fake, Some("AIza-wrong"), ok.clone()).await;
    refused(&wrong, 400, "INVALID_ARGUMENT", "wrong key");
    assert_eq!(wrong.1["error"]["details"][0]["reason"], "API_KEY_INVALID");
    assert_eq!(generate(&fake, Some(API_KEY), ok).await.0, 200);
}

#[tokio::test]
async fn contents_are_required_and_only_offered_aspect_ratios_pass() {
    let fake = FakeGemini::start().await;
    // Refused requests do not use up the script.
    fake.script([GeminiReply::TextOnly]);
    let cases = [
        ("{\"contents\": [".to_owned(), "not JSON"),
        (json!({ "generationConfig": {} }).to_string(), "no contents"),
        (json!({ "contents": [] }).to_string(), "empty contents"),
        (
            json!({ "contents": [{ "role": "user", "parts": [] }] }).to_string(),
            "empty parts",
        ),
        (body(Some("7:3")).to_string(), "unknown ratio"),
        (body(Some("16:10")).to_string(), "unknown ratio"),
    ];
    for (b, case) in cases {
        refused(
            &generate(&fake, Some(API_KEY), b).await,
            400,
            "INVALID_ARGUMENT",
            case,
        );
    }
    let (status, answer) = generate(&fake, Some(API_KEY), body(Some("4:5")).to_string()).await;
    assert_eq!(status, 200);
    assert!(
        answer["candidates"][0]["content"]["parts"][0]["text"]
            .as_str()
            .is_some_and(|t| t.contains("describe")),
        "the scripted reply was still next: {answer}"
    );
    for ratio in [
        "1:1", "2:3", "3:2", "3:4", "4:3", "5:4", "9:16", "16:9", "21:9",
    ] {
        let answer = generate(&fake, Some(API_KEY), body(Some(ratio)).to_string()).await;
        assert_eq!(answer.0, 200, "{ratio}");
    }
}

#[tokio::test]
async fn image_sizes_and_wide_ratios_are_per_model() {
    let fake = FakeGemini::start().await;
    let with = |ratio: &str, size: &str| {
        let mut b = body(Some(ratio));
        b["generationConfig"]["imageConfig"]["imageSize"] = json!(size);
        b.to_string()
    };
    for (model, ratio, size, ok) in [
        ("gemini-3-pro-image", "16:9", "4K", true),
        ("gemini-3-pro-image", "16:9", "4k", false),
        ("gemini-3-pro-image", "16:9", "512", false),
        ("gemini-3-pro-image", "4:1", "1K", false),
        ("gemini-3.1-flash-image", "8:1", "512", true),
        ("gemini-3.1-flash-image", "1:1", "8K", false),
    ] {
        let answer = generate_on(&fake, model, Some(API_KEY), with(ratio, size)).await;
        let case = format!("{model} {ratio} {size}");
        if ok {
            assert_eq!(answer.0, 200, "{case}: {}", answer.1);
        } else {
            refused(&answer, 400, "INVALID_ARGUMENT", &case);
        }
    }
}

#[tokio::test]
async fn a_follow_up_must_echo_each_signature_on_its_own_content() {
    let fake = FakeGemini::start().await;
    let first = body(None);
    let (status, answer) = generate(&fake, Some(API_KEY), first.to_string()).await;
    assert_eq!(status, 200);
    let parts = answer["candidates"][0]["content"]["parts"]
        .as_array()
        .unwrap();
    // The model turn as a client resends it: thoughts left out, signatures kept.
    let model: Vec<Value> = parts
        .iter()
        .filter(|p| p.get("thought").is_none())
        .cloned()
        .collect();
    assert_eq!(model.len(), 2, "a signed text and the signed final image");
    assert!(model.iter().all(|p| p["thoughtSignature"].is_string()));
    let follow_up = |model_parts: Vec<Value>| {
        json!({ "contents": [
            first["contents"][0],
            { "role": "model", "parts": model_parts },
            { "role": "user", "parts": [{ "text": "make it night" }] },
        ]})
        .to_string()
    };
    assert_eq!(
        generate(&fake, Some(API_KEY), follow_up(model.clone()))
            .await
            .0,
        200
    );
    let mut no_image_signature = model.clone();
    no_image_signature[1]
        .as_object_mut()
        .unwrap()
        .remove("thoughtSignature");
    let mut no_text_signature = model.clone();
    no_text_signature[0]
        .as_object_mut()
        .unwrap()
        .remove("thoughtSignature");
    let mut other_image = model.clone();
    other_image[1]["inlineData"]["data"] = json!("aGk=");
    let mut made_up = model.clone();
    made_up[0]["thoughtSignature"] = json!("bm90IGlzc3VlZA==");
    for (parts, case) in [
        (no_image_signature, "image without its signature"),
        (no_text_signature, "first part without its signature"),
        (other_image, "a signature on other bytes"),
        (made_up, "a signature never issued"),
    ] {
        let answer = generate(&fake, Some(API_KEY), follow_up(parts)).await;
        refused(&answer, 400, "INVALID_ARGUMENT", case);
        assert!(
            answer.1["error"]["message"]
                .as_str()
                .is_some_and(|m| m.contains("signature")),
            "{case}: {}",
            answer.1
        );
    }
}
