//! A fake Discord REST API on 127.0.0.1:0 for serenity's real HTTP client
//! (reached through `HttpBuilder::proxy` with the rate limiter off): the
//! interaction callback, the original response (edit and read), follow-ups,
//! channel messages, command registration, the token's application, and a
//! CDN serving attachments.
//! Every call is recorded with its JSON payload and uploaded files, and
//! answers are valid Discord objects so serenity can deserialize them.
//!
//! It refuses what Discord refuses (`rules`): bot routes without the bot's
//! token, another application's webhooks or commands, a second
//! acknowledgement of an interaction, and `@original` or follow-ups of a
//! token that was never acknowledged or whose 15 minutes are over, on a
//! clock the test moves ([`FakeDiscord::advance`]). During an outage
//! ([`FakeDiscord::set_down`]) every request gets Discord's edge 502 page.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post, put};
use serde_json::Value;

use crate::fake_openai::FormPart;

mod application;
mod form;
mod outage;
pub mod payloads;
mod routes;
mod rules;

pub use rules::TOKEN_LIFETIME;

pub use application::Application;

use routes::{
    callback, cdn, channel_message, commands, delete_original, dm_channel, edit_original, followup,
    get_message, get_original, unknown,
};

/// The bot token the fake accepts (`Authorization: Bot <token>`).
pub const TOKEN: &str = "discord-test-token";

/// The channel of messages sent through an interaction webhook (the
/// original response, follow-ups). Snowflakes are never 0: serenity refuses
/// a Message whose `channel_id` is "0", so a fake answering that made every
/// edit look failed to the bot.
pub const WEBHOOK_CHANNEL: u64 = 700_000_000_000_000_001;

/// The bot user's id in every message the fake creates.
pub const BOT_USER_ID: u64 = 900_000_000_000_000_001;

/// One REST call as received.
#[derive(Debug, Clone)]
pub struct Call {
    /// `GET`, `POST`, `PATCH`, `PUT`.
    pub method: String,
    /// The path, e.g. `/api/v10/webhooks/1/tok/messages/@original`.
    pub path: String,
    /// The JSON body, or the multipart `payload_json` part.
    pub json: Value,
    /// Uploaded files (`files[n]` parts), in order.
    pub files: Vec<FormPart>,
}

impl Call {
    /// Whether this call answered an interaction (callback) with this token.
    pub fn is_callback(&self, token: &str) -> bool {
        self.method == "POST"
            && self.path.starts_with("/api/v10/interactions/")
            && self.path.ends_with(&format!("/{token}/callback"))
    }

    /// Whether this call edited the original response of the interaction with this token.
    pub fn is_edit_original(&self, token: &str) -> bool {
        self.method == "PATCH" && self.path.ends_with(&format!("/{token}/messages/@original"))
    }

    /// Whether this call deleted the original response of this token.
    pub fn is_delete_original(&self, token: &str) -> bool {
        self.method == "DELETE" && self.path.ends_with(&format!("/{token}/messages/@original"))
    }

    /// Whether this is a follow-up message for the interaction with this token.
    pub fn is_followup(&self, token: &str) -> bool {
        self.method == "POST"
            && self.path.starts_with("/api/v10/webhooks/")
            && self.path.ends_with(&format!("/{token}"))
    }

    /// The text a user reads: the content plus embed titles and descriptions.
    pub fn text(&self) -> String {
        let data = self.json.get("data").unwrap_or(&self.json);
        let mut out = data["content"].as_str().unwrap_or_default().to_owned();
        for e in data["embeds"].as_array().into_iter().flatten() {
            for key in ["title", "description"] {
                if let Some(s) = e[key].as_str() {
                    out.push('\n');
                    out.push_str(s);
                }
            }
            for f in e["fields"].as_array().into_iter().flatten() {
                out.push('\n');
                out.push_str(f["name"].as_str().unwrap_or_default());
                out.push('\n');
                out.push_str(f["value"].as_str().unwrap_or_default());
            }
        }
        out
    }

