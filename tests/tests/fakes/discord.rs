//! The fake Discord REST API: bot auth, the application id, one
//! acknowledgement per interaction, and the interaction token's lifetime.

use std::time::Duration;

use easel_tests::fake_discord::payloads::APP_ID;
use easel_tests::fake_discord::{FakeDiscord, TOKEN, TOKEN_LIFETIME};
use serde_json::{Value, json};

use super::send;

struct Api {
    fake: FakeDiscord,
    client: reqwest::Client,
}

impl Api {
    async fn start() -> Self {
        Self {
            fake: FakeDiscord::start().await,
            client: reqwest::Client::new(),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}/api/v10{path}", self.fake.base_url())
    }

    async fn post(&self, path: &str, auth: Option<&str>, body: Value) -> (u16, Value) {
        let mut req = self.client.post(self.url(path)).json(&body);
        if let Some(auth) = auth {
            req = req.header("authorization", auth);
        }
        send(req).await
    }

    /// `POST /interactions/{id}/{token}/callback` with a deferred response.
    async fn defer(&self, token: &str) -> (u16, Value) {
        self.post(
            &format!("/interactions/1/{token}/callback"),
            None,
            json!({ "type": 5 }),
        )
        .await
    }

    async fn edit_original(&self, app: u64, token: &str) -> (u16, Value) {
        let req = self
            .client
            .patch(self.url(&format!("/webhooks/{app}/{token}/messages/@original")))
            .json(&json!({ "content": "done" }));
        send(req).await
    }
}

fn error(answer: &(u16, Value), status: u16, code: u64, message: &str) {
    assert_eq!(answer.0, status, "{}", answer.1);
    assert_eq!(answer.1, json!({ "code": code, "message": message }));
}

#[tokio::test]
async fn bot_routes_need_the_bot_token_and_commands_the_own_application() {
    let api = Api::start().await;
    let channel = "/channels/700/messages";
    let hello = json!({ "content": "hi" });
    error(
        &api.post(channel, None, hello.clone()).await,
        401,
        0,
        "401: Unauthorized",
    );
    let wrong = api
        .post(channel, Some("Bot other-token"), hello.clone())
        .await;
    error(&wrong, 401, 0, "401: Unauthorized");
    let bare = api.post(channel, Some(TOKEN), hello.clone()).await;
    error(&bare, 401, 0, "401: Unauthorized");
    let bot = format!("Bot {TOKEN}");
    assert_eq!(api.post(channel, Some(&bot), hello).await.0, 200);

    let put = |app: u64, auth: Option<String>| {
        let mut req = api
            .client
            .put(api.url(&format!("/applications/{app}/commands")))
            .json(&json!([{ "name": "imagine", "description": "draw" }]));
        if let Some(a) = auth {
            req = req.header("authorization", a);
        }
        send(req)
    };
    error(&put(APP_ID, None).await, 401, 0, "401: Unauthorized");
    let other = put(APP_ID + 1, Some(bot.clone())).await;
    error(
        &other,
        403,
        20012,
        "You are not authorized to perform this action on this application",
    );
    assert_eq!(put(APP_ID, Some(bot)).await.0, 200);
}

#[tokio::test]
async fn an_interaction_is_acknowledged_once() {
    let api = Api::start().await;
    assert_eq!(api.defer("tok-once").await.0, 204);
    let again = api.defer("tok-once").await;
    error(
        &again,
        400,
        40060,
        "Interaction has already been acknowledged.",
    );
    api.fake.acknowledge("tok-elsewhere");
    let elsewhere = api.defer("tok-elsewhere").await;
    error(
        &elsewhere,
        400,
        40060,
        "Interaction has already been acknowledged.",
    );
}

#[tokio::test]
async fn original_and_followups_work_only_after_the_acknowledgement_and_for_15_minutes() {
    let api = Api::start().await;
    let unknown = (404, 10015, "Unknown Webhook");
    let never = api.edit_original(APP_ID, "tok-never").await;
    error(&never, unknown.0, unknown.1, unknown.2);
    let followup = api
        .post(
            &format!("/webhooks/{APP_ID}/tok-never"),
            None,
            json!({ "content": "x" }),
        )
        .await;
    error(&followup, unknown.0, unknown.1, unknown.2);
    let get = send(
        api.client
            .get(api.url(&format!("/webhooks/{APP_ID}/tok-never/messages/@original"))),
    )
    .await;
    error(&get, unknown.0, unknown.1, unknown.2);

    assert_eq!(api.defer("tok-live").await.0, 204);
    let other_app = api.edit_original(APP_ID + 1, "tok-live").await;
    error(&other_app, unknown.0, unknown.1, unknown.2);
    assert_eq!(api.edit_original(APP_ID, "tok-live").await.0, 200);
    let f = api
        .post(
            &format!("/webhooks/{APP_ID}/tok-live"),
            None,
            json!({ "content": "x" }),
        )
        .await;
    assert_eq!(f.0, 200, "{}", f.1);

    api.fake.advance(TOKEN_LIFETIME - Duration::from_secs(1));
    assert_eq!(
        api.edit_original(APP_ID, "tok-live").await.0,
        200,
        "14:59 is still in time"
    );
    api.fake.advance(Duration::from_secs(1));
    let late = api.edit_original(APP_ID, "tok-live").await;
    error(&late, 401, 50027, "Invalid Webhook Token");
    let delete = send(
        api.client
            .delete(api.url(&format!("/webhooks/{APP_ID}/tok-live/messages/@original"))),
    )
    .await;
    assert_eq!(delete.0, 401);
}

