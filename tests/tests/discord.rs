//! The Discord frontend end to end: real interaction payloads go through
//! the adapter, serenity's real HTTP client answers the fake Discord REST
//! server, and the real in-process gateway (embedded ledger and result
//! store in a temp dir) calls the fake OpenAI server.

#[path = "discord/account.rs"]
mod account;
#[path = "discord/admission.rs"]
mod admission;
#[path = "discord/apikey.rs"]
mod apikey;
#[path = "discord/buttons.rs"]
mod buttons;
#[path = "discord/conversation.rs"]
mod conversation;
#[path = "discord/harness.rs"]
mod harness;
#[path = "discord/http_mode.rs"]
mod http_mode;
#[path = "discord/refusals.rs"]
mod refusals;

use bytes::Bytes;
use easel_gateway::service::Gateway;
use easel_shared::UserKey;
use easel_tests::fake_discord::payloads::{
    Who, attachment_json, button, message_command, message_with_attachment, modal_submit,
    opt_attachment, opt_int, opt_str, opt_user, slash, subcommand,
};
use easel_tests::fake_discord::{Call, FakeDiscord};
use easel_tests::fake_openai::{FakeOpenAi, known_png};
use harness::{ADMIN, Bot};
use serde_json::Value;

const USER: u64 = 200_000_000_000_000_002;
const GUILD: u64 = 300_000_000_000_000_003;

fn imagine(id: u64, token: &str, who: &Who, prompt: &str) -> Value {
    slash(
        id,
        token,
        who,
        "imagine",
        vec![opt_str("prompt", prompt)],
        vec![],
        vec![],
    )
}

/// The final edit of `token`'s response: the one with the result buttons.
async fn final_edit(fake: &FakeDiscord, token: &str) -> Call {
    fake.wait_for_edit(token, "the result edit", |c| {
        c.custom_ids().iter().any(|id| id.starts_with("a:"))
    })
    .await
}

/// The result id the buttons of a result carry.
fn result_id(call: &Call) -> String {
    let again = call
        .custom_ids()
        .into_iter()
        .find(|id| id.starts_with("a:"))
        .expect("Again button");
    again["a:".len()..].to_owned()
}

/// What the user was told privately for `token` (an ephemeral message,
/// an edited ephemeral defer, or an ephemeral follow-up).
fn private_text(calls: &[Call], token: &str) -> String {
    let deferred_privately = calls
        .iter()
        .any(|c| c.is_callback(token) && c.json["type"] == 5 && c.ephemeral());
    calls
        .iter()
        .rev()
        .find(|c| {
            (c.is_callback(token) && c.json["type"] == 4 && c.ephemeral())
                || (c.is_followup(token) && c.ephemeral())
                || (deferred_privately && c.is_edit_original(token))
        })
        .map(Call::text)
        .unwrap_or_else(|| panic!("nothing private for {token}: {calls:#?}"))
}

#[tokio::test]
async fn imagine_defers_then_edits_in_the_image_with_embed_and_buttons() {
    let bot = Bot::start(|_| {}).await;
    let who = Who::member(USER, GUILD, &[]);
    let mut payload = imagine(1_001, "tok-imagine", &who, "a red fox in the snow");
    payload["data"]["options"]
        .as_array_mut()
        .unwrap()
        .push(opt_str("aspect", "3:2"));
    bot.deliver(payload).await;

    let calls = bot.fake.calls();
    let ack = calls
        .iter()
        .find(|c| c.is_callback("tok-imagine"))
        .expect("acknowledged");
    assert_eq!(ack.json["type"], 5, "deferred: {:?}", ack.json);
    assert!(!ack.ephemeral(), "a result is for the channel");
    let done = final_edit(&bot.fake, "tok-imagine").await;
    assert_eq!(done.files.len(), 1);
    assert_eq!(
        done.files[0].bytes,
        FakeOpenAi::final_image(0),
        "the provider's bytes, untouched"
    );
    let text = done.text();
    assert!(text.contains("a red fox in the snow"), "{text}");
    assert!(text.contains("left in this"), "quota left: {text}");
    assert!(text.contains("<t:"), "relative reset time: {text}");
    let id = result_id(&done);
    assert_eq!(
        done.custom_ids(),
        vec![
            format!("a:{id}"),
            format!("v:{id}"),
            format!("e:{id}"),
            format!("o:{id}")
        ]
    );

    let sent = bot.stack.openai.requests();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].path, "/v1/images/generations");
    assert_eq!(
        sent[0].field("prompt").as_deref(),
        Some("a red fox in the snow")
    );
    assert_eq!(sent[0].field("size").as_deref(), Some("1536x1024"));
    // serenity read the edited message back (a fake answering with an
    // unreadable Message made the bot fall back to a channel message).
    assert!(
        !bot.fake
            .calls()
            .iter()
            .any(|c| c.method == "POST" && c.path.starts_with("/api/v10/channels/")),
        "no fallback channel message"
    );
    // The message showing the result maps back to it.
    let record = bot
        .stack
        .gateway
        .result(&id.parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(record.messages.len(), 1);
}

