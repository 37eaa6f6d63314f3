//! What the bot does when Discord refuses it: an interaction someone else
//! already acknowledged, or one Discord no longer knows (the bot never
//! edits a response it does not own, submits nothing, charges nothing,
//! and says why in its log); a token past its 15 minutes; and text over
//! Discord's length limits.

use easel_gateway::service::Gateway;
use easel_shared::UserKey;
use easel_tests::fake_discord::payloads::{Who, opt_str, slash, subcommand};
use easel_tests::fake_discord::{Call, TOKEN_LIFETIME};
use easel_tests::fake_openai::FakeOpenAi;
use easel_tests::fake_telegram::poll_until;
use easel_tests::logs::Logs;

use super::harness::{ADMIN, Bot};
use super::{GUILD, USER, imagine};

/// Calls that use `token` after its first response: edits, deletes, follow-ups.
fn later_calls(calls: &[Call], token: &str) -> Vec<String> {
    calls
        .iter()
        .filter(|c| {
            c.is_edit_original(token) || c.is_delete_original(token) || c.is_followup(token)
        })
        .map(|c| format!("{} {}", c.method, c.path))
        .collect()
}

async fn used(bot: &Bot) -> u32 {
    let quota = bot
        .stack
        .gateway
        .quota(UserKey::discord(USER))
        .await
        .unwrap();
    quota.windows.iter().map(|w| w.used).max().unwrap_or(0)
}

/// Regression: a failed defer used to be logged and ignored; the request
/// then ran, was charged, and its edits went to a token the bot never
/// acknowledged (Discord answers those with 404 Unknown Webhook).
#[tokio::test]
async fn an_interaction_acknowledged_elsewhere_is_left_alone_and_costs_nothing() {
    let logs = Logs::process();
    let bot = Bot::start(|_| {}).await;
    let who = Who::member(USER, GUILD, &[]);
    // Another process (or an earlier delivery) answered it already.
    bot.fake.acknowledge("tok-taken");
    bot.deliver(imagine(2_001, "tok-taken", &who, "a lighthouse"))
        .await;

    let calls = bot.fake.calls();
    assert!(
        calls.iter().any(|c| c.is_callback("tok-taken")),
        "the bot tried to defer"
    );
    assert_eq!(later_calls(&calls, "tok-taken"), Vec::<String>::new());
    assert!(bot.stack.openai.requests().is_empty(), "nothing submitted");
    assert_eq!(used(&bot).await, 0, "nothing charged");
    let logged = logs.lines_with("interaction=2001");
    assert!(
        logged
            .iter()
            .any(|l| l.contains("defer failed") && l.contains("already been acknowledged")),
        "says why, with Discord's reason: {logged:?}"
    );
}

#[tokio::test]
async fn an_interaction_discord_no_longer_knows_gets_no_edits_or_followups() {
    let bot = Bot::start(|_| {}).await;
    let who = Who::member(USER, GUILD, &[]);
    // The 3 seconds to answer were over: "Unknown interaction".
    bot.fake.fail_callbacks(Some(404));
    bot.deliver(imagine(2_002, "tok-gone", &who, "a harbour"))
        .await;
    // A command that answers privately, and one the core refuses.
    let quota = slash(2_003, "tok-gone-2", &who, "quota", vec![], vec![], vec![]);
    bot.deliver(quota).await;
    bot.deliver(imagine(2_004, "tok-gone-3", &who, "   ")).await;

    let calls = bot.fake.calls();
    for token in ["tok-gone", "tok-gone-2", "tok-gone-3"] {
        assert!(
            calls.iter().any(|c| c.is_callback(token)),
            "{token} answered first"
        );
        assert_eq!(later_calls(&calls, token), Vec::<String>::new(), "{token}");
    }
    assert!(bot.stack.openai.requests().is_empty(), "nothing submitted");
    assert_eq!(used(&bot).await, 0, "nothing charged");

    // Discord is back: the next interaction works as usual.
    bot.fake.fail_callbacks(None);
    bot.deliver(imagine(2_005, "tok-back", &who, "a harbour"))
        .await;
    super::final_edit(&bot.fake, "tok-back").await;
    assert_eq!(used(&bot).await, 1);
}

/// Regression: a private answer over Discord's 2000 characters (100 minted
/// codes) was refused whole ("Invalid Form Body") and the admin saw nothing.
#[tokio::test]
async fn a_private_answer_over_2000_characters_arrives_in_parts() {
    let bot = Bot::start(|_| {}).await;
    let admin = Who::dm(ADMIN);
    let args = vec![opt_str("args", "mint 100 credits=1")];
    let mint = slash(
        2_010,
        "tok-many",
        &admin,
        "admin",
        vec![subcommand("codes", args)],
        vec![],
        vec![],
    );
    bot.deliver(mint).await;

    let calls = bot.fake.calls();
    let answers: Vec<&Call> = calls
        .iter()
        .filter(|c| c.is_edit_original("tok-many") || c.is_followup("tok-many"))
        .collect();
    let sizes: Vec<usize> = answers.iter().map(|a| a.text().chars().count()).collect();
    assert!(answers.len() > 1, "more than one message: {sizes:?}");
    let mut codes = 0;
    for a in &answers {
        let text = a.text();
        assert!(text.chars().count() <= 2000, "within Discord's limit");
        assert!(
            a.is_edit_original("tok-many") || a.ephemeral(),
            "all private"
        );
        codes += text.lines().filter(|l| l.contains("  (")).count();
    }
    assert_eq!(codes, 100, "every code delivered once");
}

#[tokio::test]
async fn a_response_past_its_token_lifetime_is_finished_as_a_channel_message() {
    let bot = Bot::start(|_| {}).await;
    let who = Who::member(USER, GUILD, &[]);
    // The provider answers only after the token's 15 minutes are over;
    // Discord then refuses edits of the response (401 Invalid Webhook Token).
    bot.stack.openai.hold();
    let late = async {
        poll_until("the request to reach the provider", || {
            (!bot.stack.openai.requests().is_empty()).then_some(())
        })
        .await;
        bot.fake.advance(TOKEN_LIFETIME);
        bot.stack.openai.release();
    };
    tokio::join!(
        bot.deliver(imagine(1_090, "tok-late", &who, "a slow sunrise")),
        late
    );

    let calls = bot.fake.calls();
    let message = calls
        .iter()
        .find(|c| {
            c.method == "POST" && c.path == format!("/api/v10/channels/{}/messages", who.channel)
        })
        .expect("a normal channel message");
    assert_eq!(message.files[0].bytes, FakeOpenAi::final_image(0));
    assert!(
        message.text().contains(&format!("<@{USER}>")),
        "{}",
        message.text()
    );
    let id = message
        .custom_ids()
        .into_iter()
        .find_map(|c| c.strip_prefix("a:").map(str::to_owned))
        .expect("buttons");
    let record = bot
        .stack
        .gateway
        .result(&id.parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        record.messages.len(),
        1,
        "the channel message maps back to the result"
    );
}
