//! The fake Responses API refuses what OpenAI's refuses: a wrong key, an
//! unknown field, a malformed `input_image`, a bad tool value, and a
//! `previous_response_id` it never issued or was told to forget, each in
//! OpenAI's error shape; a valid turn streams the real event types.

use easel_tests::fake_openai::{API_KEY, FakeOpenAi};
use serde_json::{Value, json};

use super::send;

fn turn() -> Value {
    json!({
        "model": "gpt-5.1",
        "input": [{ "role": "user", "content": [
            { "type": "input_text", "text": "a kite" },
            { "type": "input_image", "image_url": "data:image/png;base64,aGk=", "detail": "auto" },
        ]}],
        "tools": [{ "type": "image_generation", "model": "gpt-image-2", "size": "1024x1024",
            "quality": "low", "partial_images": 1 }],
        "tool_choice": { "type": "image_generation" },
        "stream": true,
    })
}

async fn post(fake: &FakeOpenAi, key: &str, body: &Value) -> (u16, Value) {
    let url = format!("{}/responses", fake.base_url());
    send(reqwest::Client::new().post(url).bearer_auth(key).json(body)).await
}

fn refused(answer: &(u16, Value), param: &str, code: &str) {
    assert_eq!(answer.0, 400, "{answer:?}");
    assert_eq!(answer.1["error"]["type"], "invalid_request_error");
    assert_eq!(answer.1["error"]["param"], param, "{answer:?}");
    assert_eq!(answer.1["error"]["code"], code, "{answer:?}");
}

#[tokio::test]
async fn the_responses_api_refuses_what_openai_refuses() {
    let fake = FakeOpenAi::start().await;
    assert_eq!(post(&fake, "sk-wrong-0000", &turn()).await.0, 401);

    let mut body = turn();
    body["temprature"] = json!(1);
    refused(
        &post(&fake, API_KEY, &body).await,
        "temprature",
        "unknown_parameter",
    );
    let mut body = turn();
    body["input"][0]["content"][1]["image_url"] = json!("/tmp/cat.png");
    refused(
        &post(&fake, API_KEY, &body).await,
        "input[0].content[1].image_url",
        "invalid_value",
    );
    let mut body = turn();
    body["tools"][0]["quality"] = json!("ultra");
    refused(
        &post(&fake, API_KEY, &body).await,
        "tools[0].quality",
        "invalid_value",
    );
    let mut body = turn();
    body["tools"][0]["partial_images"] = json!(4);
    refused(
        &post(&fake, API_KEY, &body).await,
        "tools[0].partial_images",
        "integer_above_max_value",
    );
    assert!(
        fake.issued_responses().is_empty(),
        "refusals issue no response"
    );

    let mut body = turn();
    body["previous_response_id"] = json!("resp_never_issued");
    let answer = post(&fake, API_KEY, &body).await;
    refused(
        &answer,
        "previous_response_id",
        "previous_response_not_found",
    );
    assert_eq!(
        answer.1["error"]["message"],
        "Previous response with id 'resp_never_issued' not found."
    );

    // A valid turn streams the real events and its id can be continued.
    let url = format!("{}/responses", fake.base_url());
    let res = reqwest::Client::new()
        .post(&url)
        .bearer_auth(API_KEY)
        .json(&turn())
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["content-type"], "text/event-stream");
    let text = res.text().await.unwrap();
    let kinds: Vec<&str> = text
        .lines()
        .filter_map(|l| l.strip_prefix("event: "))
        .collect();
    assert_eq!(
        kinds,
        [
            "response.created",
            "response.in_progress",
            "response.output_item.added",
            "response.image_generation_call.in_progress",
            "response.image_generation_call.generating",
            "response.image_generation_call.partial_image",
            "response.image_generation_call.completed",
            "response.output_item.done",
            "response.completed",
        ]
    );
    let id = fake.issued_responses()[0].clone();
    let mut next = turn();
    next["previous_response_id"] = json!(id);
    assert_eq!(post(&fake, API_KEY, &next).await.0, 200);
    fake.forget_responses();
    refused(
        &post(&fake, API_KEY, &next).await,
        "previous_response_id",
        "previous_response_not_found",
    );
}