#[tokio::test]
async fn imagine_with_two_attachments_is_one_edit_with_both_images() {
    let bot = Bot::start(|_| {}).await;
    let who = Who::dm(USER);
    let (a, b) = (known_png(40), known_png(41));
    let url_a = bot.fake.host_file("a.png", a.clone());
    let url_b = bot.fake.host_file("b.png", b.clone());
    let payload = slash(
        1_002,
        "tok-two",
        &who,
        "imagine",
        vec![
            opt_str("prompt", "put them side by side"),
            opt_attachment("image1", 51),
            opt_attachment("image2", 52),
        ],
        vec![
            attachment_json(51, "a.png", &url_a, a.len() as u64),
            attachment_json(52, "b.png", &url_b, b.len() as u64),
        ],
        vec![],
    );
    bot.deliver(payload).await;

    final_edit(&bot.fake, "tok-two").await;
    let sent = bot.stack.openai.requests();
    assert_eq!(sent.len(), 1, "one request for both images");
    assert_eq!(sent[0].path, "/v1/images/edits");
    let images: Vec<_> = sent[0]
        .parts
        .iter()
        .filter(|p| p.name == "image[]")
        .collect();
    assert_eq!(images.len(), 2, "both attachments are inputs");
    assert_eq!(
        sent[0].field("prompt").as_deref(),
        Some("put them side by side")
    );
}

#[tokio::test]
async fn context_menu_edit_asks_in_a_modal_and_edits_the_target_image() {
    let bot = Bot::start(|_| {}).await;
    let who = Who::member(USER, GUILD, &[]);
    let png = known_png(77);
    let url = bot.fake.host_file("cat.png", png.clone());
    let target = message_with_attachment(
        5_000,
        who.channel,
        4_242,
        attachment_json(61, "cat.png", &url, png.len() as u64),
    );
    bot.fake.put_message(target.clone());
    bot.deliver(message_command(
        1_003,
        "tok-menu",
        &who,
        "Edit image",
        target,
    ))
    .await;

    let modal = bot
        .fake
        .wait_for("the modal", |c| c.is_callback("tok-menu"))
        .await;
    assert_eq!(
        modal.json["type"], 9,
        "a modal must be the first response: {:?}",
        modal.json
    );
    let custom_id = modal.json["data"]["custom_id"].as_str().unwrap().to_owned();
    assert!(
        custom_id.contains("5000") && custom_id.contains("61"),
        "names message and attachment: {custom_id}"
    );
    assert!(custom_id.len() <= 100);

    bot.deliver(modal_submit(
        1_004,
        "tok-submit",
        &who,
        &custom_id,
        &[("prompt", "make it wear a hat")],
    ))
    .await;
    let ack = bot
        .fake
        .wait_for("defer", |c| c.is_callback("tok-submit"))
        .await;
    assert_eq!(ack.json["type"], 5);
    final_edit(&bot.fake, "tok-submit").await;
    let sent = bot.stack.openai.requests();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].path, "/v1/images/edits");
    assert_eq!(
        sent[0].parts.iter().filter(|p| p.name == "image[]").count(),
        1
    );
    assert_eq!(
        sent[0].field("prompt").as_deref(),
        Some("make it wear a hat")
    );

    // After a restart the modal still works: the image is read again over REST.
    let bot = bot.restart().await;
    bot.deliver(modal_submit(
        1_005,
        "tok-submit-2",
        &who,
        &custom_id,
        &[("prompt", "now a scarf")],
    ))
    .await;
    final_edit(&bot.fake, "tok-submit-2").await;
    assert!(
        bot.fake
            .calls()
            .iter()
            .any(|c| c.method == "GET" && c.path.ends_with("/messages/5000"))
    );
    assert_eq!(bot.stack.openai.requests().len(), 2);
}

