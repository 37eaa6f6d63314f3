//! The buttons under a result (Again, Edit, Original), which must keep
//! working after a restart because their custom ids carry the result id.

use super::*;

/// The bot's result message, as a button press carries it.
pub(super) fn bot_message(id: u64, channel: u64) -> Value {
    let mut m = message_with_attachment(
        id,
        channel,
        easel_tests::fake_discord::BOT_USER_ID,
        attachment_json(1, "easel-0.png", "http://127.0.0.1:1/x.png", 10),
    );
    m["author"]["bot"] = Value::Bool(true);
    m
}

#[tokio::test]
async fn again_works_after_a_restart_and_is_a_new_request() {
    let bot = Bot::start(|_| {}).await;
    let who = Who::member(USER, GUILD, &[]);
    bot.deliver(imagine(1_010, "tok-first", &who, "a lighthouse at dusk"))
        .await;
    let first = final_edit(&bot.fake, "tok-first").await;
    let id = result_id(&first);

    let bot = bot.restart().await;
    let pressed_on = bot_message(1, who.channel);
    bot.deliver(button(
        1_011,
        "tok-again",
        &who,
        &format!("a:{id}"),
        pressed_on,
    ))
    .await;
    let again = final_edit(&bot.fake, "tok-again").await;
    assert_ne!(result_id(&again), id, "a new result");
    let sent = bot.stack.openai.requests();
    assert_eq!(sent.len(), 2, "the press made a new request");
    assert_eq!(
        sent[1].field("prompt").as_deref(),
        Some("a lighthouse at dusk")
    );
    let quota = bot
        .stack
        .gateway
        .quota(UserKey::discord(USER))
        .await
        .unwrap();
    assert_eq!(quota.windows[0].used, 2, "each deliberate press is charged");
}

#[tokio::test]
async fn original_sends_the_providers_bytes_privately() {
    let bot = Bot::start(|_| {}).await;
    let who = Who::dm(USER);
    bot.deliver(imagine(1_020, "tok-o1", &who, "a teapot"))
        .await;
    let id = result_id(&final_edit(&bot.fake, "tok-o1").await);
    let pressed_on = bot_message(2, who.channel);
    bot.deliver(button(
        1_021,
        "tok-o2",
        &who,
        &format!("o:{id}"),
        pressed_on,
    ))
    .await;

    let calls = bot.fake.calls();
    let ack = calls.iter().find(|c| c.is_callback("tok-o2")).unwrap();
    assert!(ack.ephemeral(), "the original goes to the presser only");
    let file = calls
        .iter()
        .find(|c| c.is_edit_original("tok-o2"))
        .expect("file sent");
    assert_eq!(file.files.len(), 1);
    assert_eq!(
        file.files[0].bytes,
        FakeOpenAi::final_image(0),
        "byte for byte the provider's file"
    );
    assert_eq!(
        bot.stack.openai.requests().len(),
        1,
        "no new image was made"
    );
}

#[tokio::test]
async fn the_edit_button_asks_in_a_modal_and_refines_the_stored_result() {
    let bot = Bot::start(|_| {}).await;
    let who = Who::member(USER, GUILD, &[]);
    bot.deliver(imagine(1_130, "tok-r0", &who, "a wooden boat"))
        .await;
    let id = result_id(&final_edit(&bot.fake, "tok-r0").await);

    bot.deliver(button(
        1_131,
        "tok-r1",
        &who,
        &format!("e:{id}"),
        bot_message(3, who.channel),
    ))
    .await;
    let modal = bot
        .fake
        .wait_for("the modal", |c| c.is_callback("tok-r1"))
        .await;
    assert_eq!(modal.json["type"], 9);
    let custom_id = modal.json["data"]["custom_id"].as_str().unwrap().to_owned();
    assert!(
        custom_id.ends_with(&id),
        "the modal carries the result: {custom_id}"
    );

    // Submitted after a restart: the result id is all it needs.
    let bot = bot.restart().await;
    bot.deliver(modal_submit(
        1_132,
        "tok-r2",
        &who,
        &custom_id,
        &[("prompt", "paint it red")],
    ))
    .await;
    let done = final_edit(&bot.fake, "tok-r2").await;
    let sent = bot.stack.openai.requests();
    assert_eq!(sent.len(), 2);
    assert_eq!(
        sent[1].path, "/v1/images/edits",
        "the stored result is the input"
    );
    assert_eq!(sent[1].field("prompt").as_deref(), Some("paint it red"));
    let child = bot
        .stack
        .gateway
        .result(&result_id(&done).parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        child.parent.map(|p| p.to_string()),
        Some(id),
        "lineage kept"
    );
}
