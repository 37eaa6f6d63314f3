//! `/apikey` on Telegram: a key's secret never lands in a group. Asked in a
//! group, the answer goes to the user's private chat (a note stays in the
//! group); when that chat is closed the group gets the hint and no key is made.

use easel_gateway::service::Gateway;
use easel_shared::UserKey;
use easel_tests::fake_telegram::updates::Msg;
use easel_tests::fake_telegram::{BOT_USERNAME, Chat, TgUser};

use super::harness::Harness;

/// Every text the bot sent to `chat`.
fn texts_to(h: &Harness, chat: i64) -> Vec<String> {
    h.tg.calls_of("sendMessage")
        .iter()
        .filter(|c| c.chat_id() == Some(chat))
        .filter_map(|c| c.text("text"))
        .collect()
}

#[tokio::test]
async fn a_key_asked_for_in_a_group_arrives_only_in_the_private_chat() {
    let h = Harness::start().await;
    let user = TgUser::new(61);
    let group = Chat::group(-100_061, "Friends");
    h.tg.push_update(
        Msg::new(1, &user, &group)
            .text(&format!("/apikey@{BOT_USERNAME} create"))
            .update(1),
    );
    h.text_containing(group.id(), "private chat").await;
    let private = h
        .text_containing(user.private_chat().id(), "Your new API key")
        .await;
    let text = private.text("text").unwrap_or_default();
    let key = text
        .split_whitespace()
        .find(|w| w.starts_with("easel-sk-") && w.len() > 30)
        .unwrap_or_else(|| panic!("no key in {text}"))
        .to_owned();
    for sent in texts_to(&h, group.id()) {
        assert!(!sent.contains("easel-sk-"), "a key in the group: {sent}");
    }
    let keys = h
        .gateway()
        .list_api_keys(UserKey::telegram(61))
        .await
        .expect("list");
    assert_eq!(keys.len(), 1);
    assert!(key.starts_with(&keys[0].prefix));

    // In the private chat the listing is answered there, without the secret.
    let chat = user.private_chat();
    h.tg.push_update(Msg::new(2, &user, &chat).text("/apikey").update(2));
    let listed = h.text_containing(chat.id(), "Your API keys").await;
    let listed = listed.text("text").unwrap_or_default();
    assert!(
        listed.contains(&keys[0].prefix) && !listed.contains(&key),
        "{listed}"
    );
}

#[tokio::test]
async fn without_a_private_chat_the_group_gets_the_hint_and_no_key_is_made() {
    let h = Harness::start().await;
    h.tg.close_private_chat(62);
    let user = TgUser::new(62);
    let group = Chat::group(-100_062, "Friends");
    h.tg.push_update(
        Msg::new(1, &user, &group)
            .text(&format!("/apikey@{BOT_USERNAME} create"))
            .update(1),
    );
    h.text_containing(group.id(), &format!("t.me/{BOT_USERNAME}"))
        .await;
    let keys = h
        .gateway()
        .list_api_keys(UserKey::telegram(62))
        .await
        .expect("list");
    assert!(keys.is_empty(), "{keys:?}");
}
