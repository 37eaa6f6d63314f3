//! Everything around the drawing: quota denials, admin access, access
//! codes, the user's language, and command registration.

use super::*;

#[tokio::test]
async fn exhausted_quota_is_denied_privately_with_the_reset_time_and_nothing_charged() {
    let bot = Bot::start(|c| {
        let free = c.plans.get_mut("free").unwrap();
        free.windows.truncate(1);
        free.windows[0].limit = 1;
    })
    .await;
    let who = Who::member(USER, GUILD, &[]);
    bot.deliver(imagine(1_030, "tok-q1", &who, "one")).await;
    final_edit(&bot.fake, "tok-q1").await;
    bot.deliver(imagine(1_031, "tok-q2", &who, "two")).await;

    let calls = bot.fake.calls();
    let text = private_text(&calls, "tok-q2");
    assert!(
        text.contains("0 of 1 left in this 3 h window") && text.contains("try again in 3 h"),
        "why and when: {text}"
    );
    assert!(text.contains("Nothing was charged"), "{text}");
    assert!(
        !calls
            .iter()
            .any(|c| c.is_callback("tok-q2") && !c.ephemeral()),
        "refused before any public placeholder"
    );
    assert_eq!(bot.stack.openai.requests().len(), 1);
    let quota = bot
        .stack
        .gateway
        .quota(UserKey::discord(USER))
        .await
        .unwrap();
    assert_eq!(quota.windows[0].used, 1);
}

#[tokio::test]
async fn admin_from_a_guild_owner_who_is_not_configured_is_refused() {
    let bot = Bot::start(|_| {}).await;
    // Owner-level permissions in their own guild, but not in access.admins.
    let owner = Who::member(USER, GUILD, &[999]);
    let grant = |id, token: &str, who: &Who| {
        slash(
            id,
            token,
            who,
            "admin",
            vec![subcommand(
                "grant",
                vec![opt_user("user", USER), opt_int("credits", 5)],
            )],
            vec![],
            vec![USER],
        )
    };
    bot.deliver(grant(1_040, "tok-a1", &owner)).await;
    let text = private_text(&bot.fake.calls(), "tok-a1");
    assert!(text.contains("Only Easel's admins"), "{text}");
    assert_eq!(
        bot.stack
            .gateway
            .quota(UserKey::discord(USER))
            .await
            .unwrap()
            .credits,
        0
    );

    let admin = Who::member(ADMIN, GUILD, &[]);
    bot.deliver(grant(1_041, "tok-a2", &admin)).await;
    let text = private_text(&bot.fake.calls(), "tok-a2");
    assert!(text.contains("Granted 5 credits"), "{text}");
    assert_eq!(
        bot.stack
            .gateway
            .quota(UserKey::discord(USER))
            .await
            .unwrap()
            .credits,
        5
    );
}

#[tokio::test]
async fn a_configured_admin_role_works_only_in_its_own_guild() {
    const ROLE: u64 = 555;
    const OTHER_GUILD: u64 = 424_242;
    let bot = Bot::start(|c| {
        c.discord.admin_roles = vec![easel_shared::config::GuildAdminRoles {
            guild: GUILD,
            roles: [ROLE].into(),
        }];
    })
    .await;
    let grant = |id, token: &str, who: &Who| {
        slash(
            id,
            token,
            who,
            "admin",
            vec![subcommand(
                "grant",
                vec![opt_user("user", USER), opt_int("credits", 3)],
            )],
            vec![],
            vec![USER],
        )
    };
    let elsewhere = Who::member(USER + 1, OTHER_GUILD, &[ROLE]);
    bot.deliver(grant(1_045, "tok-r1", &elsewhere)).await;
    let text = private_text(&bot.fake.calls(), "tok-r1");
    assert!(
        text.contains("Only Easel's admins"),
        "the role counts only where configured: {text}"
    );

    let moderator = Who::member(USER + 1, GUILD, &[ROLE]);
    bot.deliver(grant(1_046, "tok-r2", &moderator)).await;
    let text = private_text(&bot.fake.calls(), "tok-r2");
    assert!(text.contains("Granted 3 credits"), "{text}");
    let quota = bot
        .stack
        .gateway
        .quota(UserKey::discord(USER))
        .await
        .unwrap();
    assert_eq!(quota.credits, 3);
}

