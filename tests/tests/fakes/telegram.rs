//! The fake Telegram Bot API: token, methods, bodies, limits, unknown
//! messages and edits that change nothing, each in Telegram's shape.

use easel_tests::fake_telegram::updates::{Msg, callback};
use easel_tests::fake_telegram::{
    CALLBACK_DATA_MAX, CAPTION_MAX, FakeTelegram, NOT_MODIFIED, TEXT_MAX, TgUser,
};
use serde_json::{Value, json};

use super::send;

const TOKEN: &str = "42:fake-test-token";
const CHAT: i64 = 555;

struct Api {
    tg: FakeTelegram,
    client: reqwest::Client,
}

impl Api {
    async fn start() -> Self {
        Self {
            tg: FakeTelegram::start(TOKEN).await,
            client: reqwest::Client::new(),
        }
    }

    async fn call(&self, method: &str, params: Value) -> (u16, Value) {
        let url = format!("{}bot{TOKEN}/{method}", self.tg.url());
        send(self.client.post(url).json(&params)).await
    }

    /// Calls `method` and returns the error description, failing on success.
    async fn refused(&self, method: &str, params: Value) -> String {
        let (status, body) = self.call(method, params).await;
        assert_eq!(status, 400, "{method}: {body}");
        assert_eq!(body["ok"], false);
        assert_eq!(body["error_code"], 400);
        body["description"].as_str().unwrap().to_owned()
    }

    /// Calls `method`, expecting success, and returns `result`.
    async fn ok(&self, method: &str, params: Value) -> Value {
        let (status, body) = self.call(method, params).await;
        assert_eq!(status, 200, "{method}: {body}");
        body["result"].clone()
    }

    async fn say(&self, text: &str) -> i64 {
        let sent = self
            .ok("sendMessage", json!({ "chat_id": CHAT, "text": text }))
            .await;
        sent["message_id"].as_i64().unwrap()
    }
}

fn keyboard(data: &str) -> Value {
    json!({ "inline_keyboard": [[{ "text": "Go", "callback_data": data }]] })
}

#[tokio::test]
async fn a_wrong_token_an_unknown_method_and_a_malformed_body_are_refused() {
    let api = Api::start().await;
    let wrong = format!("{}botnope/getMe", api.tg.url());
    let (status, body) = send(api.client.post(wrong)).await;
    assert_eq!(status, 401);
    assert_eq!(
        body,
        json!({ "ok": false, "error_code": 401, "description": "Unauthorized" })
    );

    let (status, body) = api.call("sendTelepathy", json!({})).await;
    assert_eq!(status, 404);
    assert_eq!(body["description"], "Not Found: method not found");

    for (raw, description) in [
        ("[1, 2]", "Bad Request: JSON object expected"),
        (
            "{\"chat_id\": 1,",
            "Bad Request: expected next field or object end",
        ),
        ("chat_id=1", "Bad Request: JSON object expected"),
    ] {
        let url = format!("{}bot{TOKEN}/sendMessage", api.tg.url());
        let req = api
            .client
            .post(url)
            .header("content-type", "application/json")
            .body(raw);
        let (status, body) = send(req).await;
        assert_eq!(status, 400, "{raw}");
        assert_eq!(body["description"], description, "{raw}");
    }
    assert_eq!(api.ok("getMe", json!({})).await["is_bot"], true);
}

#[tokio::test]
async fn text_must_be_there_and_fit_4096_utf16_units() {
    let api = Api::start().await;
    let empty = "Bad Request: message text is empty";
    assert_eq!(
        api.refused("sendMessage", json!({ "chat_id": CHAT })).await,
        empty
    );
    assert_eq!(
        api.refused("sendMessage", json!({ "chat_id": CHAT, "text": "" }))
            .await,
        empty
    );
    assert_eq!(
        api.refused("sendMessage", json!({ "chat_id": CHAT, "text": " \n " }))
            .await,
        empty
    );

    let long = "Bad Request: message is too long";
    api.say(&"a".repeat(TEXT_MAX)).await;
    let over = json!({ "chat_id": CHAT, "text": "a".repeat(TEXT_MAX + 1) });
    assert_eq!(api.refused("sendMessage", over).await, long);
    // An emoji outside the BMP counts twice, as Telegram counts UTF-16.
    api.say(&"🎨".repeat(TEXT_MAX / 2)).await;
    let emoji = json!({ "chat_id": CHAT, "text": "🎨".repeat(TEXT_MAX / 2 + 1) });
    assert_eq!(api.refused("sendMessage", emoji).await, long);

    let id = api.say("hello").await;
    let edit = json!({ "chat_id": CHAT, "message_id": id, "text": "b".repeat(TEXT_MAX + 1) });
    assert_eq!(
        api.refused("editMessageText", edit).await,
        "Bad Request: MESSAGE_TOO_LONG"
    );
    let blank = json!({ "chat_id": CHAT, "message_id": id, "text": "" });
    assert_eq!(api.refused("editMessageText", blank).await, empty);
}

