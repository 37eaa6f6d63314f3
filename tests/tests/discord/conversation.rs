//! The Edit button's modal on the `openai-responses` backend: each edit
//! continues the result's conversation upstream, the stored result keeps
//! the new response id, and a conversation the provider forgot falls back
//! to an Images API edit of the stored image, charged once.

use easel_shared::config::BackendKind;
use easel_shared::results::Continuation;

use super::buttons::bot_message;
use super::*;

/// Presses Edit on result `id` and submits `prompt` in its modal; returns
/// the new result's id.
async fn edit(bot: &Bot, who: &Who, n: u64, id: &str, prompt: &str) -> String {
    let (press, submit) = (format!("tok-c{n}"), format!("tok-c{n}s"));
    bot.deliver(button(
        1_300 + 2 * n,
        &press,
        who,
        &format!("e:{id}"),
        bot_message(10 + n, who.channel),
    ))
    .await;
    let modal = bot
        .fake
        .wait_for("the modal", |c| c.is_callback(&press))
        .await;
    let custom_id = modal.json["data"]["custom_id"].as_str().unwrap().to_owned();
    bot.deliver(modal_submit(
        1_301 + 2 * n,
        &submit,
        who,
        &custom_id,
        &[("prompt", prompt)],
    ))
    .await;
    result_id(&final_edit(&bot.fake, &submit).await)
}

async fn continuation(bot: &Bot, id: &str) -> Option<Continuation> {
    let record = bot.stack.gateway.result(&id.parse().unwrap()).await;
    record.unwrap().expect("the result is stored").continuation
}

async fn used(bot: &Bot) -> u32 {
    let status = bot.stack.gateway.quota(UserKey::discord(USER)).await;
    status.unwrap().windows.first().map_or(0, |w| w.used)
}

#[tokio::test]
async fn the_edit_modal_continues_the_conversation_and_survives_a_forgotten_one() {
    let bot = Bot::start(|c| {
        let b = &mut c.backends.chain[0];
        b.name = "conversation".into();
        b.kind = BackendKind::OpenAiResponses;
        b.model = "gpt-5.1".into();
        b.image_model = "gpt-image-2".into();
    })
    .await;
    let who = Who::member(USER, GUILD, &[]);
    bot.deliver(imagine(1_290, "tok-c0", &who, "a lighthouse"))
        .await;
    let first = result_id(&final_edit(&bot.fake, "tok-c0").await);
    let ids = bot.stack.openai.issued_responses();
    assert_eq!(
        continuation(&bot, &first).await,
        Some(Continuation::OpenaiResponse {
            backend: "conversation".into(),
            response_id: ids[0].clone(),
        }),
        "the response id is stored with the result"
    );

    let second = edit(&bot, &who, 1, &first, "paint it red").await;
    let sent = bot.stack.openai.requests();
    assert_eq!(sent.len(), 2);
    let body = sent[1].json.clone().expect("a JSON body");
    assert_eq!(sent[1].path, "/v1/responses");
    assert_eq!(body["previous_response_id"], ids[0]);
    assert_eq!(body["input"][0]["content"][0]["text"], "paint it red");
    let ids = bot.stack.openai.issued_responses();
    assert!(matches!(
        continuation(&bot, &second).await,
        Some(Continuation::OpenaiResponse { response_id, .. }) if response_id == ids[1]
    ));

    bot.stack.openai.forget_responses();
    let before = used(&bot).await;
    let third = edit(&bot, &who, 2, &second, "add a moon").await;
    let sent = bot.stack.openai.requests();
    let paths: Vec<&str> = sent[2..].iter().map(|r| r.path.as_str()).collect();
    assert_eq!(paths, ["/v1/responses", "/v1/images/edits"]);
    assert_eq!(
        sent[2].json.as_ref().unwrap()["previous_response_id"],
        ids[1]
    );
    assert_eq!(sent[3].field("prompt").as_deref(), Some("add a moon"));
    assert_eq!(used(&bot).await, before + 1, "charged once");
    assert_eq!(
        continuation(&bot, &third).await,
        None,
        "an Images edit has no conversation"
    );
    let child = bot.stack.gateway.result(&third.parse().unwrap()).await;
    assert_eq!(
        child.unwrap().unwrap().parent.map(|p| p.to_string()),
        Some(second),
        "lineage kept"
    );
}