#[tokio::test]
async fn a_code_redeems_once_and_is_refused_the_second_time() {
    let bot = Bot::start(|_| {}).await;
    let admin = Who::dm(ADMIN);
    let mint = slash(
        1_050,
        "tok-mint",
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
    let minted = private_text(&bot.fake.calls(), "tok-mint");
    let code = minted
        .lines()
        .nth(1)
        .and_then(|l| l.split_whitespace().next())
        .expect("a code")
        .to_owned();

    let user = Who::member(USER, GUILD, &[]);
    let redeem = |id, token: &str| {
        slash(
            id,
            token,
            &user,
            "redeem",
            vec![opt_str("code", &code)],
            vec![],
            vec![],
        )
    };
    bot.deliver(redeem(1_051, "tok-r1")).await;
    let text = private_text(&bot.fake.calls(), "tok-r1");
    assert!(
        text.contains("Code redeemed") && text.contains("7 credits"),
        "{text}"
    );
    bot.deliver(redeem(1_052, "tok-r2")).await;
    let text = private_text(&bot.fake.calls(), "tok-r2");
    assert!(text.contains("already redeemed"), "{text}");
    assert_eq!(
        bot.stack
            .gateway
            .quota(UserKey::discord(USER))
            .await
            .unwrap()
            .credits,
        7
    );
}

#[tokio::test]
async fn a_chinese_client_gets_chinese_replies() {
    let bot = Bot::start(|_| {}).await;
    let who = Who::member(USER, GUILD, &[]).locale("zh-CN");
    bot.deliver(slash(
        1_060,
        "tok-zh",
        &who,
        "quota",
        vec![],
        vec![],
        vec![],
    ))
    .await;
    let text = private_text(&bot.fake.calls(), "tok-zh");
    assert!(text.contains("窗口剩余"), "{text}");

    bot.deliver(imagine(1_061, "tok-zh2", &who, "一只猫")).await;
    let done = final_edit(&bot.fake, "tok-zh2").await;
    assert!(done.text().contains("窗口剩余"), "{}", done.text());
    assert!(
        done.json["components"].to_string().contains("原"),
        "Chinese button labels: {}",
        done.json["components"]
    );
}

#[tokio::test]
async fn commands_register_per_guild_with_the_context_menu_and_a_hidden_admin() {
    let bot = Bot::start(|_| {}).await;
    easel_bot::discord::register(bot.discord.http(), &[GUILD])
        .await
        .expect("registered");
    let calls = bot.fake.calls();
    let put = calls
        .iter()
        .find(|c| c.method == "PUT" && c.path.ends_with(&format!("/guilds/{GUILD}/commands")))
        .expect("bulk overwrite in the guild");
    let cmds = put.json.as_array().unwrap();
    let names: Vec<&str> = cmds.iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        [
            "imagine",
            "edit",
            "Edit image",
            "quota",
            "redeem",
            "settings",
            "apikey",
            "web",
            "admin"
        ]
    );
    let menu = &cmds[2];
    assert_eq!(menu["type"], 3, "a message context-menu command");
    let admin = &cmds[8];
    assert_eq!(
        admin["default_member_permissions"], "8",
        "hidden from non-administrators"
    );
    let subs: Vec<&str> = admin["options"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        subs,
        [
            "grant", "deduct", "plan", "ban", "unban", "codes", "usage", "stats"
        ]
    );
    let imagine_opts: Vec<&str> = cmds[0]["options"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        imagine_opts,
        [
            "prompt",
            "image1",
            "image2",
            "image3",
            "image4",
            "aspect",
            "quality",
            "n",
            "background"
        ]
    );

    easel_bot::discord::register(bot.discord.http(), &[])
        .await
        .expect("registered globally");
    assert!(bot.fake.calls().iter().any(|c| c.method == "PUT"
        && c.path
            == format!(
                "/api/v10/applications/{}/commands",
                easel_tests::fake_discord::payloads::APP_ID
            )));
}

#[tokio::test]
async fn admins_are_told_by_direct_message_once_when_the_daily_budget_is_reached() {
    let bot = Bot::start(|c| {
        c.spend.daily_cap_micros = 50_000;
        c.backends.prices.insert(
            "gpt-image-2".into(),
            easel_shared::config::ModelPrice {
                default_per_image: 40_000,
                ..Default::default()
            },
        );
    })
    .await;
    let who = Who::member(USER, GUILD, &[]);
    bot.deliver(imagine(1_060, "tok-b1", &who, "a first picture"))
        .await;
    final_edit(&bot.fake, "tok-b1").await;
    bot.deliver(imagine(1_061, "tok-b2", &who, "one more"))
        .await;
    bot.deliver(imagine(1_062, "tok-b3", &who, "and another"))
        .await;
    for token in ["tok-b2", "tok-b3"] {
        let text = private_text(&bot.fake.calls(), token);
        assert!(text.contains("daily budget"), "{text}");
    }

    let dm = format!("/api/v10/channels/{}/messages", ADMIN + 1);
    let notice = bot
        .fake
        .wait_for("the admin's notice", |c| c.path == dm)
        .await;
    assert!(
        notice.json["content"]
            .as_str()
            .is_some_and(|t| t.contains("reached")),
        "{:?}",
        notice.json
    );
    let notices = bot.fake.calls().iter().filter(|c| c.path == dm).count();
    assert_eq!(notices, 1, "told once, not per denial");
    assert_eq!(
        bot.stack.openai.requests().len(),
        1,
        "denied requests never went upstream"
    );
}
