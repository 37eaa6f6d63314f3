//! A fake Telegram Bot API on 127.0.0.1:0 that the real teloxide client
//! reaches through `Bot::new(token).set_api_url(url)`.
//!
//! It speaks the wire format teloxide expects: `POST /bot<token>/<Method>`
//! (method names case-insensitive, JSON or multipart bodies), answers
//! `{"ok":true,"result":...}` with strictly valid `Message` JSON, serves
//! `getUpdates` long polling from a queue the test feeds (honouring
//! `offset`), `getFile` and downloads under `/file/bot<token>/<path>`, and
//! answers 429 with `retry_after` when told to. Every call is recorded with
//! its JSON fields and uploaded files so tests can assert on them.
//!
//! It refuses what the Bot API refuses (`validate`), in its shape
//! `{"ok":false,"error_code":400,"description":"Bad Request: ..."}`: empty or
//! over-long text and captions, bad `callback_data`, albums outside 2-10
//! items, edits and deletes of unknown messages, edits that change nothing,
//! malformed bodies; 401 for a wrong token, 404 for an unknown method. It
//! remembers every message it saw or sent (`store`) to judge edits. During
//! an outage ([`FakeTelegram::set_down`]) it answers nginx's 502 page.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use bytes::Bytes;
use serde_json::Value;
use tokio::sync::Notify;

mod handler;
mod methods;
mod store;
pub mod updates;
mod validate;
mod wait;
mod wire;

pub use updates::{Chat, TgUser};
pub use validate::{CALLBACK_DATA_MAX, CAPTION_MAX, NOT_MODIFIED, TEXT_MAX};
pub use wait::{poll_until, poll_until_async};

use handler::{api, download};
use store::remember_update;

/// The bot the fake pretends to be (`getMe`, `from` of every sent message).
pub const BOT_ID: u64 = 7_000_000_001;
/// The bot's username, without `@`.
pub const BOT_USERNAME: &str = "EaselTestBot";

/// A file uploaded with a call (multipart part with a file name).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upload {
    /// The form field it came in (`photo`, `document`, or an `attach://` name).
    pub field: String,
    /// The file name the client gave.
    pub file_name: Option<String>,
    /// The bytes, exactly as received.
    pub bytes: Bytes,
}

/// One Bot API call as received.
#[derive(Debug, Clone)]
pub struct Call {
    /// The method name in lower case (`sendphoto`, `editmessagetext`, ...).
    pub method: String,
    /// The parameters: the JSON body, or the multipart text fields (values
    /// that look like JSON objects or arrays are parsed).
    pub params: Value,
    /// Uploaded files, in order.
    pub uploads: Vec<Upload>,
    /// What the fake answered (`result`), for calls it answered with success.
    pub result: Option<Value>,
}

impl Call {
    /// A parameter as text (numbers are printed).
    pub fn text(&self, name: &str) -> Option<String> {
        self.params
            .get(name)
            .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
    }

    /// The target chat id.
    pub fn chat_id(&self) -> Option<i64> {
        self.text("chat_id").and_then(|c| c.parse().ok())
    }

    /// Every `callback_data` of the inline keyboard in `reply_markup`.
    pub fn buttons(&self) -> Vec<String> {
        self.params
            .get("reply_markup")
            .and_then(|m| m.get("inline_keyboard"))
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .flat_map(|row| row.as_array().into_iter().flatten())
            .filter_map(|b| b.get("callback_data").and_then(Value::as_str))
            .map(str::to_owned)
            .collect()
    }
}

/// A file the fake serves through `getFile` and `/file/bot<token>/<path>`.
#[derive(Debug, Clone)]
struct StoredFile {
    path: String,
    bytes: Bytes,
}

