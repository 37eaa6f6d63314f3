//! HTTP interactions endpoint mode: signatures, the replay window, PING,
//! a signed /imagine taking the same path as in gateway mode, and one
//! interaction delivered to two replicas handled once. The
//! endpoint judges timestamps by the stack's manual clock, so no test reads
//! today's date and a replay "later" is a clock move.

use std::time::Duration;

use easel_bot::discord::endpoint;
use easel_gateway::service::Gateway;
use easel_tests::fake_discord::payloads::{Who, opt_str, ping, slash};
use easel_tests::fake_openai::FakeOpenAi;
use ed25519_dalek::{Signer, SigningKey};
use serde_json::Value;

use super::harness::{Bot, SIGNING_SEED};

struct Endpoint {
    url: String,
    client: reqwest::Client,
}

impl Endpoint {
    async fn start(bot: &Bot) -> Self {
        Self::start_for(bot.discord.clone(), bot).await
    }

    /// An endpoint over `discord` (another replica's adapter), with `bot`'s config and clock.
    async fn start_for(discord: std::sync::Arc<easel_bot::discord::Discord>, bot: &Bot) -> Self {
        let router =
            endpoint::router_with_clock(discord, &bot.config().discord, bot.stack.clock.clone())
                .expect("router");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/interactions", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, router).await });
        Self {
            url,
            client: reqwest::Client::new(),
        }
    }

    async fn post(&self, body: &str, timestamp: i64, key: &SigningKey) -> (u16, Value) {
        let ts = timestamp.to_string();
        let signature = key.sign(format!("{ts}{body}").as_bytes());
        let hex: String = signature
            .to_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let res = self
            .client
            .post(&self.url)
            .header("x-signature-ed25519", hex)
            .header("x-signature-timestamp", ts)
            .header("content-type", "application/json")
            .body(body.to_owned())
            .send()
            .await
            .unwrap();
        let status = res.status().as_u16();
        (status, res.json().await.unwrap_or(Value::Null))
    }
}

/// The stack clock's time in whole seconds, as Discord stamps requests.
fn now(bot: &Bot) -> i64 {
    bot.stack.clock.now().0.div_euclid(1000)
}

#[tokio::test]
async fn http_endpoint_checks_signatures_and_age_and_answers_ping() {
    let bot = Bot::start(|_| {}).await;
    let ep = Endpoint::start(&bot).await;
    let key = SigningKey::from_bytes(&SIGNING_SEED);
    let body = ping().to_string();
    let stamp = || now(&bot);

    let (status, reply) = ep.post(&body, stamp(), &key).await;
    assert_eq!(status, 200);
    assert_eq!(reply, serde_json::json!({ "type": 1 }));

    let stranger = SigningKey::from_bytes(&[9; 32]);
    assert_eq!(
        ep.post(&body, stamp(), &stranger).await.0,
        401,
        "bad signature"
    );
    assert_eq!(
        ep.post(&body, stamp() - 3_600, &key).await.0,
        401,
        "stale timestamp"
    );
    let unsigned = ep.client.post(&ep.url).body(body).send().await.unwrap();
    assert_eq!(unsigned.status().as_u16(), 401, "no signature");
}

#[tokio::test]
async fn the_replay_window_is_max_signature_age_either_way_by_the_clock() {
    let bot = Bot::start(|_| {}).await;
    let ep = Endpoint::start(&bot).await;
    let key = SigningKey::from_bytes(&SIGNING_SEED);
    let body = ping().to_string();
    let age = bot.config().discord.max_signature_age_secs as i64;
    let signed_at = now(&bot);

    assert_eq!(
        ep.post(&body, signed_at - age, &key).await.0,
        200,
        "oldest allowed"
    );
    assert_eq!(
        ep.post(&body, signed_at - age - 1, &key).await.0,
        401,
        "one second older"
    );
    assert_eq!(
        ep.post(&body, signed_at + age, &key).await.0,
        200,
        "clock skew allowed"
    );
    assert_eq!(
        ep.post(&body, signed_at + age + 1, &key).await.0,
        401,
        "from the future"
    );

    // The same signed request replayed once the window has passed.
    bot.stack.clock.advance(Duration::from_secs(age as u64));
    assert_eq!(ep.post(&body, signed_at, &key).await.0, 200, "still inside");
    bot.stack.clock.advance(Duration::from_secs(1));
    assert_eq!(
        ep.post(&body, signed_at, &key).await.0,
        401,
        "replayed too late"
    );
}

