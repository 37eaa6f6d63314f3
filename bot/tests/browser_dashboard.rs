//! The admin dashboard in a real browser (the harness is `browser.rs`'s
//! [`Site`]: the built `easel`, the fake OpenAI and Telegram, Playwright on
//! Debian's chromium): a code minted on the page is redeemed by a Telegram
//! user and the page shows it; credits granted on the page show in the
//! user's /quota in Telegram. A picture drawn in between fills the
//! overview's charts and the user's recent requests. Screenshots of every dashboard page go to
//! `docs/screenshots/dashboard-*.png`.

// The harness is shared with `browser.rs`, whose items are `pub` for it.
#[allow(unreachable_pub)]
#[path = "browser/site.rs"]
mod site;

use easel_tests::fake_telegram::updates::{Msg, TgUser};
use site::Site;

#[tokio::test]
async fn a_code_minted_on_the_page_is_redeemed_in_telegram_and_a_grant_shows_in_quota() {
    let site = Site::start().await;
    let user = TgUser::new(4343);
    let chat = user.private_chat();

    let out = tempfile::NamedTempFile::new().expect("temp file");
    let out_path = out.path().to_str().expect("utf-8 path").to_owned();
    site.scenario("dash-mint.cjs", &[("OUT", &out_path)]).await;
    let code = std::fs::read_to_string(&out_path).expect("the scenario wrote the code");

    site.telegram.push_update(
        Msg::new(1, &user, &chat)
            .text(&format!("/redeem {code}"))
            .update(1),
    );
    site.telegram
        .wait_call("sendMessage", 4343, |c| {
            c.text("text").is_some_and(|t| t.contains("Code redeemed."))
        })
        .await;

    // One picture, so the overview's image and credit charts and the user's recent
    // requests have something to show (the plan's window pays for it).
    site.telegram.push_update(
        Msg::new(2, &user, &chat)
            .text("a lighthouse at dusk")
            .update(2),
    );
    site.telegram
        .wait_call("sendPhoto", 4343, |c| c.text("caption").is_some())
        .await;

    site.scenario(
        "dash-users.cjs",
        &[("USERNAME", "user4343"), ("EXPECT_USER", "tg:4343")],
    )
    .await;

    site.telegram
        .push_update(Msg::new(3, &user, &chat).text("/quota").update(3));
    let quota = site
        .telegram
        .wait_call("sendMessage", 4343, |c| {
            c.text("text").is_some_and(|t| t.contains("10 prepaid"))
        })
        .await;
    assert!(quota.text("text").is_some(), "{:?}", quota.params);
}
