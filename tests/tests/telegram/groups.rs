//! Groups and admins: the bot stays silent unless addressed; admin commands
//! are refused to others; access codes redeem once.

use easel_tests::fake_telegram::updates::Msg;
use easel_tests::fake_telegram::{BOT_USERNAME, Chat, TgUser, poll_until_async};

use super::harness::{ADMIN, Harness};

#[tokio::test]
async fn a_group_message_without_a_trigger_is_ignored() {
    let h = Harness::start().await;
    let user = TgUser::new(31);
    let group = Chat::group(-100_031, "Friends");
    h.tg.push_updates([
        Msg::new(1, &user, &group)
            .text("a castle on a hill")
            .update(1),
        Msg::new(2, &user, &group)
            .text("/img@SomeOtherBot a castle")
            .update(2),
    ]);
    h.tg.wait_drained().await;
    // A triggered message afterwards is answered, so the two before it
    // were seen and deliberately ignored.
    h.tg.push_update(
        Msg::new(3, &user, &group)
            .text(&format!("/img@{BOT_USERNAME} a castle at night"))
            .update(3),
    );
    let photo = h.result_photo(group.id()).await;
    assert!(
        photo
            .text("caption")
            .is_some_and(|c| c.starts_with("a castle at night"))
    );
    let upstream = h.openai().requests();
    assert_eq!(
        upstream.len(),
        1,
        "only the addressed message went upstream"
    );
    assert_eq!(
        upstream[0].field("prompt").as_deref(),
        Some("a castle at night")
    );
    let answered: Vec<i64> =
        h.tg.calls_of("sendMessage")
            .iter()
            .chain(h.tg.calls_of("sendPhoto").iter())
            .filter_map(|c| {
                c.params
                    .get("reply_parameters")
                    .and_then(|r| r.get("message_id"))
                    .and_then(|m| m.as_i64())
            })
            .collect();
    assert!(
        !answered.contains(&1) && !answered.contains(&2),
        "{answered:?}"
    );
}

#[tokio::test]
async fn a_mention_in_a_group_is_a_request() {
    let h = Harness::start().await;
    let user = TgUser::new(32);
    let group = Chat::group(-100_032, "Friends");
    h.tg.push_update(
        Msg::new(1, &user, &group)
            .text(&format!("@{BOT_USERNAME} a paper boat"))
            .update(1),
    );
    h.result_photo(group.id()).await;
    assert_eq!(
        h.openai().requests()[0].field("prompt").as_deref(),
        Some("a paper boat")
    );
}

#[tokio::test]
async fn an_admin_command_from_a_non_admin_is_refused() {
    let h = Harness::start().await;
    let user = TgUser::new(33);
    let chat = user.private_chat();
    h.tg.push_update(Msg::new(1, &user, &chat).text("/grant 33 100").update(1));
    h.text_containing(chat.id(), "Only Easel's admins").await;
    let status = h.gateway_quota(33).await;
    assert_eq!(status.credits, 0, "nothing granted");
}

#[tokio::test]
async fn a_minted_code_redeems_once_and_the_second_time_is_refused() {
    let h = Harness::start().await;
    let admin = TgUser::new(ADMIN);
    let admin_chat = admin.private_chat();
    h.tg.push_update(
        Msg::new(1, &admin, &admin_chat)
            .text("/codes mint 1 credits=5")
            .update(1),
    );
    let minted = h.text_containing(admin_chat.id(), "new codes").await;
    let text = minted.text("text").unwrap_or_default();
    let code = text
        .lines()
        .nth(1)
        .and_then(|l| l.split_whitespace().next())
        .expect("a code line")
        .to_owned();

    let user = TgUser::new(34);
    let chat = user.private_chat();
    h.tg.push_update(
        Msg::new(1, &user, &chat)
            .text(&format!("/redeem {code}"))
            .update(2),
    );
    h.text_containing(chat.id(), "Code redeemed").await;
    assert_eq!(h.gateway_quota(34).await.credits, 5);

    h.tg.push_update(
        Msg::new(2, &user, &chat)
            .text(&format!("/redeem {code}"))
            .update(3),
    );
    h.text_containing(chat.id(), "already redeemed").await;
    assert_eq!(h.gateway_quota(34).await.credits, 5, "credited once");
}

impl Harness {
    async fn gateway_quota(&self, user: u64) -> easel_shared::QuotaStatus {
        use easel_gateway::service::Gateway;
        self.gateway()
            .quota(easel_shared::UserKey::telegram(user))
            .await
            .expect("quota")
    }
}

#[tokio::test]
async fn admins_hear_once_when_the_daily_budget_is_reached() {
    let h = Harness::start_with(|c| {
        c.spend.daily_cap_micros = 50_000;
        c.backends.prices.insert(
            "gpt-image-1.5".into(),
            easel_shared::config::ModelPrice {
                default_per_image: 40_000,
                ..Default::default()
            },
        );
    })
    .await;
    let user = TgUser::new(35);
    let chat = user.private_chat();
    h.tg.push_update(Msg::new(1, &user, &chat).text("a first picture").update(1));
    h.result_photo(chat.id()).await;
    for (id, update) in [(2, 2), (3, 3)] {
        h.tg.push_update(Msg::new(id, &user, &chat).text("one more").update(update));
    }
    h.tg.wait_for("two budget denials", |calls| {
        let denials = calls
            .iter()
            .filter(|c| c.chat_id() == Some(chat.id()))
            .filter(|c| c.text("text").is_some_and(|t| t.contains("daily budget")))
            .count();
        (denials == 2).then_some(())
    })
    .await;
    let to_admin =
        h.tg.wait_call("sendMessage", ADMIN as i64, |c| {
            c.text("text").is_some_and(|t| t.contains("daily budget"))
        })
        .await;
    assert!(to_admin.text("text").is_some_and(|t| t.contains("reached")));
    assert_eq!(h.upstream_calls(), 1, "denied requests never went upstream");
    // The bot sends a denial's admin notice before the denial itself, so
    // with both denials answered every notice they caused is already out.
    let notices =
        h.tg.calls_of("sendMessage")
            .iter()
            .filter(|c| c.chat_id() == Some(ADMIN as i64))
            .count();
    assert_eq!(notices, 1, "told once, not per denial");
}

#[tokio::test]
async fn admins_name_users_by_username_once_seen_and_changes_apply_at_once() {
    let h = Harness::start().await;
    let admin = TgUser::new(ADMIN);
    let admin_chat = admin.private_chat();
    h.tg.push_update(
        Msg::new(1, &admin, &admin_chat)
            .text("/grant @user36 7")
            .update(1),
    );
    h.text_containing(admin_chat.id(), "@user36").await;
    assert_eq!(
        h.gateway_quota(36).await.credits,
        0,
        "not seen yet: nothing granted"
    );

    let user = TgUser::new(36);
    h.tg.push_update(
        Msg::new(1, &user, &user.private_chat())
            .text("/start")
            .update(2),
    );
    h.tg.wait_call("sendMessage", user.private_chat().id(), |_| true)
        .await;
    h.tg.push_update(
        Msg::new(2, &admin, &admin_chat)
            .text("/grant @user36 7")
            .update(3),
    );
    poll_until_async("the grant to land", || async {
        (h.gateway_quota(36).await.credits == 7).then_some(())
    })
    .await;
}