    /// The custom ids of the buttons and inputs in the payload, in order.
    pub fn custom_ids(&self) -> Vec<String> {
        let data = self.json.get("data").unwrap_or(&self.json);
        let mut out = Vec::new();
        for row in data["components"].as_array().into_iter().flatten() {
            for c in row["components"].as_array().into_iter().flatten() {
                if let Some(id) = c["custom_id"].as_str() {
                    out.push(id.to_owned());
                }
            }
        }
        out
    }

    /// Whether the message flags include EPHEMERAL (64).
    pub fn ephemeral(&self) -> bool {
        let data = self.json.get("data").unwrap_or(&self.json);
        data["flags"].as_u64().is_some_and(|f| f & 64 != 0)
    }
}

#[derive(Default)]
pub(crate) struct Inner {
    pub(crate) calls: Vec<Call>,
    /// Messages by id, as returned (channel messages and original responses).
    pub(crate) messages: HashMap<u64, Value>,
    /// The message id of each interaction token's original response.
    pub(crate) originals: HashMap<String, u64>,
    /// Files served under `/cdn/{name}`.
    pub(crate) cdn: HashMap<String, Bytes>,
    /// Requests for `/cdn/{name}` files (attachment downloads).
    pub(crate) cdn_downloads: usize,
    pub(crate) next_id: u64,
    /// Status to answer the next callbacks with instead of 204 (e.g. 404 for
    /// an interaction Discord already forgot).
    pub(crate) callback_status: Option<u16>,
    /// What `GET /oauth2/applications/@me` answers (401 for every token when unset).
    pub(crate) application: Option<Application>,
    /// The fake's clock: time since start, moved only by the test.
    pub(crate) now: Duration,
    /// When each interaction token was acknowledged, on that clock.
    pub(crate) acks: HashMap<String, Duration>,
    /// An outage: every request gets the 502 page Discord's edge serves.
    pub(crate) down: bool,
    /// Requests answered with that page.
    pub(crate) refused_down: usize,
}

#[derive(Clone)]
pub(crate) struct Shared {
    pub(crate) inner: Arc<Mutex<Inner>>,
    pub(crate) origin: String,
    /// The bot token bot routes need.
    pub(crate) token: Arc<str>,
    /// The application whose webhooks and commands the bot may use.
    pub(crate) app_id: u64,
}

impl Shared {
    pub(crate) fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A running fake; stops when the test's runtime ends.
#[derive(Clone)]
pub struct FakeDiscord {
    shared: Shared,
}

impl FakeDiscord {
    /// Starts the fake on an ephemeral port for the bot with [`TOKEN`] and
    /// application [`payloads::APP_ID`].
    pub async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind fake Discord");
        let addr = listener.local_addr().expect("local addr");
        let shared = Shared {
            inner: Arc::new(Mutex::new(Inner {
                next_id: 1_300_000_000_000_000_000,
                ..Inner::default()
            })),
            origin: format!("http://{addr}"),
            token: Arc::from(TOKEN),
            app_id: payloads::APP_ID,
        };
        let app = Router::new()
            .route(
                "/api/v10/interactions/{id}/{token}/callback",
                post(callback),
            )
            .route(
                "/api/v10/webhooks/{app}/{token}/messages/{message}",
                get(get_original)
                    .patch(edit_original)
                    .delete(delete_original),
            )
            .route("/api/v10/webhooks/{app}/{token}", post(followup))
            .route(
                "/api/v10/channels/{channel}/messages",
                post(channel_message),
            )
            .route(
                "/api/v10/channels/{channel}/messages/{message}",
                get(get_message),
            )
            .route("/api/v10/users/@me/channels", post(dm_channel))
            .route("/api/v10/applications/{app}/commands", put(commands))
            .route(
                "/api/v10/applications/{app}/guilds/{guild}/commands",
                put(commands),
            )
            .route(
                "/api/v10/oauth2/applications/@me",
                get(application::current_application),
            )
            .route("/api/v10/users/@me", get(application::current_user))
            .route("/cdn/{name}", get(cdn))
            .fallback(unknown)
            .layer(axum::middleware::from_fn_with_state(
                shared.clone(),
                outage::gate,
            ))
            .layer(DefaultBodyLimit::disable())
            .with_state(shared.clone());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self { shared }
    }

