//! Editing by talking on the `openai-responses` backend: each reply to a
//! result continues the conversation upstream (`previous_response_id`), and
//! when the provider forgot it the reply still gets its picture, from an
//! Images API edit of the stored image, charged once.

use easel_gateway::service::Gateway;
use easel_shared::config::{BackendKind, Config};
use easel_shared::results::ResultId;
use easel_tests::fake_openai::FakeOpenAi;
use easel_tests::fake_telegram::updates::{Msg, callback};
use easel_tests::fake_telegram::{Call, Chat, TgUser, poll_until_async};

use super::harness::{Harness, sent};
use super::private::mean_difference;

/// The stack's backend, turned into a Responses API conversation.
pub(crate) fn conversational(c: &mut Config) {
    let b = &mut c.backends.chain[0];
    b.name = "conversation".into();
    b.kind = BackendKind::OpenAiResponses;
    b.model = "gpt-5.1".into();
    b.image_model = "gpt-image-2".into();
}

/// The `k`-th (0-based) result photo sent to `chat`, once the bot has
/// recorded it with its result (a reply to it then names that result).
async fn result(h: &Harness, chat: &Chat, k: usize) -> Call {
    let photo =
        h.tg.wait_for("a result photo", |calls| {
            calls
                .iter()
                .filter(|c| c.method == "sendphoto" && c.chat_id() == Some(chat.id()))
                .filter(|c| c.text("caption").is_some())
                .nth(k)
                .cloned()
        })
        .await;
    let again = photo
        .buttons()
        .into_iter()
        .find(|b| b.starts_with("a:"))
        .expect("an Again button");
    let id: ResultId = again["a:".len()..].parse().expect("a result id");
    poll_until_async("the result to know its message", || async {
        let record = h.gateway().result(&id).await.ok().flatten()?;
        (!record.messages.is_empty()).then_some(())
    })
    .await;
    photo
}

/// Sends `text` as a reply to `to` (update and message id `id`).
fn reply(h: &Harness, user: &TgUser, chat: &Chat, id: i64, text: &str, to: &Call) {
    h.tg.push_update(
        Msg::new(id, user, chat)
            .text(text)
            .reply_to(&sent(to))
            .update(id),
    );
}

#[tokio::test]
async fn three_turns_continue_one_conversation_upstream() {
    let h = Harness::start_with(conversational).await;
    let user = TgUser::new(81);
    let chat = user.private_chat();
    h.tg.push_update(
        Msg::new(1, &user, &chat)
            .text("a cabin in the woods")
            .update(1),
    );
    let first = result(&h, &chat, 0).await;
    reply(&h, &user, &chat, 2, "make it night", &first);
    let second = result(&h, &chat, 1).await;
    reply(&h, &user, &chat, 3, "add snow", &second);
    let third = result(&h, &chat, 2).await;

    for (k, photo) in [&first, &second, &third].into_iter().enumerate() {
        assert_eq!(
            photo.uploads[0].bytes,
            FakeOpenAi::turn_image(k),
            "turn {k} delivers its own picture"
        );
    }
    let upstream = h.openai().requests();
    let ids = h.openai().issued_responses();
    assert_eq!(upstream.len(), 3, "one upstream call per turn");
    assert!(upstream.iter().all(|r| r.path == "/v1/responses"));
    let body = |i: usize| upstream[i].json.clone().expect("a JSON body");
    assert!(
        body(0).get("previous_response_id").is_none(),
        "turn 1 starts it"
    );
    assert_eq!(
        body(1)["previous_response_id"],
        ids[0],
        "turn 2 continues turn 1"
    );
    assert_eq!(
        body(2)["previous_response_id"],
        ids[1],
        "turn 3 continues turn 2"
    );
    assert_eq!(body(2)["input"][0]["content"][0]["text"], "add snow");
    assert_eq!(
        body(2)["input"][0]["content"].as_array().map(Vec::len),
        Some(1),
        "the picture is already in the conversation: not sent again"
    );
    assert_eq!(body(1)["model"], "gpt-5.1");
    assert_eq!(body(1)["tools"][0]["model"], "gpt-image-2");
    assert_eq!(h.used(81).await, 3, "one credit per turn");

    // Again of turn 3 redoes turn 3: it continues turn 2, not itself.
    let again = third
        .buttons()
        .into_iter()
        .find(|b| b.starts_with("a:"))
        .expect("an Again button");
    h.tg.push_update(callback(4, "q-again-81", &user, &sent(&third), &again));
    result(&h, &chat, 3).await;
    let redo = h.openai().requests().pop().expect("a fourth call");
    let redo = redo.json.expect("a JSON body");
    assert_eq!(redo["previous_response_id"], ids[1]);
    assert_eq!(redo["input"][0]["content"][0]["text"], "add snow");
}

#[tokio::test]
async fn a_forgotten_conversation_falls_back_to_an_edit_of_the_stored_image_charged_once() {
    let h = Harness::start_with(conversational).await;
    let user = TgUser::new(82);
    let chat = user.private_chat();
    h.tg.push_update(Msg::new(1, &user, &chat).text("a red kite").update(1));
    let first = result(&h, &chat, 0).await;
    h.openai().forget_responses();
    let before = h.used(82).await;

    reply(&h, &user, &chat, 2, "add a second kite", &first);
    let second = result(&h, &chat, 1).await;
    assert_eq!(
        second.uploads[0].bytes,
        FakeOpenAi::final_image(0),
        "the Images API's edit is delivered"
    );
    let sent = h.openai().requests();
    let paths: Vec<&str> = sent.iter().map(|r| r.path.as_str()).collect();
    assert_eq!(
        paths,
        ["/v1/responses", "/v1/responses", "/v1/images/edits"],
        "the refused continuation, then the edit"
    );
    let ids = h.openai().issued_responses();
    assert_eq!(
        sent[1]
            .json
            .as_ref()
            .map(|j| j["previous_response_id"].clone()),
        Some(ids[0].clone().into())
    );
    let edit = &sent[2];
    assert_eq!(edit.field("model").as_deref(), Some("gpt-image-2"));
    assert_eq!(edit.field("prompt").as_deref(), Some("add a second kite"));
    let inputs: Vec<_> = edit.parts.iter().filter(|p| p.name == "image[]").collect();
    assert_eq!(inputs.len(), 1);
    let input = image::load_from_memory(&inputs[0].bytes).expect("input decodes");
    assert!(
        mean_difference(&input, &FakeOpenAi::turn_image(0)) < 12.0,
        "the stored image is what gets edited"
    );
    assert_eq!(h.used(82).await, before + 1, "charged once for the turn");

    // The fallback's result has no conversation: the next reply starts one.
    reply(&h, &user, &chat, 3, "now at dusk", &second);
    result(&h, &chat, 2).await;
    let last = h.openai().requests().pop().expect("a fourth call");
    assert_eq!(last.path, "/v1/responses");
    let body = last.json.expect("a JSON body");
    assert!(body.get("previous_response_id").is_none());
    assert_eq!(
        body["input"][0]["content"][1]["type"], "input_image",
        "a new conversation starts from the stored image"
    );
}
