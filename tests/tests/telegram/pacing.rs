//! The README's pacing claims, proven on the manual clock: progress edits
//! wait at least `telegram.progress_private`, and the "sending a photo"
//! indicator is renewed every 4 s. The provider is held, so the job runs
//! exactly as long as the test wants; ending it one millisecond short of a
//! deadline is the barrier that shows nothing was due before it (the bot
//! handles what its clock made due before the job's outcome).

use std::time::Duration;

use easel_tests::fake_telegram::TgUser;
use easel_tests::fake_telegram::updates::Msg;

use super::harness::Harness;

const MS: Duration = Duration::from_millis(1);
/// The chat action renewal the README promises.
const CHAT_ACTION_EVERY: Duration = Duration::from_secs(4);

/// Sends a request with the provider held and waits until it is upstream
/// and its status message (the `n`-th in the chat, from 1) was sent.
async fn held_request(h: &Harness, user: &TgUser, n: i64, prompt: &str) {
    let chat = user.private_chat();
    h.openai().hold();
    h.tg.push_update(Msg::new(n, user, &chat).text(prompt).update(n));
    h.tg.wait_for("the job upstream and its status shown", |calls| {
        let statuses = calls
            .iter()
            .filter(|c| c.method == "sendmessage" && c.chat_id() == Some(chat.id()))
            .filter(|c| c.text("text").is_some_and(|t| t.contains("Queued")))
            .count();
        (h.upstream_calls() == n as usize && statuses == n as usize).then_some(())
    })
    .await;
}

fn count(h: &Harness, method: &str, chat: i64) -> usize {
    h.tg.calls_of(method)
        .iter()
        .filter(|c| c.chat_id() == Some(chat))
        .count()
}

/// Longer than a test may wait for anything (30 s), so only the manual
/// clock can make an edit due: a pacing on real time would never edit.
const LONG_INTERVAL: Duration = Duration::from_secs(40);

#[tokio::test]
async fn a_progress_edit_waits_the_interval_and_comes_once_it_passed() {
    let h = Harness::start_with(|c| {
        c.telegram.progress_private = LONG_INTERVAL;
        // Leases outlive the clock moves, so only pacing is being watched.
        c.ledger.lease = LONG_INTERVAL * 10;
    })
    .await;
    let interval = h.config.telegram.progress_private;
    let user = TgUser::new(58);
    let chat = user.private_chat();

    // The job starts running (news for the status) but ends one millisecond
    // before the interval: the status was never edited.
    held_request(&h, &user, 1, "a slow fox").await;
    h.advance(interval - MS);
    h.openai().release();
    h.result_photo(chat.id()).await;
    assert_eq!(
        count(&h, "editMessageText", chat.id()),
        0,
        "no edit before telegram.progress_private"
    );

    // Once the interval has passed on the clock, the running state is shown
    // while the provider is still held.
    held_request(&h, &user, 2, "a slower fox").await;
    h.advance(interval);
    let edit =
        h.tg.wait_call("editMessageText", chat.id(), |c| {
            c.text("text").is_some_and(|t| t.contains("Drawing"))
        })
        .await;
    assert!(edit.result.is_some(), "Telegram accepted the edit");
    assert_eq!(count(&h, "editMessageText", chat.id()), 1);
    h.openai().release();
    h.tg.wait_for("the second result", |calls| {
        let photos = calls
            .iter()
            .filter(|c| c.method == "sendphoto" && c.text("caption").is_some())
            .count();
        (photos == 2).then_some(())
    })
    .await;
}

/// The 4 s is a constant, shorter than a test's hang guard: this proves the
/// renewal is due after 4 s of the clock and not before, but a renewal moved
/// back to real time would pass it too (unlike the edit interval above).
#[tokio::test]
async fn the_sending_a_photo_indicator_is_renewed_every_4_s_of_the_clock() {
    let h = Harness::start().await;
    let user = TgUser::new(59);
    let chat = user.private_chat();
    held_request(&h, &user, 1, "a patient heron").await;
    let actions = h.tg.wait_call("sendChatAction", chat.id(), |_| true).await;
    assert_eq!(actions.text("action").as_deref(), Some("upload_photo"));

    h.advance(CHAT_ACTION_EVERY);
    h.tg.wait_for("the renewed chat action", |calls| {
        let n = calls
            .iter()
            .filter(|c| c.method == "sendchataction" && c.chat_id() == Some(chat.id()))
            .count();
        (n == 2).then_some(())
    })
    .await;

    // One millisecond short of the next renewal the job ends: no third.
    h.advance(CHAT_ACTION_EVERY - MS);
    h.openai().release();
    h.result_photo(chat.id()).await;
    assert_eq!(count(&h, "sendChatAction", chat.id()), 2);
}
