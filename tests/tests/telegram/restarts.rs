//! Restarts and split deliveries: every button under a result (Vary, Edit,
//! Original; Again is in `private.rs`) and the Cancel button of a queued job
//! still work after the bot and gateway restart, from the ids they carry;
//! an album is one request charged once however its items arrive.

use easel_bot::core::render::VARY_PROMPT;
use easel_tests::fake_openai::{FakeOpenAi, known_png};
use easel_tests::fake_telegram::updates::{Msg, callback};
use easel_tests::fake_telegram::{Call, TgUser};

use super::harness::{Harness, sent};
use super::observed::Submitted;
use super::private::mean_difference;

/// The button of `shown` whose data starts with `kind` (`v:`, `e:`, ...).
fn button(shown: &Call, kind: &str) -> String {
    shown
        .buttons()
        .into_iter()
        .find(|b| b.starts_with(kind))
        .unwrap_or_else(|| panic!("no {kind} button on {shown:?}"))
}

/// The one input image of upstream request `index`, compared by pixels
/// (the gateway re-encodes inputs): it must be the first result's image.
fn assert_input_is_the_result(h: &Harness, index: usize) {
    let request = &h.openai().requests()[index];
    assert_eq!(request.path, "/v1/images/edits");
    let inputs: Vec<_> = request
        .parts
        .iter()
        .filter(|p| p.name == "image[]")
        .collect();
    assert_eq!(inputs.len(), 1);
    let input = image::load_from_memory(&inputs[0].bytes).expect("input decodes");
    let close = mean_difference(&input, &FakeOpenAi::final_image(0));
    assert!(close < 12.0, "the result is the input (off by {close})");
    assert!(mean_difference(&input, &known_png(200)) > 40.0);
}

async fn upstream_calls(h: &Harness, count: usize) {
    h.tg.wait_for("the upstream call", |_| {
        (h.upstream_calls() == count).then_some(())
    })
    .await;
}

#[tokio::test]
async fn original_and_vary_work_after_a_restart() {
    let mut h = Harness::start().await;
    let user = TgUser::new(60);
    let chat = user.private_chat();
    h.tg.push_update(Msg::new(1, &user, &chat).text("a lighthouse").update(1));
    let photo = h.result_photo(chat.id()).await;
    h.restart().await;

    let original = button(&photo, "o:");
    h.tg.push_update(callback(2, "q-orig-60", &user, &sent(&photo), &original));
    let doc = h.tg.wait_call("sendDocument", chat.id(), |_| true).await;
    assert_eq!(doc.uploads[0].bytes, FakeOpenAi::final_image(0));
    assert_eq!(h.used(60).await, 1, "Original costs nothing");

    let vary = button(&photo, "v:");
    h.tg.push_update(callback(3, "q-vary-60", &user, &sent(&photo), &vary));
    upstream_calls(&h, 2).await;
    assert_eq!(
        h.openai().requests()[1].field("prompt").as_deref(),
        Some(VARY_PROMPT)
    );
    assert_input_is_the_result(&h, 1);
    h.tg.wait_for("the variation's photo", |calls| {
        let photos = calls
            .iter()
            .filter(|c| c.method == "sendphoto" && c.chat_id() == Some(chat.id()))
            .filter(|c| c.text("caption").is_some());
        (photos.count() == 2).then_some(())
    })
    .await;
    assert_eq!(h.used(60).await, 2, "a variation is a new request");
}

#[tokio::test]
async fn edit_works_after_a_restart_and_its_question_after_another() {
    let mut h = Harness::start().await;
    let user = TgUser::new(61);
    let chat = user.private_chat();
    h.tg.push_update(Msg::new(1, &user, &chat).text("a snowman").update(1));
    let photo = h.result_photo(chat.id()).await;
    h.restart().await;

    let edit = button(&photo, "e:");
    h.tg.push_update(callback(2, "q-edit-61", &user, &sent(&photo), &edit));
    let question = h.text_containing(chat.id(), "What should I change").await;
    h.restart().await;

    h.tg.push_update(
        Msg::new(3, &user, &chat)
            .text("give him a red scarf")
            .reply_to(&sent(&question))
            .update(3),
    );
    upstream_calls(&h, 2).await;
    assert_eq!(
        h.openai().requests()[1].field("prompt").as_deref(),
        Some("give him a red scarf")
    );
    assert_input_is_the_result(&h, 1);
}