#[tokio::test]
async fn a_signed_imagine_takes_the_same_path_as_over_the_gateway() {
    let bot = Bot::start(|_| {}).await;
    let ep = Endpoint::start(&bot).await;
    let key = SigningKey::from_bytes(&SIGNING_SEED);
    let who = Who::member(super::USER, super::GUILD, &[]);
    let body = slash(
        1_100,
        "tok-http",
        &who,
        "imagine",
        vec![opt_str("prompt", "a kite")],
        vec![],
        vec![],
    )
    .to_string();
    // The endpoint's reply is the acknowledgement; Discord sees it, the fake cannot.
    bot.fake.acknowledge("tok-http");

    let (status, reply) = ep.post(&body, now(&bot), &key).await;
    assert_eq!(status, 200);
    assert_eq!(reply["type"], 5, "deferred in the reply body: {reply}");
    assert!(
        !bot.fake.calls().iter().any(|c| c.is_callback("tok-http")),
        "no REST callback in HTTP mode"
    );
    let done = super::final_edit(&bot.fake, "tok-http").await;
    assert_eq!(done.files[0].bytes, FakeOpenAi::final_image(0));
    assert_eq!(
        bot.stack.openai.requests()[0].field("prompt").as_deref(),
        Some("a kite")
    );
}

/// Behind a load balancer the same signed interaction can reach two
/// replicas (two adapters, each its own endpoint, over one gateway). Both
/// acknowledge it; one handles it (one answer edited in), the other only
/// defers.
#[tokio::test]
async fn an_interaction_delivered_to_two_replicas_is_handled_once() {
    let bot = Bot::start(|_| {}).await;
    let (second, _api) = super::harness::adapter(&bot.stack).await;
    let endpoints = [
        Endpoint::start(&bot).await,
        Endpoint::start_for(second, &bot).await,
    ];
    let key = SigningKey::from_bytes(&SIGNING_SEED);
    let who = Who::member(super::USER, super::GUILD, &[]);
    let body = slash(1_200, "tok-twice", &who, "quota", vec![], vec![], vec![]).to_string();
    for ep in &endpoints {
        let (status, reply) = ep.post(&body, now(&bot), &key).await;
        assert_eq!((status, reply["type"].as_u64()), (200, Some(5)), "{reply}");
    }
    // The interaction is claimed: a third delivery would be dropped too.
    assert!(
        !bot.stack
            .gateway
            .claim_event("dc:interaction:1200")
            .await
            .unwrap()
    );
    bot.fake
        .wait_for_edit("tok-twice", "the quota answer", |c| {
            c.text().contains("left")
        })
        .await;
    // Another interaction on the replica that got the duplicate: once its
    // answer is in, the duplicate (delivered earlier) would have answered too.
    let next = slash(1_201, "tok-next", &who, "quota", vec![], vec![], vec![]).to_string();
    let (status, _) = endpoints[1].post(&next, now(&bot), &key).await;
    assert_eq!(status, 200);
    bot.fake
        .wait_for_edit("tok-next", "the next answer", |c| c.text().contains("left"))
        .await;
    let edits = bot
        .fake
        .calls()
        .iter()
        .filter(|c| c.is_edit_original("tok-twice"))
        .count();
    assert_eq!(edits, 1, "answered once");
}
