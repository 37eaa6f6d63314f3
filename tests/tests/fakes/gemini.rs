//! The fake Gemini API: what it refuses and how Google says so.

use easel_tests::fake_gemini::{API_KEY, FakeGemini, GeminiReply};
use serde_json::{Value, json};

use super::send;

async fn generate(fake: &FakeGemini, key: Option<&str>, body: String) -> (u16, Value) {
    let mut req = reqwest::Client::new()
        .post(format!(
            "{}/v1beta/models/gemini-3.1-flash-image:generateContent",
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
