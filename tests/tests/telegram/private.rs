//! Private chats: generate, albums, replies to results, Again after a
//! restart, Original, quota denials, redelivery, Chinese users and prompts,
//! /forget.

use std::time::Duration;

use easel_tests::fake_openai::{FakeOpenAi, Reply, known_png};
use easel_tests::fake_telegram::updates::{Msg, callback};
use easel_tests::fake_telegram::{TgUser, poll_until_async};

use super::harness::{Harness, sent};

#[tokio::test]
async fn private_text_generates_a_photo_whose_caption_shows_the_quota() {
    let h = Harness::start().await;
    let user = TgUser::new(11);
    let chat = user.private_chat();
    h.tg.push_update(
        Msg::new(1, &user, &chat)
            .text("a red fox in snow --q high")
            .update(1),
    );

    let photo = h.result_photo(chat.id()).await;
    assert_eq!(photo.uploads.len(), 1);
    assert_eq!(photo.uploads[0].bytes, FakeOpenAi::final_image(0));
    let caption = photo.text("caption").unwrap_or_default();
    assert!(caption.starts_with("a red fox in snow"), "{caption}");
    assert!(caption.contains("9/10 left"), "quota in caption: {caption}");
    let buttons = photo.buttons();
    assert!(buttons.iter().any(|b| b.starts_with("a:")), "{buttons:?}");
    assert!(buttons.iter().any(|b| b.starts_with("o:")), "{buttons:?}");

    let upstream = h.openai().requests();
    assert_eq!(upstream.len(), 1);
    assert_eq!(
        upstream[0].field("prompt").as_deref(),
        Some("a red fox in snow")
    );
    assert_eq!(upstream[0].field("quality").as_deref(), Some("high"));
    assert_eq!(h.used(11).await, 1);
}

#[tokio::test]
async fn an_album_of_three_photos_is_one_edit_request_charged_once() {
    let h = Harness::start().await;
    let user = TgUser::new(12);
    let chat = user.private_chat();
    let files: Vec<String> = (0..3).map(|i| h.tg.add_file(known_png(50 + i))).collect();
    h.tg.push_updates([
        Msg::new(5, &user, &chat)
            .photo(&files[0])
            .caption("put them on a beach")
            .media_group("album-1")
            .update(10),
        Msg::new(6, &user, &chat)
            .photo(&files[1])
            .media_group("album-1")
            .update(11),
        Msg::new(7, &user, &chat)
            .photo(&files[2])
            .media_group("album-1")
            .update(12),
    ]);
    h.finish_albums(&user, &chat, 20).await;

    h.result_photo(chat.id()).await;
    let upstream = h.openai().requests();
    assert_eq!(upstream.len(), 1, "one request for the whole album");
    assert_eq!(upstream[0].path, "/v1/images/edits");
    let images = upstream[0]
        .parts
        .iter()
        .filter(|p| p.name == "image[]")
        .count();
    assert_eq!(images, 3, "every photo of the album is an input");
    assert_eq!(
        upstream[0].field("prompt").as_deref(),
        Some("put them on a beach")
    );
    assert_eq!(h.used(12).await, 1, "charged once");
}

#[tokio::test]
async fn a_reply_to_a_result_edits_that_exact_image() {
    let h = Harness::start().await;
    let user = TgUser::new(13);
    let chat = user.private_chat();
    h.tg.push_update(Msg::new(1, &user, &chat).text("a lighthouse").update(1));
    let first = h.result_photo(chat.id()).await;

    h.tg.push_update(
        Msg::new(2, &user, &chat)
            .text("make the sky purple")
            .reply_to(&sent(&first))
            .update(2),
    );
    h.tg.wait_for("the edit upstream", |_| {
        (h.openai().requests().len() == 2).then_some(())
    })
    .await;
    let edit = &h.openai().requests()[1];
    assert_eq!(edit.path, "/v1/images/edits");
    assert_eq!(edit.field("prompt").as_deref(), Some("make the sky purple"));
    let inputs: Vec<_> = edit.parts.iter().filter(|p| p.name == "image[]").collect();
    assert_eq!(inputs.len(), 1);
    // The gateway re-encodes inputs (lossy), so compare pixels: the input
    // is the result's image and clearly not another one.
    let input = image::load_from_memory(&inputs[0].bytes).expect("input decodes");
    let close = mean_difference(&input, &FakeOpenAi::final_image(0));
    let other = mean_difference(&input, &known_png(200));
    assert!(
        close < 12.0,
        "the replied-to result is the input (off by {close})"
    );
    assert!(other > 40.0, "a different image is far off ({other})");
}