    /// Starts or ends an outage: while down every request gets a 502 page
    /// (as Discord's edge serves one) and nothing else happens.
    pub fn set_down(&self, down: bool) {
        self.shared.lock().down = down;
    }

    /// Requests refused because of an outage so far.
    pub fn refused_while_down(&self) -> usize {
        self.shared.lock().refused_down
    }

    /// The base URL for `HttpBuilder::proxy` (`http://127.0.0.1:port`).
    pub fn base_url(&self) -> String {
        self.shared.origin.clone()
    }

    /// How many times the bot fetched a file from the fake CDN.
    pub fn cdn_downloads(&self) -> usize {
        self.shared.lock().cdn_downloads
    }

    /// Serves `bytes` on the fake CDN and returns its URL (an attachment's `url`).
    pub fn host_file(&self, name: &str, bytes: Bytes) -> String {
        self.shared.lock().cdn.insert(name.to_owned(), bytes);
        format!("{}/cdn/{name}", self.shared.origin)
    }

    /// Stores a channel message (`GET /channels/{c}/messages/{m}` returns it).
    pub fn put_message(&self, message: Value) {
        let id = message["id"]
            .as_str()
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        self.shared.lock().messages.insert(id, message);
    }

    /// Answers the next interaction callbacks with this status instead of 204.
    pub fn fail_callbacks(&self, status: Option<u16>) {
        self.shared.lock().callback_status = status;
    }

    /// Moves the fake's clock: tokens acknowledged more than
    /// [`TOKEN_LIFETIME`] ago stop working.
    pub fn advance(&self, by: Duration) {
        self.shared.lock().now += by;
    }

    /// Marks the interaction with `token` as acknowledged where the fake
    /// cannot see it: in the HTTP endpoint's reply, or by another process.
    pub fn acknowledge(&self, token: &str) {
        let mut inner = self.shared.lock();
        let now = inner.now;
        inner.acks.entry(token.to_owned()).or_insert(now);
    }

    /// Makes `GET /oauth2/applications/@me` accept `app.token` and answer
    /// with this application; other tokens get Discord's 401.
    pub fn set_application(&self, app: Application) {
        self.shared.lock().application = Some(app);
    }

    /// Every call so far, in order.
    pub fn calls(&self) -> Vec<Call> {
        self.shared.lock().calls.clone()
    }

    /// Waits (bounded, 20 s) until some recorded call satisfies `pred`, and
    /// returns it; panics with `what` and the calls seen if none does.
    pub async fn wait_for(&self, what: &str, pred: impl Fn(&Call) -> bool) -> Call {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(c) = self.calls().into_iter().find(|c| pred(c)) {
                return c;
            }
            if tokio::time::Instant::now() > deadline {
                let seen: Vec<String> = self
                    .calls()
                    .iter()
                    .map(|c| format!("{} {} {}", c.method, c.path, c.text()))
                    .collect();
                panic!("timed out waiting for {what}; calls: {seen:#?}");
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// The last edit of the original response of `token` whose payload
    /// satisfies `pred`, waiting for it like [`FakeDiscord::wait_for`].
    pub async fn wait_for_edit(
        &self,
        token: &str,
        what: &str,
        pred: impl Fn(&Call) -> bool,
    ) -> Call {
        self.wait_for(what, |c| c.is_edit_original(token) && pred(c))
            .await
    }
}
