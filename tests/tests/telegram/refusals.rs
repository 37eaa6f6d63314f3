//! What the bot does when Telegram refuses it: "message is not modified"
//! on the progress message, captions over Telegram's 1024 limit, and
//! replies over its 4096 limit.

use easel_tests::fake_openai::Reply;
use easel_tests::fake_telegram::updates::Msg;
use easel_tests::fake_telegram::{CAPTION_MAX, Call, NOT_MODIFIED, TEXT_MAX, TgUser};

use super::harness::{ADMIN, Harness};

/// Regression: the failure text replaces the progress message by an edit;
/// when Telegram answered that the message already showed it, the bot sent
/// the same text again as a new message.
#[tokio::test]
async fn message_is_not_modified_on_the_progress_message_is_ignored_quietly() {
    let h = Harness::start().await;
    let user = TgUser::new(31);
    let chat = user.private_chat();
    h.openai().script([Reply::ModerationBlocked]);
    h.tg.refuse_next("editMessageText", NOT_MODIFIED);
    h.tg.push_update(
        Msg::new(1, &user, &chat)
            .text("a forbidden thing")
            .update(1),
    );

    let edit = h.tg.wait_call("editMessageText", chat.id(), |_| true).await;
    assert!(edit.result.is_none(), "the fake refused it");
    let failure = edit.text("text").unwrap_or_default();
    assert!(failure.contains("Nothing was charged"), "{failure}");

    // The bot carries on: the next request is answered normally...
    h.tg.push_update(Msg::new(2, &user, &chat).text("a lighthouse").update(2));
    let photo = h.result_photo(chat.id()).await;
    assert!(photo.result.is_some());
    // ...and the failure was never sent a second time.
    let repeats =
        h.tg.calls_of("sendMessage")
            .into_iter()
            .filter(|c| c.text("text").as_deref() == Some(failure.as_str()))
            .count();
    assert_eq!(repeats, 0, "no duplicate of the failure text");
    assert_eq!(h.used(31).await, 1, "only the delivered image is charged");
}

/// Regression: a prompt of a few graphemes that are each very long (a letter
/// under hundreds of combining marks) still made a caption over 1024 after
/// every shortening; Telegram refused the photo and the user got nothing.
#[tokio::test]
async fn a_result_caption_over_1024_is_cut_so_telegram_accepts_it() {
    let h = Harness::start().await;
    let user = TgUser::new(32);
    let chat = user.private_chat();
    let heavy: String = std::iter::once('Z')
        .chain(std::iter::repeat_n('\u{0301}', 1500))
        .collect();
    let families = "👨‍👩‍👧‍👦".repeat(300);
    for (i, prompt) in [heavy.clone(), families].into_iter().enumerate() {
        let id = i as i64 + 1;
        h.tg.push_update(Msg::new(id, &user, &chat).text(&prompt).update(id));
        let photo =
            h.tg.wait_call("sendPhoto", chat.id(), |c| {
                c.result.is_some() && reply_to(c) == Some(id)
            })
            .await;
        let caption = photo.text("caption").unwrap_or_default();
        assert!(
            caption.encode_utf16().count() <= CAPTION_MAX,
            "{}",
            caption.len()
        );
        assert!(caption.contains('…'), "cut with an ellipsis");
        assert!(
            caption.contains("left"),
            "the quota line survives: {caption}"
        );
    }
    let refused =
        h.tg.calls_of("sendPhoto")
            .iter()
            .filter(|c| c.result.is_none())
            .count();
    assert_eq!(refused, 0, "Telegram never had to refuse a caption");
    assert_eq!(
        h.openai().requests()[0].field("prompt").as_deref(),
        Some(heavy.as_str())
    );
}

/// The message id a call replies to.
fn reply_to(call: &Call) -> Option<i64> {
    call.params
        .get("reply_parameters")
        .and_then(|r| r.get("message_id"))
        .and_then(serde_json::Value::as_i64)
}

/// Regression: a reply over Telegram's 4096 limit (100 minted codes, a
/// long code list) was refused whole and the admin saw nothing at all.
#[tokio::test]
async fn a_reply_over_4096_arrives_in_parts_telegram_accepts() {
    let h = Harness::start().await;
    let admin = TgUser::new(ADMIN);
    let chat = admin.private_chat();
    h.tg.push_update(
        Msg::new(1, &admin, &chat)
            .text("/codes mint 100 credits=1")
            .update(1),
    );
    let code_lines = |calls: &[Call]| -> Vec<String> {
        calls
            .iter()
            .filter(|c| c.method == "sendmessage" && c.chat_id() == Some(chat.id()))
            .filter(|c| c.result.is_some())
            .filter_map(|c| c.text("text"))
            .flat_map(|t| t.lines().map(str::to_owned).collect::<Vec<_>>())
            .filter(|l| l.ends_with(')') && l.contains("  ("))
            .collect()
    };
    let lines =
        h.tg.wait_for("all 100 codes delivered", |calls| {
            let lines = code_lines(calls);
            (lines.len() >= 100).then_some(lines)
        })
        .await;
    assert_eq!(lines.len(), 100, "each code once");
    let sent = h.tg.calls_of("sendMessage");
    assert!(
        sent.iter().all(|c| c.result.is_some()),
        "Telegram refused none"
    );
    assert!(sent.len() > 1, "it took more than one message");
    for c in &sent {
        let text = c.text("text").unwrap_or_default();
        assert!(text.encode_utf16().count() <= TEXT_MAX);
        assert!(
            !text.starts_with('\n') && !text.ends_with('\n'),
            "split between lines"
        );
    }
}
