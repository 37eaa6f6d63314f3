//! The playground in a real browser (the harness is `browser.rs`'s [`Site`]:
//! the built `easel`, the fake OpenAI and Telegram, Playwright on Debian's
//! chromium): an admin draws from a prompt with progress and a partial
//! preview, refines by a follow-up, presses Again and Vary, downloads the
//! Original and edits a photo; the page works on a phone. Screenshots go to
//! `docs/screenshots/play-*.png`.

#[path = "browser/site.rs"]
mod site;

use site::Site;

#[tokio::test]
async fn an_admin_draws_refines_and_varies_in_the_playground_with_progress() {
    // Partial previews on, and a plan with room for the scenario's seven
    // requests in a row (the default anti-flood burst, 2 per 15 s, would
    // refuse the third, as it should).
    let site = Site::start_with(
        "partial_images = 2",
        "[plans.free]\nwindows = [{ limit = 50, period = \"3h\" }]\n\
         burst = { every = \"1s\", burst = 20 }\n",
    )
    .await;
    site.scenario("play.cjs", &[]).await;
}
