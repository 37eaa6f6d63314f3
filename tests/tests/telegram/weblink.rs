//! `/web` on Telegram: the one-time sign-in link signs its holder in, so it
//! never lands in a group and is always sent without a link preview (a
//! preview fetcher would be the first to open it); without
//! `http.public_url` the user hears the pages are not set up.

use easel_tests::fake_telegram::updates::Msg;
use easel_tests::fake_telegram::{BOT_USERNAME, Chat, TgUser};

use super::harness::Harness;

#[tokio::test]
async fn a_link_asked_for_in_a_group_arrives_privately_without_a_preview() {
    let h = Harness::start_with(|c| c.http.public_url = "https://easel.example.org".into()).await;
    let user = TgUser::new(71);
    let group = Chat::group(-100_071, "Friends");
    h.tg.push_update(
        Msg::new(1, &user, &group)
            .text(&format!("/web@{BOT_USERNAME}"))
            .update(1),
    );
    h.text_containing(group.id(), "private chat").await;
    let private = h
        .text_containing(
            user.private_chat().id(),
            "https://easel.example.org/web/link?t=",
        )
        .await;
    assert_eq!(
        private.params["link_preview_options"]["is_disabled"],
        serde_json::json!(true)
    );
    for sent in h.tg.calls_of("sendMessage") {
        if sent.chat_id() == Some(group.id()) {
            let text = sent.text("text").unwrap_or_default();
            assert!(!text.contains("/web/link"), "a link in the group: {text}");
        }
    }
}

#[tokio::test]
async fn without_a_public_url_the_user_hears_the_pages_are_not_set_up() {
    let h = Harness::start().await;
    let user = TgUser::new(72);
    let chat = user.private_chat();
    h.tg.push_update(Msg::new(1, &user, &chat).text("/web").update(1));
    h.text_containing(chat.id(), "not set up").await;
}