#[tokio::test]
async fn content_over_2000_and_embed_text_over_its_limits_are_an_invalid_form_body() {
    let api = Api::start().await;
    let bot = format!("Bot {TOKEN}");
    let channel = "/channels/700/messages";
    let long = api
        .post(channel, Some(&bot), json!({ "content": "x".repeat(2001) }))
        .await;
    assert_eq!(long.0, 400);
    assert_eq!(long.1["code"], 50035);
    assert_eq!(long.1["message"], "Invalid Form Body");
    assert_eq!(
        long.1["errors"]["content"]["_errors"][0]["code"],
        "BASE_TYPE_MAX_LENGTH"
    );
    let fits = json!({ "content": "é".repeat(2000) });
    assert_eq!(
        api.post(channel, Some(&bot), fits).await.0,
        200,
        "characters, not bytes"
    );

    let embed = |d: usize| json!({ "embeds": [{ "description": "d".repeat(d) }] });
    let over = api.post(channel, Some(&bot), embed(4097)).await;
    assert_eq!(over.0, 400);
    let nested = &over.1["errors"]["embeds"]["0"]["description"]["_errors"][0];
    assert_eq!(nested["code"], "BASE_TYPE_MAX_LENGTH", "{}", over.1);
    assert_eq!(api.post(channel, Some(&bot), embed(4096)).await.0, 200);

    // A refused first response does not acknowledge the interaction.
    let reply = |n: usize| json!({ "type": 4, "data": { "content": "x".repeat(n) } });
    let path = "/interactions/1/tok-form/callback";
    assert_eq!(api.post(path, None, reply(2001)).await.0, 400);
    assert_eq!(api.post(path, None, reply(10)).await.0, 204);
}

#[tokio::test]
async fn components_keep_to_five_rows_of_five_with_short_custom_ids() {
    let api = Api::start().await;
    let bot = format!("Bot {TOKEN}");
    let channel = "/channels/700/messages";
    let button = |id: &str| json!({ "type": 2, "style": 1, "label": "Go", "custom_id": id });
    let rows = |rows: usize, per_row: usize, id: &str| {
        let row = json!({ "type": 1, "components": vec![button(id); per_row] });
        json!({ "content": "pick", "components": vec![row; rows] })
    };
    let refused = |answer: &(u16, Value), path: &[&str]| {
        assert_eq!(answer.0, 400, "{}", answer.1);
        let mut at = &answer.1["errors"];
        for p in path {
            at = &at[*p];
        }
        assert!(at["_errors"].is_array(), "{path:?}: {}", answer.1);
    };
    refused(
        &api.post(channel, Some(&bot), rows(6, 1, "a")).await,
        &["components"],
    );
    let wide = api.post(channel, Some(&bot), rows(1, 6, "a")).await;
    refused(&wide, &["components", "0", "components"]);
    let long_id = api
        .post(channel, Some(&bot), rows(1, 1, &"i".repeat(101)))
        .await;
    refused(
        &long_id,
        &["components", "0", "components", "0", "custom_id"],
    );
    let empty_id = api.post(channel, Some(&bot), rows(1, 1, "")).await;
    refused(
        &empty_id,
        &["components", "0", "components", "0", "custom_id"],
    );
    let most = api
        .post(channel, Some(&bot), rows(5, 5, &"i".repeat(100)))
        .await;
    assert_eq!(most.0, 200, "{}", most.1);
}

#[tokio::test]
async fn users_me_needs_the_bot_token_and_an_outage_answers_the_edge_502_page() {
    let fake = FakeDiscord::start().await;
    let client = reqwest::Client::new();
    let me = format!("{}/api/v10/users/@me", fake.base_url());
    let get = |auth: &str| client.get(&me).header("authorization", auth.to_owned());
    let (status, body) = send(get(&format!("Bot {TOKEN}"))).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["bot"], json!(true));
    let (status, _) = send(get("Bot other-token")).await;
    assert_eq!(status, 401);

    fake.set_down(true);
    let res = get(&format!("Bot {TOKEN}")).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 502);
    assert!(
        res.text().await.unwrap().contains("502 Bad Gateway"),
        "an HTML page, not JSON"
    );
    assert_eq!(fake.refused_while_down(), 1);
    fake.set_down(false);
    assert_eq!(send(get(&format!("Bot {TOKEN}"))).await.0, 200);
}
