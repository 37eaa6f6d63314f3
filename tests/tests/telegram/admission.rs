//! Admission before work and private admin answers: a user who would be
//! refused costs no getFile and no download; admin answers carrying codes
//! or personal data never land in a group.

use std::time::Duration;

use easel_gateway::service::Gateway;
use easel_shared::UserKey;
use easel_shared::admin::{AdminActor, AdminOp, AdminReply};
use easel_shared::config::{AccessMode, PlanConfig, WindowConfig};
use easel_tests::fake_openai::known_png;
use easel_tests::fake_telegram::updates::Msg;
use easel_tests::fake_telegram::{BOT_USERNAME, Chat, TgUser};

use super::harness::{ADMIN, Harness};

/// Sends an album of `photos` photos from `user` in their private chat.
fn send_album(h: &Harness, user: &TgUser, photos: usize) {
    let chat = user.private_chat();
    let files: Vec<String> = (0..photos)
        .map(|i| h.tg.add_file(known_png(60 + i as u8)))
        .collect();
    let items = files.iter().enumerate().map(|(i, file)| {
        let msg = Msg::new(20 + i as i64, user, &chat)
            .photo(file)
            .media_group("album-refused");
        let msg = if i == 0 {
            msg.caption("put them on a beach")
        } else {
            msg
        };
        msg.update(100 + i as i64)
    });
    h.tg.push_updates(items.collect::<Vec<_>>());
}

/// Asserts the bot fetched nothing and sent nothing upstream.
fn assert_no_work(h: &Harness) {
    assert_eq!(h.tg.calls_of("getFile").len(), 0, "no getFile");
    assert_eq!(h.tg.downloads(), 0, "no file download");
    assert_eq!(h.upstream_calls(), 0, "nothing upstream");
}

#[tokio::test]
async fn an_album_from_a_user_without_a_code_is_refused_before_any_download() {
    let h = Harness::start_with(|c| c.access.mode = AccessMode::Code).await;
    let user = TgUser::new(41);
    send_album(&h, &user, 3);
    h.text_containing(user.private_chat().id(), "You need an access code")
        .await;
    h.tg.wait_drained().await;
    assert_no_work(&h);
}

#[tokio::test]
async fn an_album_from_a_banned_user_is_refused_before_any_download() {
    let h = Harness::start().await;
    let user = TgUser::new(42);
    let ban = AdminOp::Ban {
        user: UserKey::telegram(42),
        banned: true,
        reason: "test".into(),
    };
    let admin = AdminActor::User(UserKey::telegram(ADMIN));
    h.gateway().admin(admin, ban).await.expect("ban");
    send_album(&h, &user, 3);
    h.text_containing(user.private_chat().id(), "banned").await;
    h.tg.wait_drained().await;
    assert_no_work(&h);
}

#[tokio::test]
async fn an_album_over_quota_is_refused_before_any_download() {
    let h = Harness::start_with(|c| {
        c.plans.insert(
            "free".into(),
            PlanConfig {
                windows: vec![WindowConfig {
                    limit: 1,
                    period: Duration::from_secs(3600),
                }],
                max_in_flight: 0,
                burst: None,
                ..PlanConfig::default()
            },
        );
    })
    .await;
    let user = TgUser::new(43);
    let chat = user.private_chat();
    h.tg.push_update(Msg::new(1, &user, &chat).text("a lighthouse").update(1));
    h.result_photo(chat.id()).await;
    assert_eq!(h.used(43).await, 1, "the window is full");

    send_album(&h, &user, 2);
    h.text_containing(chat.id(), "Quota used up").await;
    h.tg.wait_drained().await;
    assert_eq!(h.tg.calls_of("getFile").len(), 0, "no getFile");
    assert_eq!(h.tg.downloads(), 0, "no file download");
    assert_eq!(
        h.upstream_calls(),
        1,
        "only the first request went upstream"
    );
    assert_eq!(h.used(43).await, 1, "nothing more charged");
}

