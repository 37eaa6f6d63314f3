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