/// A queued job's reservation is refunded when its gateway shuts down; the
/// Cancel button pressed after the restart finds nothing to cancel, charges
/// nothing and sends nothing upstream.
#[tokio::test]
async fn cancel_after_a_restart_finds_the_job_refunded() {
    // One image per minute on the manual clock: the second job waits.
    let mut h = Harness::start_with(|c| c.runner.images_per_minute = 1).await;
    let user = TgUser::new(62);
    let chat = user.private_chat();
    h.tg.push_update(Msg::new(1, &user, &chat).text("a first one").update(1));
    h.result_photo(chat.id()).await;
    h.tg.push_update(Msg::new(2, &user, &chat).text("a queued one").update(2));
    // The queued job's own progress message (the first job had one too).
    let second = format!("c:tg:{}:2", chat.id());
    let status =
        h.tg.wait_call("sendMessage", chat.id(), |c| c.buttons().contains(&second))
            .await;
    assert_eq!(h.used(62).await, 2, "reserved while queued");
    h.restart().await;
    assert_eq!(h.used(62).await, 1, "the shutdown refunded the queued job");

    let cancel = button(&status, &second);
    h.tg.push_update(callback(3, "q-cancel-62", &user, &sent(&status), &cancel));
    // The chat's updates are handled in order: once /quota is answered,
    // the press was handled.
    h.tg.push_update(Msg::new(4, &user, &chat).text("/quota").update(4));
    h.text_containing(chat.id(), "left in this").await;
    assert_eq!(
        h.tg.calls_of("answerCallbackQuery").len(),
        1,
        "the press was acknowledged"
    );
    assert_eq!(h.used(62).await, 1);
    assert_eq!(
        h.upstream_calls(),
        1,
        "the cancelled job never went upstream"
    );
}

fn album_item(user: &TgUser, file: &str, id: i64, caption: Option<&str>) -> serde_json::Value {
    let chat = user.private_chat();
    let mut msg = Msg::new(id, user, &chat).photo(file).media_group("album-7");
    if let Some(caption) = caption {
        msg = msg.caption(caption);
    }
    msg.update(id)
}

/// Regression guard: an album whose items came in two `getUpdates` answers
/// must still be one request with every photo.
#[tokio::test]
async fn an_album_split_across_two_polls_is_one_request_with_every_photo() {
    let h = Harness::start().await;
    let user = TgUser::new(63);
    let chat = user.private_chat();
    let files: Vec<String> = (0..3).map(|i| h.tg.add_file(known_png(60 + i))).collect();
    h.tg.push_update(album_item(&user, &files[0], 10, Some("on a beach")));
    h.tg.wait_drained().await;
    let polls = h.tg.calls_of("getUpdates").len();
    h.tg.push_updates([
        album_item(&user, &files[1], 11, None),
        album_item(&user, &files[2], 12, None),
    ]);
    h.finish_albums(&user, &chat, 20).await;
    assert!(h.tg.calls_of("getUpdates").len() > polls, "a second poll");

    h.result_photo(chat.id()).await;
    let upstream = h.openai().requests();
    assert_eq!(upstream.len(), 1, "one request for the whole album");
    let images = upstream[0].parts.iter().filter(|p| p.name == "image[]");
    assert_eq!(images.count(), 3, "every photo of the album is an input");
    assert_eq!(upstream[0].field("prompt").as_deref(), Some("on a beach"));
    assert_eq!(h.used(63).await, 1, "charged once");
}

/// Telegram redelivers an album the old process had already answered: the
/// new process collects it again and the gateway's pre-check refuses it as a
/// duplicate (the ledger knows the request), before any photo is fetched.
#[tokio::test]
async fn an_album_redelivered_after_a_restart_is_charged_once() {
    let mut h = Harness::start().await;
    let user = TgUser::new(64);
    let chat = user.private_chat();
    let files: Vec<String> = (0..3).map(|i| h.tg.add_file(known_png(70 + i))).collect();
    let items = [
        album_item(&user, &files[0], 10, Some("in the snow")),
        album_item(&user, &files[1], 11, None),
        album_item(&user, &files[2], 12, None),
    ];
    h.tg.push_updates(items.clone());
    h.finish_albums(&user, &chat, 20).await;
    h.result_photo(chat.id()).await;
    let Submitted::Taken(first) = h.submits(1).await.remove(0) else {
        panic!("the album was not taken");
    };

    let fetched = h.tg.calls_of("getFile").len();
    h.restart().await;
    for item in items {
        h.tg.redeliver(item);
    }
    h.finish_albums(&user, &chat, 21).await;
    let submits = h.submits(2).await;
    assert_eq!(submits[1], Submitted::Duplicate(first), "{submits:?}");
    assert_eq!(submits.len(), 2);
    assert_eq!(
        h.tg.calls_of("getFile").len(),
        fetched,
        "nothing fetched again"
    );
    assert_eq!(h.tg.calls_of("sendPhoto").len(), 1, "answered once");
    assert_eq!(h.upstream_calls(), 1);
    assert_eq!(h.used(64).await, 1, "charged once");
}