#[tokio::test]
async fn again_after_a_restart_repeats_the_prompt_and_options() {
    let mut h = Harness::start().await;
    let user = TgUser::new(14);
    let chat = user.private_chat();
    h.tg.push_update(
        Msg::new(1, &user, &chat)
            .text("a koi pond --ar 3:2 --q low")
            .update(1),
    );
    let photo = h.result_photo(chat.id()).await;
    let again = photo
        .buttons()
        .into_iter()
        .find(|b| b.starts_with("a:"))
        .expect("an Again button");

    h.restart().await;
    h.tg.push_update(callback(2, "q-again-1", &user, &sent(&photo), &again));
    h.tg.wait_for("the second generation", |_| {
        (h.openai().requests().len() == 2).then_some(())
    })
    .await;
    let reqs = h.openai().requests();
    for field in ["prompt", "size", "quality"] {
        assert_eq!(reqs[1].field(field), reqs[0].field(field), "{field}");
    }
    assert_eq!(reqs[1].field("prompt").as_deref(), Some("a koi pond"));
    assert_eq!(h.used(14).await, 2, "a button press is a new request");
}

#[tokio::test]
async fn original_sends_the_providers_bytes_untouched() {
    let h = Harness::start().await;
    let user = TgUser::new(15);
    let chat = user.private_chat();
    h.tg.push_update(Msg::new(1, &user, &chat).text("a teapot").update(1));
    let photo = h.result_photo(chat.id()).await;
    let original = photo
        .buttons()
        .into_iter()
        .find(|b| b.starts_with("o:"))
        .expect("an Original button");

    h.tg.push_update(callback(2, "q-orig-1", &user, &sent(&photo), &original));
    let doc = h.tg.wait_call("sendDocument", chat.id(), |_| true).await;
    assert!(doc.result.is_some(), "Telegram took the document");
    assert_eq!(doc.uploads.len(), 1);
    assert_eq!(
        doc.uploads[0].bytes,
        FakeOpenAi::final_image(0),
        "byte for byte"
    );
    assert_eq!(h.used(15).await, 1, "Original costs nothing");
}

#[tokio::test]
async fn an_exhausted_quota_is_explained_with_when_and_nothing_goes_upstream() {
    let h = Harness::start_with(|c| {
        if let Some(plan) = c.plans.get_mut("free") {
            plan.windows[0].limit = 1;
        }
    })
    .await;
    let user = TgUser::new(16);
    let chat = user.private_chat();
    h.tg.push_update(Msg::new(1, &user, &chat).text("a cat").update(1));
    h.result_photo(chat.id()).await;

    h.tg.push_update(Msg::new(2, &user, &chat).text("a dog").update(2));
    let denial = h.text_containing(chat.id(), "Nothing was charged").await;
    let text = denial.text("text").unwrap_or_default();
    assert!(text.contains("try again in"), "says when: {text}");
    assert_eq!(h.upstream_calls(), 1, "nothing sent upstream");
    assert_eq!(h.used(16).await, 1, "nothing charged");
}

