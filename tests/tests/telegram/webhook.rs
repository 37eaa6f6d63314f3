//! Webhook mode: updates posted with the right secret token are handled;
//! a wrong or missing token is refused before the dispatcher sees it.

use easel_shared::config::TelegramMode;
use easel_shared::secret::Secret;
use easel_tests::fake_telegram::TgUser;
use easel_tests::fake_telegram::updates::Msg;

use super::harness::Harness;

const SECRET: &str = "hook-secret_42";

#[tokio::test]
async fn webhook_mode_refuses_a_wrong_secret_token() {
    let h = Harness::start_with(|c| {
        c.telegram.mode = TelegramMode::Webhook;
        c.telegram.webhook_url = "https://bot.example.test/tg-hook".into();
        c.telegram.webhook_secret = Secret::new(SECRET);
    })
    .await;
    let set = h.tg.calls_of("setWebhook");
    assert_eq!(set[0].text("secret_token").as_deref(), Some(SECRET));
    let addr = h.webhook.expect("webhook address");
    let url = format!("http://{addr}/tg-hook");
    let user = TgUser::new(41);
    let chat = user.private_chat();
    let client = reqwest::Client::new();
    let post = |update: serde_json::Value, secret: Option<&str>| {
        let mut req = client.post(&url).json(&update);
        if let Some(s) = secret {
            req = req.header("X-Telegram-Bot-Api-Secret-Token", s);
        }
        req.send()
    };

    for (i, wrong) in [Some("hook-secret_41"), Some(""), None]
        .into_iter()
        .enumerate()
    {
        let update = Msg::new(i as i64 + 1, &user, &chat)
            .text("/help")
            .update(i as i64 + 1);
        let status = post(update, wrong).await.expect("post").status();
        assert_eq!(status, reqwest::StatusCode::UNAUTHORIZED, "{wrong:?}");
    }
    let update = Msg::new(10, &user, &chat).text("/quota").update(10);
    let status = post(update, Some(SECRET)).await.expect("post").status();
    assert!(status.is_success(), "{status}");
    h.text_containing(chat.id(), "left in this").await;
    let answered = h.tg.calls_of("sendMessage");
    assert_eq!(
        answered.len(),
        1,
        "only the update with the right secret was handled"
    );
}
