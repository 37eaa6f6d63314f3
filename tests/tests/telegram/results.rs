//! How results look: several images as an album with the buttons after it,
//! streamed partial previews, and a chat that stays responsive while a
//! long job runs.

use std::time::Duration;

use easel_tests::fake_openai::{FakeOpenAi, Reply, known_png};
use easel_tests::fake_telegram::TgUser;
use easel_tests::fake_telegram::updates::{Msg, callback};

use super::harness::{Harness, sent};

#[tokio::test]
async fn several_images_arrive_as_an_album_then_the_buttons() {
    let h = Harness::start().await;
    let user = TgUser::new(51);
    let chat = user.private_chat();
    h.tg.push_update(Msg::new(1, &user, &chat).text("two owls --n 2").update(1));
    let album = h.tg.wait_call("sendMediaGroup", chat.id(), |_| true).await;
    let bytes: Vec<_> = album.uploads.iter().map(|u| u.bytes.clone()).collect();
    assert_eq!(
        bytes,
        [FakeOpenAi::final_image(0), FakeOpenAi::final_image(1)]
    );
    let buttons =
        h.tg.wait_call("sendMessage", chat.id(), |c| {
            c.buttons().iter().any(|b| b.starts_with("a:"))
        })
        .await;
    let text = buttons.text("text").unwrap_or_default();
    assert!(text.contains("two owls"), "{text}");
    let second = buttons
        .buttons()
        .into_iter()
        .find(|b| b.starts_with("o:") && b.ends_with(":1"))
        .expect("an Original button for the second image");
    assert_eq!(h.used(51).await, 2, "two images, two credits");

    h.tg.push_update(callback(2, "q-orig-51", &user, &sent(&buttons), &second));
    let doc = h.tg.wait_call("sendDocument", chat.id(), |_| true).await;
    assert_eq!(doc.uploads[0].bytes, FakeOpenAi::final_image(1));
}

#[tokio::test]
async fn streamed_partials_are_shown_before_the_result() {
    let h = Harness::start_with(|c| c.backends.chain[0].partial_images = 2).await;
    let user = TgUser::new(52);
    let chat = user.private_chat();
    h.tg.push_update(Msg::new(1, &user, &chat).text("a comet").update(1));
    h.result_photo(chat.id()).await;
    let calls = h.tg.visible_calls(chat.id());
    let previews: Vec<_> = calls
        .iter()
        .filter(|c| {
            (c.method == "sendphoto" && c.text("caption").is_none())
                || c.method == "editmessagemedia"
        })
        .collect();
    assert!(!previews.is_empty(), "a partial preview was shown");
    let partials = [FakeOpenAi::partial_image(0), FakeOpenAi::partial_image(1)];
    for p in &previews {
        assert!(
            partials.contains(&p.uploads[0].bytes),
            "previews are the partials"
        );
    }
    assert!(
        h.tg.calls_of("deleteMessage").len() >= 2,
        "progress and preview are removed once the result is there"
    );
}

/// The job's upstream call never returns, so the /quota answer can only
/// come from a chat that is not blocked behind it, and it counts the job.
#[tokio::test]
async fn the_chat_stays_responsive_while_a_job_runs() {
    let h = Harness::start().await;
    h.openai().script([Reply::Slow(Duration::MAX)]);
    let user = TgUser::new(53);
    let chat = user.private_chat();
    h.tg.push_update(Msg::new(1, &user, &chat).text("a slow painting").update(1));
    h.tg.wait_for("the job upstream", |_| {
        (h.upstream_calls() == 1).then_some(())
    })
    .await;
    h.tg.push_update(Msg::new(2, &user, &chat).text("/quota").update(2));
    let quota = h.text_containing(chat.id(), "left in this").await;
    let text = quota.text("text").unwrap_or_default();
    assert!(
        text.contains("9/10 left"),
        "the running job is reserved: {text}"
    );
    assert!(text.contains("1 request running now"), "{text}");
}