#[tokio::test]
async fn a_redelivered_update_is_answered_once_and_charged_once() {
    let h = Harness::start().await;
    let user = TgUser::new(17);
    let chat = user.private_chat();
    let update = Msg::new(1, &user, &chat).text("a windmill").update(1);
    h.tg.push_update(update.clone());
    h.result_photo(chat.id()).await;

    h.tg.redeliver(update);
    h.tg.wait_drained().await;
    // A later message proves the redelivery was processed before it.
    h.tg.push_update(Msg::new(2, &user, &chat).text("/quota").update(2));
    h.text_containing(chat.id(), "left in this").await;
    let photos = h.tg.calls_of("sendPhoto").len();
    assert_eq!(photos, 1, "answered once");
    assert_eq!(h.upstream_calls(), 1);
    assert_eq!(h.used(17).await, 1, "charged once");
}

#[tokio::test]
async fn a_redelivery_after_a_restart_is_not_charged_again() {
    let mut h = Harness::start().await;
    let user = TgUser::new(24);
    let chat = user.private_chat();
    let update = Msg::new(1, &user, &chat).text("a harbour").update(1);
    h.tg.push_update(update.clone());
    h.result_photo(chat.id()).await;

    h.restart().await;
    h.tg.redeliver(update);
    h.tg.wait_drained().await;
    h.tg.push_update(Msg::new(2, &user, &chat).text("/quota").update(2));
    h.text_containing(chat.id(), "left in this").await;
    assert_eq!(h.tg.calls_of("sendPhoto").len(), 1, "answered once");
    assert_eq!(h.upstream_calls(), 1);
    assert_eq!(h.used(24).await, 1, "charged once");
}

#[tokio::test]
async fn a_chinese_user_gets_chinese_replies() {
    let h = Harness::start().await;
    let user = TgUser::new(18).language("zh-hans");
    let chat = user.private_chat();
    h.tg.push_update(Msg::new(1, &user, &chat).text("/quota").update(1));
    let reply = h.text_containing(chat.id(), "剩余").await;
    assert!(
        reply
            .text("text")
            .is_some_and(|t| !t.contains("left in this"))
    );
}

#[tokio::test]
async fn a_long_chinese_prompt_reaches_upstream_whole_and_the_caption_is_cut_cleanly() {
    let h = Harness::start().await;
    let user = TgUser::new(19).language("zh-CN");
    let chat = user.private_chat();
    let prompt: String = "山水画中的小桥流水人家，"
        .chars()
        .cycle()
        .take(1500)
        .collect();
    h.tg.push_update(Msg::new(1, &user, &chat).text(&prompt).update(1));
    let photo = h.result_photo(chat.id()).await;
    let upstream = h.openai().requests();
    assert_eq!(upstream[0].field("prompt").as_deref(), Some(prompt.trim()));
    let caption = photo.text("caption").unwrap_or_default();
    assert!(
        caption.encode_utf16().count() <= 1024,
        "within Telegram's limit"
    );
    assert!(caption.contains('…'), "cut with an ellipsis: {caption}");
    assert!(prompt.starts_with(caption.split('…').next().unwrap_or("x")));
}

#[tokio::test]
async fn forget_removes_the_stored_images() {
    let h = Harness::start().await;
    let user = TgUser::new(20);
    let chat = user.private_chat();
    h.tg.push_update(Msg::new(1, &user, &chat).text("a lantern").update(1));
    let photo = h.result_photo(chat.id()).await;
    let original = photo
        .buttons()
        .into_iter()
        .find(|b| b.starts_with("o:"))
        .expect("an Original button");
    let id: easel_shared::results::ResultId = original
        .split(':')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("result id in the button");
    assert!(h.gateway_original(&id).await, "stored before /forget");

    h.tg.push_update(Msg::new(2, &user, &chat).text("/forget confirm").update(2));
    h.text_containing(chat.id(), "deleted").await;
    assert!(!h.gateway_original(&id).await, "gone after /forget");

    h.tg.push_update(callback(3, "q-orig-2", &user, &sent(&photo), &original));
    h.text_containing(chat.id(), "expired").await;
    assert!(h.tg.calls_of("sendDocument").is_empty());
}

impl Harness {
    async fn gateway_original(&self, id: &easel_shared::results::ResultId) -> bool {
        use easel_gateway::service::Gateway;
        poll_until_async("the result store to answer", || async {
            self.gateway().original(id, 0).await.ok()
        })
        .await
        .is_some()
    }
}

