//! Admission before work: a user who would be refused gets a private
//! answer and costs no attachment download; admin answers stay ephemeral.

use easel_shared::config::AccessMode;

use super::*;

/// `/imagine` with `count` attachments hosted on the fake CDN.
fn imagine_with_images(bot: &Bot, id: u64, token: &str, who: &Who, count: u8) -> Value {
    let mut options = vec![opt_str("prompt", "put them on a beach")];
    let mut attachments = Vec::new();
    for i in 0..count {
        let png = known_png(80 + i);
        let att = 90 + u64::from(i);
        let url = bot.fake.host_file(&format!("in{i}.png"), png.clone());
        options.push(opt_attachment(&format!("image{}", i + 1), att));
        attachments.push(attachment_json(att, "in.png", &url, png.len() as u64));
    }
    slash(id, token, who, "imagine", options, attachments, vec![])
}

/// The user was told privately before anything public, and nothing was
/// downloaded or sent upstream.
fn assert_refused_privately(bot: &Bot, token: &str) -> String {
    let calls = bot.fake.calls();
    assert!(
        !calls.iter().any(|c| c.is_callback(token) && !c.ephemeral()),
        "no public placeholder: {calls:#?}"
    );
    assert_eq!(bot.fake.cdn_downloads(), 0, "no attachment download");
    assert_eq!(bot.stack.openai.requests().len(), 0, "nothing upstream");
    private_text(&calls, token)
}

#[tokio::test]
async fn attachments_from_a_user_without_a_code_are_never_downloaded() {
    let bot = Bot::start(|c| c.access.mode = AccessMode::Code).await;
    let who = Who::member(USER, GUILD, &[]);
    let payload = imagine_with_images(&bot, 1_201, "tok-nocode", &who, 2);
    bot.deliver(payload).await;
    let text = assert_refused_privately(&bot, "tok-nocode");
    assert!(text.contains("You need an access code"), "{text}");
}

#[tokio::test]
async fn attachments_from_a_banned_user_are_never_downloaded() {
    let bot = Bot::start(|_| {}).await;
    let ban = easel_shared::admin::AdminOp::Ban {
        user: UserKey::discord(USER),
        banned: true,
        reason: "test".into(),
    };
    let admin = easel_shared::admin::AdminActor::User(UserKey::discord(ADMIN));
    bot.stack.gateway.admin(admin, ban).await.expect("ban");
    let who = Who::member(USER, GUILD, &[]);
    let payload = imagine_with_images(&bot, 1_202, "tok-banned", &who, 1);
    bot.deliver(payload).await;
    let text = assert_refused_privately(&bot, "tok-banned");
    assert!(text.contains("banned"), "{text}");
}

#[tokio::test]
async fn attachments_from_a_user_over_quota_are_never_downloaded() {
    let bot = Bot::start(|c| {
        let free = c.plans.get_mut("free").unwrap();
        free.windows.truncate(1);
        free.windows[0].limit = 1;
    })
    .await;
    let who = Who::member(USER, GUILD, &[]);
    bot.deliver(imagine(1_205, "tok-spend", &who, "one")).await;
    final_edit(&bot.fake, "tok-spend").await;
    let payload = imagine_with_images(&bot, 1_206, "tok-over", &who, 2);
    bot.deliver(payload).await;
    let calls = bot.fake.calls();
    assert!(
        !calls
            .iter()
            .any(|c| c.is_callback("tok-over") && !c.ephemeral()),
        "no public placeholder"
    );
    assert_eq!(bot.fake.cdn_downloads(), 0, "no attachment download");
    assert_eq!(
        bot.stack.openai.requests().len(),
        1,
        "only the first went upstream"
    );
    let text = private_text(&calls, "tok-over");
    assert!(text.contains("Nothing was charged"), "{text}");
}

#[tokio::test]
async fn more_attachments_than_the_plan_takes_are_refused_naming_the_limit() {
    let bot = Bot::start(|c| {
        if let Some(plan) = c.plans.get_mut("free") {
            plan.max_inputs = 1;
        }
    })
    .await;
    let who = Who::member(USER, GUILD, &[]);
    let payload = imagine_with_images(&bot, 1_203, "tok-many", &who, 2);
    bot.deliver(payload).await;
    let text = assert_refused_privately(&bot, "tok-many");
    assert!(text.contains("At most 1 images"), "{text}");
}

#[tokio::test]
async fn codes_minted_in_a_guild_channel_are_only_shown_ephemerally() {
    let bot = Bot::start(|_| {}).await;
    let admin = Who::member(ADMIN, GUILD, &[]);
    let mint = slash(
        1_204,
        "tok-guild-mint",
        &admin,
        "admin",
        vec![subcommand(
            "codes",
            vec![opt_str("args", "mint 1 credits=7")],
        )],
        vec![],
        vec![],
    );
    bot.deliver(mint).await;
    let calls = bot.fake.calls();
    let minted = private_text(&calls, "tok-guild-mint");
    assert!(minted.contains("new codes"), "{minted}");
    let code = minted
        .lines()
        .nth(1)
        .and_then(|l| l.split_whitespace().next())
        .expect("a code")
        .to_owned();
    let ack = calls
        .iter()
        .find(|c| c.is_callback("tok-guild-mint"))
        .expect("acknowledged");
    assert!(ack.ephemeral(), "deferred privately: {:?}", ack.json);
    // Nothing public carries the code: no channel message, no public response.
    let public = calls.iter().filter(|c| {
        let private_edit = c.is_edit_original("tok-guild-mint");
        !private_edit && !c.ephemeral() && c.text().contains(&code)
    });
    assert_eq!(public.count(), 0, "{calls:#?}");
}