#[tokio::test]
async fn a_photo_that_is_not_an_image_is_explained_and_not_charged() {
    let h = Harness::start().await;
    let user = TgUser::new(54);
    let chat = user.private_chat();
    let junk = h.tg.add_file(&b"definitely not a picture"[..]);
    h.tg.push_update(
        Msg::new(1, &user, &chat)
            .photo(&junk)
            .caption("make it blue")
            .update(1),
    );
    let reply = h.text_containing(chat.id(), "cannot be used").await;
    let text = reply.text("text").unwrap_or_default();
    assert!(
        text.contains("Image 1") && text.contains("not an image"),
        "{text}"
    );
    assert_eq!(h.upstream_calls(), 0);
    assert_eq!(h.used(54).await, 0);
}

#[tokio::test]
async fn a_429_from_telegram_is_honoured_and_the_reply_still_arrives() {
    let h = Harness::start().await;
    let user = TgUser::new(55);
    let chat = user.private_chat();
    h.tg.rate_limit("sendMessage", 1, 1);
    h.tg.push_update(Msg::new(1, &user, &chat).text("/quota").update(1));
    h.tg.wait_call("sendMessage", chat.id(), |c| {
        c.result.is_some() && c.text("text").is_some_and(|t| t.contains("left in this"))
    })
    .await;
    let sends = h.tg.calls_of("sendMessage");
    assert_eq!(
        sends.len(),
        2,
        "one refused with retry_after, then one retried"
    );
    assert!(sends[0].result.is_none());
}

#[tokio::test]
async fn edit_asks_what_to_change_and_the_reply_refines_the_result() {
    let h = Harness::start().await;
    let user = TgUser::new(56);
    let chat = user.private_chat();
    h.tg.push_update(Msg::new(1, &user, &chat).text("a snowman").update(1));
    let photo = h.result_photo(chat.id()).await;
    let edit = photo
        .buttons()
        .into_iter()
        .find(|b| b.starts_with("e:"))
        .expect("an Edit button");
    h.tg.push_update(callback(2, "q-edit-56", &user, &sent(&photo), &edit));
    let question = h.text_containing(chat.id(), "What should I change").await;

    h.tg.push_update(
        Msg::new(3, &user, &chat)
            .text("give him a red scarf")
            .reply_to(&sent(&question))
            .update(3),
    );
    h.tg.wait_for("the refinement upstream", |_| {
        (h.upstream_calls() == 2).then_some(())
    })
    .await;
    let refine = &h.openai().requests()[1];
    assert_eq!(refine.path, "/v1/images/edits");
    assert_eq!(
        refine.field("prompt").as_deref(),
        Some("give him a red scarf")
    );
}

#[tokio::test]
async fn a_photo_without_words_is_asked_about_and_the_reply_edits_it() {
    let h = Harness::start().await;
    let user = TgUser::new(57);
    let chat = user.private_chat();
    let file = h.tg.add_file(known_png(77));
    h.tg.push_update(Msg::new(1, &user, &chat).photo(&file).update(1));
    let question =
        h.tg.wait_call("sendPhoto", chat.id(), |c| {
            c.text("caption")
                .is_some_and(|t| t.contains("What should I change"))
        })
        .await;
    assert_eq!(h.used(57).await, 0, "asking costs nothing");

    h.tg.push_update(
        Msg::new(2, &user, &chat)
            .text("turn it into a watercolour")
            .reply_to(&sent(&question))
            .update(2),
    );
    h.tg.wait_for("the edit upstream", |_| {
        (h.upstream_calls() == 1).then_some(())
    })
    .await;
    let edit = &h.openai().requests()[0];
    assert_eq!(edit.path, "/v1/images/edits");
    assert_eq!(
        edit.field("prompt").as_deref(),
        Some("turn it into a watercolour")
    );
    assert_eq!(edit.parts.iter().filter(|p| p.name == "image[]").count(), 1);
}