#[derive(Default)]
struct Inner {
    /// Updates not yet confirmed by an `offset`, in order.
    pending: VecDeque<Value>,
    /// Updates to hand out again although their id is below the offset
    /// (Telegram redelivers when it did not see the confirmation).
    redeliver: VecDeque<Value>,
    calls: Vec<Call>,
    files: HashMap<String, StoredFile>,
    /// Methods (lower case) whose next call gets a 429 with this `retry_after`.
    rate_limits: HashMap<String, VecDeque<u32>>,
    /// Methods (lower case) whose next calls get a 400 with these descriptions.
    faults: HashMap<String, VecDeque<String>>,
    /// Chats seen in updates, so replies carry the right chat type.
    chats: HashMap<i64, Value>,
    /// Every message seen in updates or sent by the bot and not deleted, by
    /// (chat, message id), as it now shows: edits are judged against it.
    messages: HashMap<(i64, i64), Value>,
    /// Callback queries delivered in updates and not answered yet: Telegram
    /// takes one answer per query.
    open_queries: std::collections::HashSet<String>,
    next_message_id: i64,
    next_file: u64,
    /// File downloads served (`/file/bot<token>/<path>`).
    downloads: usize,
    /// Users who never started a private chat with the bot: Telegram
    /// refuses to let the bot write to them first.
    closed_private: std::collections::HashSet<i64>,
    /// An outage: every request gets the 502 page of Telegram's nginx.
    down: bool,
    /// Requests answered with that page.
    refused_down: usize,
}

#[derive(Clone)]
struct Shared {
    token: String,
    inner: Arc<Mutex<Inner>>,
    updates_ready: Arc<Notify>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A running fake Bot API; it stops when the test's runtime ends.
#[derive(Clone)]
pub struct FakeTelegram {
    shared: Shared,
    url: String,
}

/// How long [`FakeTelegram::wait_for`] waits before failing the test.
pub const WAIT: Duration = Duration::from_secs(30);

impl FakeTelegram {
    /// Starts the fake on an ephemeral port for a bot with this token.
    pub async fn start(token: &str) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind fake Telegram");
        let addr = listener.local_addr().expect("local addr");
        let shared = Shared {
            token: token.to_owned(),
            inner: Arc::new(Mutex::new(Inner {
                next_message_id: 10_000,
                ..Inner::default()
            })),
            updates_ready: Arc::new(Notify::new()),
        };
        let app = Router::new()
            .route("/{bot}/{method}", post(api).get(api))
            .route("/file/{bot}/{*path}", get(download))
            .layer(DefaultBodyLimit::disable())
            .with_state(shared.clone());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self {
            shared,
            url: format!("http://{addr}/"),
        }
    }

    /// Starts or ends an outage: while down every request gets the HTML 502
    /// page Telegram's front end serves, and nothing else happens.
    pub fn set_down(&self, down: bool) {
        self.shared.lock().down = down;
    }

    /// Requests refused because of an outage so far.
    pub fn refused_while_down(&self) -> usize {
        self.shared.lock().refused_down
    }

    /// The Bot API base URL to give teloxide (`set_api_url`).
    pub fn url(&self) -> String {
        self.url.clone()
    }

    /// Queues updates for `getUpdates`; all of them arrive in one batch if
    /// the bot polls after this call.
    pub fn push_updates(&self, updates: impl IntoIterator<Item = Value>) {
        {
            let mut inner = self.shared.lock();
            for update in updates {
                remember_update(&mut inner, &update);
                inner.pending.push_back(update);
            }
        }
        self.shared.updates_ready.notify_waiters();
    }

    /// Queues one update.
    pub fn push_update(&self, update: Value) {
        self.push_updates([update]);
    }

    /// Delivers an update again, exactly as before, even though the bot
    /// already confirmed it (what Telegram does when the confirmation or the
    /// webhook answer got lost).
    pub fn redeliver(&self, update: Value) {
        self.shared.lock().redeliver.push_back(update);
        self.shared.updates_ready.notify_waiters();
    }

    /// Makes a file downloadable and returns its `file_id`.
    pub fn add_file(&self, bytes: impl Into<Bytes>) -> String {
        let mut inner = self.shared.lock();
        store_file(&mut inner, bytes.into(), "photos")
    }

    /// How many file downloads the bot made (`/file/bot<token>/<path>`).
    pub fn downloads(&self) -> usize {
        self.shared.lock().downloads
    }