#[tokio::test]
async fn an_album_larger_than_the_plan_allows_is_refused_naming_the_limit() {
    let h = Harness::start_with(|c| {
        if let Some(plan) = c.plans.get_mut("free") {
            plan.max_inputs = 2;
        }
    })
    .await;
    let user = TgUser::new(44);
    send_album(&h, &user, 3);
    // The sender may send images: only the whole album, once collected, is
    // over the limit.
    h.finish_albums(&user, &user.private_chat(), 900).await;
    let refused = h
        .text_containing(user.private_chat().id(), "At most 2 images")
        .await;
    assert!(
        refused
            .text("text")
            .is_some_and(|t| t.contains("nothing was charged"))
    );
    h.tg.wait_drained().await;
    assert_no_work(&h);
    assert_eq!(h.used(44).await, 0);
}

/// Every text the bot sent to `chat`.
fn texts_to(h: &Harness, chat: i64) -> Vec<String> {
    h.tg.calls_of("sendMessage")
        .iter()
        .filter(|c| c.chat_id() == Some(chat))
        .filter_map(|c| c.text("text"))
        .collect()
}

#[tokio::test]
async fn codes_minted_in_a_group_arrive_only_in_the_admins_private_chat() {
    let h = Harness::start().await;
    let admin = TgUser::new(ADMIN);
    let group = Chat::group(-100_045, "Staff");
    h.tg.push_update(
        Msg::new(1, &admin, &group)
            .text(&format!("/codes@{BOT_USERNAME} mint 2 credits=5"))
            .update(1),
    );
    h.text_containing(group.id(), "private chat").await;
    let private = h.text_containing(ADMIN as i64, "new codes").await;
    let text = private.text("text").unwrap_or_default();
    let codes: Vec<String> = text
        .lines()
        .skip(1)
        .filter_map(|l| l.split_whitespace().next().map(str::to_owned))
        .collect();
    assert_eq!(codes.len(), 2, "{text}");
    for sent in texts_to(&h, group.id()) {
        assert!(!sent.contains("new codes"), "{sent}");
        for code in &codes {
            assert!(!sent.contains(code.as_str()), "a code in the group: {sent}");
        }
    }
}

#[tokio::test]
async fn an_admin_without_a_private_chat_gets_the_hint_and_nothing_is_minted() {
    let h = Harness::start().await;
    h.tg.close_private_chat(ADMIN as i64);
    let admin = TgUser::new(ADMIN);
    let group = Chat::group(-100_046, "Staff");
    h.tg.push_update(
        Msg::new(1, &admin, &group)
            .text(&format!("/codes@{BOT_USERNAME} mint 1 credits=5"))
            .update(1),
    );
    let hint = h
        .text_containing(group.id(), &format!("t.me/{BOT_USERNAME}"))
        .await;
    assert!(
        hint.text("text")
            .is_some_and(|t| t.contains("start a private chat"))
    );
    for sent in texts_to(&h, group.id()) {
        assert!(!sent.contains("new codes"), "{sent}");
    }
    let actor = AdminActor::User(UserKey::telegram(ADMIN));
    let listed = h.gateway().admin(actor, AdminOp::ListCodes).await;
    assert!(
        matches!(listed, Ok(AdminReply::Codes(ref c)) if c.is_empty()),
        "{listed:?}"
    );
}

#[tokio::test]
async fn a_refused_album_is_answered_when_its_first_photo_arrives() {
    let h = Harness::start_with(|c| {
        c.access.mode = AccessMode::Code;
        // The album cannot be complete for an hour: any answer within the
        // test comes from the check on its first photo.
        c.telegram.album_debounce = Duration::from_secs(3600);
    })
    .await;
    let user = TgUser::new(47);
    let chat = user.private_chat().id();
    send_album(&h, &user, 3);
    h.text_containing(chat, "You need an access code").await;
    h.tg.wait_drained().await;
    assert_no_work(&h);
    assert_eq!(texts_to(&h, chat).len(), 1, "answered once");
}
