//! The fake OpenAI Images API: what it refuses and how it says so.

use easel_tests::fake_openai::{API_KEY, FakeOpenAi, Reply};
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

use super::send;

fn generations(fake: &FakeOpenAi) -> String {
    format!("{}/images/generations", fake.base_url())
}

async fn generate(fake: &FakeOpenAi, body: Value) -> (u16, Value) {
    let req = reqwest::Client::new()
        .post(generations(fake))
        .bearer_auth(API_KEY)
        .json(&body);
    send(req).await
}

/// An edit with `images` PNG parts and these text fields.
async fn edit(fake: &FakeOpenAi, fields: &[(&str, &str)], images: usize) -> (u16, Value) {
    let mut form = Form::new();
    for (k, v) in fields {
        form = form.text(k.to_string(), v.to_string());
    }
    for i in 0..images {
        let part = Part::bytes(easel_tests::fake_openai::known_png(1).to_vec())
            .file_name(format!("in-{i}.png"))
            .mime_str("image/png")
            .unwrap();
        form = form.part("image[]", part);
    }
    let req = reqwest::Client::new()
        .post(format!("{}/images/edits", fake.base_url()))
        .bearer_auth(API_KEY)
        .multipart(form);
    send(req).await
}

/// Asserts a 400 whose `param` and `code` are these.
fn refused(answer: &(u16, Value), param: &str, code: &str, case: &str) {
    assert_eq!(answer.0, 400, "{case}: {}", answer.1);
    let error = &answer.1["error"];
    assert_eq!(error["type"], "invalid_request_error", "{case}");
    assert_eq!(error["param"], param, "{case}: {error}");
    assert_eq!(error["code"], code, "{case}: {error}");
    assert!(
        error["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{case}"
    );
}

fn base() -> Value {
    json!({ "model": "gpt-image-1.5", "prompt": "a fox" })
}

fn with(changes: Value) -> Value {
    let mut body = base();
    for (k, v) in changes.as_object().unwrap() {
        if v.is_null() {
            body.as_object_mut().unwrap().remove(k);
        } else {
            body[k] = v.clone();
        }
    }
    body
}

#[tokio::test]
async fn a_missing_or_wrong_key_is_a_401_in_openai_shape() {
    let fake = FakeOpenAi::start().await;
    let client = reqwest::Client::new();
    let (status, body) = send(client.post(generations(&fake)).json(&base())).await;
    assert_eq!(status, 401);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("didn't provide an API key")
    );

    let wrong = "sk-wrong-key-0123456789";
    let (status, body) = send(
        client
            .post(generations(&fake))
            .bearer_auth(wrong)
            .json(&base()),
    )
    .await;
    assert_eq!(status, 401);
    assert_eq!(body["error"]["code"], "invalid_api_key");
    assert_eq!(body["error"]["param"], Value::Null);
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.starts_with("Incorrect API key provided: sk-"),
        "{message}"
    );
    assert!(
        !message.contains(wrong),
        "a wrong key is quoted masked: {message}"
    );

    let (status, _) = generate(&fake, base()).await;
    assert_eq!(status, 200, "the right key works");
}

#[tokio::test]
async fn generations_refuse_missing_mistyped_and_out_of_range_fields_naming_them() {
    let fake = FakeOpenAi::start().await;
    let cases = [
        (
            json!({ "model": null }),
            "model",
            "missing_required_parameter",
        ),
        (
            json!({ "prompt": null }),
            "prompt",
            "missing_required_parameter",
        ),
        (json!({ "model": 15 }), "model", "invalid_type"),
        (json!({ "prompt": "" }), "prompt", "empty_string"),
        (
            json!({ "prompt": "x".repeat(32_001) }),
            "prompt",
            "string_above_max_length",
        ),
        (json!({ "n": 0 }), "n", "integer_below_min_value"),
        (json!({ "n": 11 }), "n", "integer_above_max_value"),
        (json!({ "n": "2" }), "n", "invalid_type"),
        (json!({ "size": "512x512" }), "size", "invalid_value"),
        (json!({ "size": "1536x864" }), "size", "invalid_value"),
        (json!({ "quality": "ultra" }), "quality", "invalid_value"),
        (
            json!({ "background": "clear" }),
            "background",
            "invalid_value",
        ),
        (
            json!({ "output_format": "gif" }),
            "output_format",
            "invalid_value",
        ),
        (
            json!({ "background": "transparent", "output_format": "jpeg" }),
            "background",
            "invalid_value",
        ),
        (
            json!({ "output_compression": 101 }),
            "output_compression",
            "integer_above_max_value",
        ),
        (
            json!({ "moderation": "off" }),
            "moderation",
            "invalid_value",
        ),
        (json!({ "stream": "yes" }), "stream", "invalid_type"),
        (
            json!({ "response_format": "url" }),
            "response_format",
            "unknown_parameter",
        ),
        (json!({ "qualty": "high" }), "qualty", "unknown_parameter"),
        // The Images API identifies end users by `user`; `safety_identifier`
        // is a Responses/Chat field it does not take.
        (
            json!({ "safety_identifier": "3f9a" }),
            "safety_identifier",
            "unknown_parameter",
        ),
        (
            json!({ "stream": true, "partial_images": 4 }),
            "partial_images",
            "integer_above_max_value",
        ),
    ];
    for (changes, param, code) in cases {
        let case = changes.to_string();
        refused(&generate(&fake, with(changes)).await, param, code, &case);
    }
    assert!(
        fake.requests().len() >= 20,
        "refused requests are recorded too"
    );

    let (status, body) = send(
        reqwest::Client::new()
            .post(generations(&fake))
            .bearer_auth(API_KEY)
            .header("content-type", "application/json")
            .body("{\"model\": "),
    )
    .await;
    assert_eq!(status, 400, "a body that is not JSON");
    assert_eq!(body["error"]["param"], Value::Null);
}