    /// `user` never opened a private chat with the bot: anything the bot
    /// sends there is refused with Telegram's 403 "Forbidden: bot can't
    /// initiate conversation with a user".
    pub fn close_private_chat(&self, user: i64) {
        self.shared.lock().closed_private.insert(user);
    }

    /// The bytes behind a `file_id` (uploaded by the bot or added by the test).
    pub fn file(&self, file_id: &str) -> Option<Bytes> {
        self.shared
            .lock()
            .files
            .get(file_id)
            .map(|f| f.bytes.clone())
    }

    /// The next `count` calls of `method` (any case) answer 429 with this `retry_after`.
    pub fn rate_limit(&self, method: &str, retry_after: u32, count: usize) {
        let mut inner = self.shared.lock();
        let queue = inner
            .rate_limits
            .entry(method.to_ascii_lowercase())
            .or_default();
        queue.extend(std::iter::repeat_n(retry_after, count));
    }

    /// The next call of `method` (any case) is refused with a 400 and this
    /// description (e.g. [`NOT_MODIFIED`]), whatever it asks: for refusals
    /// the bot cannot be led into by real inputs alone.
    pub fn refuse_next(&self, method: &str, description: &str) {
        let mut inner = self.shared.lock();
        let queue = inner.faults.entry(method.to_ascii_lowercase()).or_default();
        queue.push_back(description.to_owned());
    }

    /// Every call so far.
    pub fn calls(&self) -> Vec<Call> {
        self.shared.lock().calls.clone()
    }

    /// Every call of `method` (any case) so far.
    pub fn calls_of(&self, method: &str) -> Vec<Call> {
        let method = method.to_ascii_lowercase();
        self.shared
            .lock()
            .calls
            .iter()
            .filter(|c| c.method == method)
            .cloned()
            .collect()
    }

    /// Calls to `chat` that show something to the user (messages, photos,
    /// documents, albums, edits), in order.
    pub fn visible_calls(&self, chat: i64) -> Vec<Call> {
        self.calls()
            .into_iter()
            .filter(|c| {
                c.chat_id() == Some(chat)
                    && (c.method.starts_with("send") && c.method != "sendchataction"
                        || c.method.starts_with("edit"))
            })
            .collect()
    }

    /// Polls `check` over the recorded calls every 10 ms until it returns
    /// `Some`, failing the test with `what` after [`WAIT`].
    pub async fn wait_for<T>(&self, what: &str, mut check: impl FnMut(&[Call]) -> Option<T>) -> T {
        poll_until(what, || {
            let calls = self.calls();
            check(&calls)
        })
        .await
    }

    /// Waits for the first call of `method` to `chat` whose params satisfy `check`.
    pub async fn wait_call(
        &self,
        method: &str,
        chat: i64,
        mut check: impl FnMut(&Call) -> bool,
    ) -> Call {
        let method = method.to_ascii_lowercase();
        self.wait_for(&format!("{method} to chat {chat}"), |calls| {
            calls
                .iter()
                .find(|c| c.method == method && c.chat_id() == Some(chat) && check(c))
                .cloned()
        })
        .await
    }

    /// Waits until no update is pending and the bot has asked for more,
    /// i.e. it has taken every queued update.
    pub async fn wait_drained(&self) {
        poll_until("the bot to take every pending update", || {
            let inner = self.shared.lock();
            let idle = inner.pending.is_empty() && inner.redeliver.is_empty();
            let polled = inner
                .calls
                .iter()
                .rev()
                .take_while(|c| c.method == "getupdates")
                .count()
                > 0;
            (idle && polled).then_some(())
        })
        .await;
    }
}

fn store_file(inner: &mut Inner, bytes: Bytes, folder: &str) -> String {
    inner.next_file += 1;
    let n = inner.next_file;
    let id = format!("FILE{n:06}");
    inner.files.insert(
        id.clone(),
        StoredFile {
            path: format!("{folder}/file_{n}.bin"),
            bytes,
        },
    );
    id
}
