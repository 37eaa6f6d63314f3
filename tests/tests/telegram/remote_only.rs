//! What only remote mode has: the gateway process is down.

use easel_tests::fake_telegram::TgUser;
use easel_tests::fake_telegram::updates::Msg;

use super::suite::harness::Harness;

/// The gateway process is gone: the user is told Easel is temporarily
/// unavailable (nothing charged), for an image request and for /quota alike,
/// and the bot keeps running.
#[tokio::test]
async fn a_dead_remote_gateway_tells_the_user_it_is_temporarily_unavailable() {
    // A port nobody listens on: bound, then released.
    let dead = {
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        l.local_addr().unwrap()
    };
    let h = Harness::start_with(|c| c.gateway.url = format!("http://{dead}")).await;
    let user = TgUser::new(41);
    let chat = user.private_chat();

    h.tg.push_update(Msg::new(1, &user, &chat).text("a lighthouse").update(1));
    let told = h
        .text_containing(chat.id(), "temporarily unavailable")
        .await;
    let text = told.text("text").unwrap_or_default();
    assert!(text.contains("Nothing was charged"), "{text}");

    h.tg.push_update(Msg::new(2, &user, &chat).text("/quota").update(2));
    let replies = |calls: &[easel_tests::fake_telegram::Call]| {
        let n = calls
            .iter()
            .filter(|c| c.method == "sendmessage" && c.chat_id() == Some(chat.id()))
            .filter(|c| {
                c.text("text")
                    .is_some_and(|t| t.contains("temporarily unavailable"))
            })
            .count();
        (n >= 2).then_some(())
    };
    h.tg.wait_for("/quota to be answered", replies).await;

    assert_eq!(h.upstream_calls(), 0, "nothing reached the image model");
    assert_eq!(h.used(41).await, 0, "nothing was charged");
}
