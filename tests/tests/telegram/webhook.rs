//! Webhook mode: updates posted with the right secret token are handled;
//! a wrong or missing token is refused before the dispatcher sees it; an
//! update that reaches two replicas is handled once.

use std::sync::Arc;

use easel_gateway::service::Gateway;
use easel_shared::config::{Config, TelegramMode};
use easel_shared::secret::Secret;
use easel_tests::fake_openai::FakeOpenAi;
use easel_tests::fake_telegram::updates::Msg;
use easel_tests::fake_telegram::{FakeTelegram, TgUser};
use easel_tests::ledger::unique_prefix;
use easel_tests::stack::Stack;

use super::harness::{Harness, TOKEN, tune};

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

/// Two replicas behind a load balancer: two bots, each embedding its own
/// gateway on one Redis prefix, each serving its own webhook. Telegram's
/// redelivery of one update reaches both; it is handled once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_update_delivered_to_two_replicas_is_handled_once() {
    let tg = FakeTelegram::start(TOKEN).await;
    let openai = FakeOpenAi::start().await;
    let prefix = unique_prefix("tg-webhook-replicas");
    let mut hooks = Vec::new();
    let mut stops = Vec::new();
    let mut stacks = Vec::new();
    for _ in 0..2 {
        let stack = Stack::start_on_redis(openai.clone(), &prefix, |c| {
            tune(c, &tg);
            c.telegram.mode = TelegramMode::Webhook;
            c.telegram.webhook_url = "https://bot.example.test/tg-hook".into();
            c.telegram.webhook_secret = Secret::new(SECRET);
        })
        .await;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        hooks.push(format!("http://{}/tg-hook", listener.local_addr().unwrap()));
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let config = Config::clone(&stack.config.load());
        let gateway: Arc<dyn Gateway> = stack.gateway.clone();
        let clock = stack.clock.clone();
        tokio::spawn(async move {
            let shutdown = async move {
                let _ = stopped.await;
            };
            easel_bot::telegram::run_with_clock(config, gateway, shutdown, Some(listener), clock)
                .await
                .expect("telegram bot");
        });
        stops.push(stop);
        stacks.push(stack);
    }
    tg.wait_for("both replicas to register the webhook", |calls| {
        (calls.iter().filter(|c| c.method == "setwebhook").count() == 2).then_some(())
    })
    .await;
    let user = TgUser::new(77);
    let chat = user.private_chat();
    let update = Msg::new(5, &user, &chat).text("/quota").update(500);
    let client = reqwest::Client::new();
    for hook in &hooks {
        let status = client
            .post(hook)
            .header("X-Telegram-Bot-Api-Secret-Token", SECRET)
            .json(&update)
            .send()
            .await
            .expect("post")
            .status();
        assert_eq!(status, reqwest::StatusCode::OK, "{hook}: acknowledged");
    }
    // Both answers are in: the duplicate was dropped before any handler
    // (its 200 came after the claim), so the one reply is all there will be.
    tg.wait_for("the reply", |calls| {
        calls
            .iter()
            .any(|c| c.method == "sendmessage")
            .then_some(())
    })
    .await;
    assert_eq!(tg.calls_of("sendMessage").len(), 1, "handled once");
    // A new update for the same chat on the replica that got the duplicate:
    // the dispatcher handles one chat's updates in order, so had the
    // duplicate been dispatched there, its reply would come first.
    let next = Msg::new(6, &user, &chat).text("/help").update(501);
    let status = client
        .post(&hooks[1])
        .header("X-Telegram-Bot-Api-Secret-Token", SECRET)
        .json(&next)
        .send()
        .await
        .expect("post")
        .status();
    assert_eq!(status, reqwest::StatusCode::OK);
    let is_quota = |c: &easel_tests::fake_telegram::Call| {
        c.text("text").is_some_and(|t| t.contains("left in this"))
    };
    tg.wait_for("the help reply", |calls| {
        calls
            .iter()
            .any(|c| c.method == "sendmessage" && !is_quota(c))
            .then_some(())
    })
    .await;
    let quota_replies = tg
        .calls_of("sendMessage")
        .into_iter()
        .filter(is_quota)
        .count();
    assert_eq!(quota_replies, 1, "the duplicate was never handled");
    drop(stops);
}
