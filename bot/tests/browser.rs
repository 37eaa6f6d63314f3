//! The web pages in a real browser: the built `easel` binary runs with the
//! fake OpenAI and the fake Telegram (this process), and Node runs
//! Playwright scenarios (`tests/web/scenarios/*.cjs`, npm `playwright-core`
//! pinned in `tests/web/package-lock.json`, installed by `tests/web/setup.sh`)
//! against Debian's `/usr/bin/chromium`, headless. Never a browser
//! download. Screenshots land in `docs/screenshots/`.
//!
//! Without chromium the test FAILS saying how to install it: a skipped
//! browser test would claim nothing.
//!
//! Add a scenario: a `.cjs` file under `tests/web/scenarios/` (see
//! `signin.cjs`) and a `#[tokio::test]` here (or in `browser/`) that starts
//! a [`Site`] and calls [`Site::scenario`] with the values it needs.

#[path = "browser/site.rs"]
mod site;

use easel_tests::fake_telegram::updates::{Msg, TgUser};
use site::Site;

#[tokio::test]
async fn an_admin_signs_in_is_refused_a_wrong_token_is_limited_and_signs_out() {
    let site = Site::start().await;
    site.scenario("signin.cjs", &[]).await;
}

#[tokio::test]
async fn a_web_link_from_telegram_signs_a_user_in_once_and_never_again() {
    let site = Site::start().await;
    let user = TgUser::new(4242);
    let chat = user.private_chat();
    let message = Msg::new(1, &user, &chat).text("/web");
    site.telegram.push_update(message.update(1));
    let sent = site
        .telegram
        .wait_call("sendMessage", 4242, |c| {
            c.text("text").is_some_and(|t| t.contains("/web/link?t="))
        })
        .await;
    // Telegram shows the link without a preview: no preview fetcher opens it.
    assert_eq!(
        sent.params["link_preview_options"]["is_disabled"],
        serde_json::json!(true),
        "{:?}",
        sent.params
    );
    let text = sent.text("text").unwrap();
    let link = text
        .split_whitespace()
        .find(|w| w.starts_with("http") && w.contains("/web/link?t="))
        .expect("a link in the message")
        .to_owned();
    assert!(
        link.starts_with(&site.url),
        "{link} is not under {}",
        site.url
    );
    site.scenario(
        "weblink.cjs",
        &[("LINK", &link), ("EXPECT_USER", "tg:4242")],
    )
    .await;
}