#[tokio::test]
async fn captions_fit_1024_and_callback_data_1_to_64_bytes() {
    let api = Api::start().await;
    let photo = api.tg.add_file(easel_tests::fake_openai::known_png(3));
    let with_caption = |c: String| json!({ "chat_id": CHAT, "photo": photo, "caption": c });
    api.ok("sendPhoto", with_caption("c".repeat(CAPTION_MAX)))
        .await;
    let over = api
        .refused("sendPhoto", with_caption("c".repeat(CAPTION_MAX + 1)))
        .await;
    assert_eq!(over, "Bad Request: message caption is too long");

    let invalid = "Bad Request: BUTTON_DATA_INVALID";
    for data in [
        String::new(),
        "x".repeat(CALLBACK_DATA_MAX + 1),
        "é".repeat(33),
    ] {
        let params = json!({ "chat_id": CHAT, "text": "pick", "reply_markup": keyboard(&data) });
        assert_eq!(
            api.refused("sendMessage", params).await,
            invalid,
            "{} bytes",
            data.len()
        );
    }
    let fits =
        json!({ "chat_id": CHAT, "text": "pick", "reply_markup": keyboard(&"x".repeat(64)) });
    api.ok("sendMessage", fits).await;
}

#[tokio::test]
async fn an_album_has_2_to_10_items() {
    let api = Api::start().await;
    let file = api.tg.add_file(easel_tests::fake_openai::known_png(4));
    let album = |n: usize| {
        let media: Vec<Value> = (0..n)
            .map(|_| json!({ "type": "photo", "media": file }))
            .collect();
        json!({ "chat_id": CHAT, "media": media })
    };
    for (n, description) in [
        (0, "Bad Request: there are no messages to send"),
        (1, "Bad Request: media group must include 2-10 items"),
        (11, "Bad Request: too many messages to send as an album"),
    ] {
        assert_eq!(
            api.refused("sendMediaGroup", album(n)).await,
            description,
            "{n} items"
        );
    }
    for n in [2, 10] {
        let sent = api.ok("sendMediaGroup", album(n)).await;
        assert_eq!(sent.as_array().unwrap().len(), n);
    }
}

#[tokio::test]
async fn edits_and_deletes_need_a_known_message_and_an_edit_must_change_something() {
    let api = Api::start().await;
    let id = api.say("Queued").await;
    let edit = |text: &str, markup: Option<Value>| {
        let mut p = json!({ "chat_id": CHAT, "message_id": id, "text": text });
        if let Some(m) = markup {
            p["reply_markup"] = m;
        }
        p
    };
    assert_eq!(
        api.refused("editMessageText", edit("Queued", None)).await,
        NOT_MODIFIED
    );
    api.ok("editMessageText", edit("Queued", Some(keyboard("c:1"))))
        .await;
    assert_eq!(
        api.refused("editMessageText", edit("Queued", Some(keyboard("c:1"))))
            .await,
        NOT_MODIFIED,
        "same text and same keyboard"
    );
    api.ok("editMessageText", edit("Drawing", Some(keyboard("c:1"))))
        .await;
    api.ok("editMessageText", edit("Drawing", None)).await;

    let unknown = json!({ "chat_id": CHAT, "message_id": id + 1000, "text": "x" });
    assert_eq!(
        api.refused("editMessageText", unknown).await,
        "Bad Request: message to edit not found"
    );
    let other_chat = json!({ "chat_id": CHAT + 1, "message_id": id, "text": "x" });
    assert_eq!(
        api.refused("editMessageText", other_chat).await,
        "Bad Request: message to edit not found"
    );

    let user = TgUser::new(77);
    api.tg.push_update(
        Msg::new(5, &user, &user.private_chat())
            .text("hi")
            .update(1),
    );
    let theirs = json!({ "chat_id": 77, "message_id": 5, "text": "edited" });
    assert_eq!(
        api.refused("editMessageText", theirs).await,
        "Bad Request: message can't be edited"
    );

    let target = json!({ "chat_id": CHAT, "message_id": id });
    assert_eq!(api.ok("deleteMessage", target.clone()).await, true);
    assert_eq!(
        api.refused("deleteMessage", target).await,
        "Bad Request: message to delete not found"
    );
    let gone = edit("after", None);
    assert_eq!(
        api.refused("editMessageText", gone).await,
        "Bad Request: message to edit not found"
    );
}

#[tokio::test]
async fn a_button_press_is_answered_once() {
    let api = Api::start().await;
    let user = TgUser::new(78);
    let shown = api
        .ok(
            "sendMessage",
            json!({ "chat_id": 78, "text": "pick", "reply_markup": keyboard("a:1") }),
        )
        .await;
    api.tg
        .push_update(callback(2, "q-once", &user, &shown, "a:1"));
    let answer = json!({ "callback_query_id": "q-once" });
    assert_eq!(api.ok("answerCallbackQuery", answer.clone()).await, true);
    let too_old =
        "Bad Request: query is too old and response timeout expired or query ID is invalid";
    assert_eq!(api.refused("answerCallbackQuery", answer).await, too_old);
    let unknown = json!({ "callback_query_id": "q-never" });
    assert_eq!(api.refused("answerCallbackQuery", unknown).await, too_old);
}

#[tokio::test]
async fn an_outage_answers_nginx_502_page_to_every_call_until_it_ends() {
    let tg = FakeTelegram::start(TOKEN).await;
    let client = reqwest::Client::new();
    let get_me = format!("{}bot{TOKEN}/getMe", tg.url());
    tg.set_down(true);
    let res = client.post(&get_me).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 502);
    let page = res.text().await.unwrap();
    assert!(page.contains("502 Bad Gateway") && serde_json::from_str::<Value>(&page).is_err());
    assert_eq!(tg.refused_while_down(), 1);
    tg.set_down(false);
    let (status, body) = send(client.post(&get_me)).await;
    assert_eq!((status, body["ok"].clone()), (200, json!(true)), "{body}");
}
