//! `/apikey` on Discord: every answer is ephemeral (only the user sees a
//! new key), a listing shows the visible prefix only, revoke takes a prefix.

use super::*;

fn apikey(id: u64, token: &str, who: &Who, options: Vec<Value>) -> Value {
    slash(id, token, who, "apikey", options, vec![], vec![])
}

#[tokio::test]
async fn api_keys_are_created_listed_and_revoked_ephemerally() {
    let bot = Bot::start(|_| {}).await;
    let who = Who::member(USER, GUILD, &[]);
    bot.deliver(apikey(
        1_201,
        "tok-k1",
        &who,
        vec![opt_str("action", "create")],
    ))
    .await;
    let created = private_text(&bot.fake.calls(), "tok-k1");
    let key = created
        .split_whitespace()
        .find(|w| w.starts_with("easel-sk-") && w.len() > 30)
        .unwrap_or_else(|| panic!("no key in {created}"))
        .to_owned();
    let calls = bot.fake.calls();
    assert!(
        !calls
            .iter()
            .any(|c| c.text().contains(&key) && !c.ephemeral() && !c.is_edit_original("tok-k1")),
        "the key only in the ephemeral answer"
    );
    let user = UserKey::discord(USER);
    let keys = bot.stack.gateway.list_api_keys(user).await.expect("list");
    assert_eq!(keys.len(), 1);

    bot.deliver(apikey(1_202, "tok-k2", &who, vec![])).await;
    let listed = private_text(&bot.fake.calls(), "tok-k2");
    assert!(
        listed.contains(&keys[0].prefix) && !listed.contains(&key),
        "{listed}"
    );

    bot.deliver(apikey(
        1_203,
        "tok-k3",
        &who,
        vec![
            opt_str("action", "revoke"),
            opt_str("prefix", &keys[0].prefix),
        ],
    ))
    .await;
    let revoked = private_text(&bot.fake.calls(), "tok-k3");
    assert!(revoked.contains("revoked"), "{revoked}");
    assert!(
        bot.stack
            .gateway
            .list_api_keys(user)
            .await
            .expect("list")
            .is_empty()
    );
}