#[tokio::test]
async fn a_redelivered_interaction_is_charged_once() {
    let bot = Bot::start(|_| {}).await;
    let who = Who::member(USER, GUILD, &[]);
    let payload = imagine(1_070, "tok-dup", &who, "a bridge");
    bot.deliver(payload.clone()).await;
    final_edit(&bot.fake, "tok-dup").await;
    bot.deliver(payload).await;

    assert_eq!(bot.stack.openai.requests().len(), 1);
    let quota = bot
        .stack
        .gateway
        .quota(UserKey::discord(USER))
        .await
        .unwrap();
    assert_eq!(quota.windows[0].used, 1, "charged once");
    let results = bot
        .fake
        .calls()
        .iter()
        .filter(|c| c.is_edit_original("tok-dup") && !c.files.is_empty())
        .count();
    assert_eq!(results, 1, "one result message");
}

#[tokio::test]
async fn partial_previews_are_edited_in_while_the_model_works() {
    let bot = Bot::start(|c| c.backends.chain[0].partial_images = 2).await;
    let who = Who::dm(USER);
    bot.deliver(imagine(1_080, "tok-partial", &who, "a comet"))
        .await;

    let done = final_edit(&bot.fake, "tok-partial").await;
    assert_eq!(done.files[0].bytes, FakeOpenAi::final_image(0));
    let calls = bot.fake.calls();
    let preview = calls
        .iter()
        .find(|c| {
            c.is_edit_original("tok-partial")
                && c.files.iter().any(|f| {
                    f.filename
                        .as_deref()
                        .is_some_and(|n| n.starts_with("preview"))
                })
        })
        .expect("a partial preview edited in");
    assert_eq!(preview.files[0].bytes, FakeOpenAi::partial_image(0));
    assert!(preview.text().contains("Drawing"), "{}", preview.text());
}

#[tokio::test]
async fn edit_with_a_mask_sends_the_mask_beside_the_image() {
    let bot = edit_with_mask("tok-edit", alpha_mask()).await;
    let done = final_edit(&bot.fake, "tok-edit").await;
    assert!(!done.text().contains("mask"), "{}", done.text());
    let sent = bot.stack.openai.requests();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].path, "/v1/images/edits");
    let parts = |name: &str| sent[0].parts.iter().filter(|p| p.name == name).count();
    assert_eq!(
        (parts("image[]"), parts("mask")),
        (1, 1),
        "the mask is its own part"
    );
    let mask = sent[0].parts.iter().find(|p| p.name == "mask").unwrap();
    let mask = image::load_from_memory(&mask.bytes).expect("a PNG mask");
    assert!(mask.color().has_alpha(), "transparency is what a mask says");
    assert_eq!(
        sent[0].field("prompt").as_deref(),
        Some("make the sky green")
    );
}

#[tokio::test]
async fn a_mask_without_transparency_is_explained_and_nothing_is_charged() {
    let bot = edit_with_mask("tok-edit", known_png(51)).await;
    let text = private_text(&bot.fake.calls(), "tok-edit");
    assert!(text.contains("mask cannot be used"), "{text}");
    assert!(
        bot.stack.openai.requests().is_empty(),
        "nothing sent upstream"
    );
    let quota = bot
        .stack
        .gateway
        .quota(UserKey::discord(USER))
        .await
        .unwrap();
    assert_eq!((quota.windows[0].used, quota.in_flight), (0, 0));
}

/// An 8x8 PNG mask: transparent on the left half (change there), opaque elsewhere.
fn alpha_mask() -> Bytes {
    let img = image::RgbaImage::from_fn(8, 8, |x, _| {
        image::Rgba([0, 0, 0, if x < 4 { 0 } else { 255 }])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    Bytes::from(out.into_inner())
}

/// Runs `/edit image prompt mask` and returns the bot once the job is over.
async fn edit_with_mask(token: &str, mask: Bytes) -> Bot {
    let bot = Bot::start(|_| {}).await;
    let who = Who::member(USER, GUILD, &[]);
    let img = known_png(50);
    let url = bot.fake.host_file("photo.png", img.clone());
    let mask_url = bot.fake.host_file("mask.png", mask.clone());
    let payload = slash(
        1_120,
        token,
        &who,
        "edit",
        vec![
            opt_attachment("image", 71),
            opt_str("prompt", "make the sky green"),
            opt_attachment("mask", 72),
        ],
        vec![
            attachment_json(71, "photo.png", &url, img.len() as u64),
            attachment_json(72, "mask.png", &mask_url, mask.len() as u64),
        ],
        vec![],
    );
    bot.deliver(payload).await;
    bot
}