/// Mean absolute difference per channel between an image and encoded bytes
/// of the same size (infinite if the sizes differ).
pub(crate) fn mean_difference(a: &image::DynamicImage, b: &[u8]) -> f64 {
    let a = a.to_rgba8();
    let b = image::load_from_memory(b).expect("decodes").to_rgba8();
    if a.dimensions() != b.dimensions() {
        return f64::INFINITY;
    }
    let total: u64 = a
        .as_raw()
        .iter()
        .zip(b.as_raw())
        .map(|(x, y)| u64::from(x.abs_diff(*y)))
        .sum();
    total as f64 / a.as_raw().len() as f64
}

#[tokio::test]
async fn cancel_while_queued_refunds_and_says_so() {
    let h = Harness::start_with(|c| c.runner.concurrency = 1).await;
    // The first job holds the only worker: its upstream call never returns.
    h.openai().script([Reply::Slow(Duration::MAX)]);
    let first = TgUser::new(21);
    let second = TgUser::new(22);
    h.tg.push_update(
        Msg::new(1, &first, &first.private_chat())
            .text("a slow one")
            .update(1),
    );
    h.tg.wait_for("the first job upstream", |_| {
        (h.upstream_calls() == 1).then_some(())
    })
    .await;
    let chat = second.private_chat();
    h.tg.push_update(Msg::new(1, &second, &chat).text("a queued one").update(2));
    let status =
        h.tg.wait_call("sendMessage", chat.id(), |c| {
            c.buttons().iter().any(|b| b.starts_with("c:"))
        })
        .await;
    assert!(status.text("text").is_some_and(|t| t.contains("Queued")));
    assert_eq!(h.used(22).await, 1, "reserved while queued");
    let cancel = status
        .buttons()
        .into_iter()
        .find(|b| b.starts_with("c:"))
        .expect("a Cancel button");

    h.tg.push_update(callback(3, "q-cancel-1", &second, &sent(&status), &cancel));
    h.tg.wait_call("editMessageText", chat.id(), |c| {
        c.text("text").is_some_and(|t| t.contains("Cancelled"))
    })
    .await;
    assert_eq!(h.used(22).await, 0, "refunded");
    assert_eq!(
        h.upstream_calls(),
        1,
        "the cancelled job never went upstream"
    );
}

#[tokio::test]
async fn lang_overrides_the_telegram_language() {
    let h = Harness::start().await;
    // Telegram says English; /lang says Chinese, and Chinese wins.
    let user = TgUser::new(23);
    assert_eq!(user.language_code.as_deref(), Some("en"));
    let chat = user.private_chat();
    h.tg.push_updates([Msg::new(1, &user, &chat).text("/lang zh").update(1)]);
    let set = h.text_containing(chat.id(), "简体中文").await;
    assert!(set.text("text").is_some_and(|t| !t.contains("English")));
    h.tg.push_update(Msg::new(2, &user, &chat).text("/quota").update(2));
    let quota = h.text_containing(chat.id(), "剩余").await;
    let text = quota.text("text").unwrap_or_default();
    assert!(!text.contains("left in this"), "no English left: {text}");
}

#[tokio::test]
async fn the_bot_long_polls_for_updates() {
    // Without a timeout each getUpdates returns at once and the bot asks
    // again in a tight loop: CPU burnt, and calls Telegram may limit.
    let h = Harness::start().await;
    let user = TgUser::new(19);
    let chat = user.private_chat();
    h.tg.push_update(Msg::new(1, &user, &chat).text("/quota").update(1));
    h.tg.wait_call("sendMessage", chat.id(), |_| true).await;
    let polls = h.tg.calls_of("getUpdates");
    assert!(!polls.is_empty());
    for poll in polls {
        let timeout = poll.params.get("timeout").and_then(|t| t.as_i64());
        assert_eq!(timeout, Some(10), "every poll waits: {:?}", poll.params);
    }
}