#[tokio::test]
async fn sizes_follow_the_model_and_valid_requests_get_n_images() {
    let fake = FakeOpenAi::start().await;
    let ok = |body: Value| {
        let fake = fake.clone();
        async move { generate(&fake, body).await }
    };
    for size in ["auto", "1024x1024", "1536x1024", "1024x1536"] {
        assert_eq!(ok(with(json!({ "size": size }))).await.0, 200, "{size}");
    }
    let v2 = |size: &str| json!({ "model": "gpt-image-2", "prompt": "a fox", "size": size });
    // gpt-image-2: any WxH in multiples of 16 within its bounds.
    assert_eq!(ok(v2("1536x864")).await.0, 200);
    assert_eq!(ok(v2("3840x2160")).await.0, 200);
    for bad in ["1500x1000", "3856x2160", "2400x768", "512x512", "wide"] {
        refused(&ok(v2(bad)).await, "size", "invalid_value", bad);
    }
    let (status, body) = ok(with(
        json!({ "n": 3, "background": "transparent", "output_format": "webp" }),
    ))
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"].as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn a_stream_carries_exactly_the_partials_asked_for() {
    let fake = FakeOpenAi::start().await;
    for asked in 0..=3u64 {
        let body = with(json!({ "stream": true, "partial_images": asked }));
        let res = reqwest::Client::new()
            .post(generations(&fake))
            .bearer_auth(API_KEY)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        let text = res.text().await.unwrap();
        let partials = text
            .matches("event: image_generation.partial_image")
            .count();
        assert_eq!(partials as u64, asked, "{text}");
        assert_eq!(text.matches("event: image_generation.completed").count(), 1);
    }
}

#[tokio::test]
async fn edits_need_an_image_and_take_form_fields_as_typed_values() {
    let fake = FakeOpenAi::start().await;
    let fields = [("model", "gpt-image-1.5"), ("prompt", "make it blue")];
    refused(
        &edit(&fake, &fields, 0).await,
        "image",
        "missing_required_parameter",
        "no image",
    );
    refused(
        &edit(&fake, &fields, 17).await,
        "image",
        "array_above_max_length",
        "17 images",
    );
    let with_field = |k: &'static str, v: &'static str| {
        let mut f = fields.to_vec();
        f.push((k, v));
        f
    };
    refused(
        &edit(&fake, &with_field("n", "two"), 1).await,
        "n",
        "invalid_type",
        "n=two",
    );
    refused(
        &edit(&fake, &with_field("n", "11"), 1).await,
        "n",
        "integer_above_max_value",
        "n=11",
    );
    refused(
        &edit(&fake, &with_field("input_fidelity", "medium"), 1).await,
        "input_fidelity",
        "invalid_value",
        "fidelity",
    );
    refused(
        &edit(&fake, &[("prompt", "x")], 1).await,
        "model",
        "missing_required_parameter",
        "no model",
    );
    refused(
        &edit(&fake, &with_field("moderation", "low"), 1).await,
        "moderation",
        "unknown_parameter",
        "moderation is for generations",
    );
    refused(
        &edit(&fake, &with_field("safety_identifier", "3f9a"), 1).await,
        "safety_identifier",
        "unknown_parameter",
        "the Images API takes `user`, not safety_identifier",
    );
    let (status, body) = edit(&fake, &with_field("n", "2"), 16).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["data"].as_array().unwrap().len(),
        2,
        "\"2\" is the integer 2 in a form"
    );
}

#[tokio::test]
async fn a_refused_request_leaves_the_script_for_the_next_valid_one() {
    let fake = FakeOpenAi::start().await;
    fake.script([Reply::Status(503)]);
    assert_eq!(generate(&fake, with(json!({ "n": 0 }))).await.0, 400);
    assert_eq!(
        generate(&fake, base()).await.0,
        503,
        "the scripted fault is still next"
    );
    assert_eq!(generate(&fake, base()).await.0, 200);
}
