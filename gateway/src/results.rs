//! The result store: what a frontend needs to continue a conversation.
//!
//! Each result keeps its prompt, options, inputs, parent and the platform
//! messages that show it, so Again, Vary and a reply that edits it work after
//! a restart. The provider's original bytes (and the uploaded inputs) are kept
//! for a retention period under a total size cap; the oldest images are
//! evicted first and the record outlives its bytes ([`ResultStore::original`]
//! then answers `None`: "the original has expired"). Per-user settings and the
//! @usernames seen live here too.
//!
//! Two implementations pass one suite (`gateway/tests/results.rs`):
//! [`redis::RedisResultStore`] and [`embedded::EmbeddedResultStore`] (a redb
//! file of its own, never the ledger's).
//!
//! Invariant: the ledger's usage amounts are not here; [`ResultStore::forget`]
//! never touches quota state.

mod blob;
pub mod embedded;
pub mod redis;

use async_trait::async_trait;
use bytes::Bytes;
use easel_shared::render::RenderOptions;
use easel_shared::results::{MessageRef, ResultId, ResultRecord, UserSettings};
use easel_shared::{Platform, RequestId, UserKey};

/// Image bytes with their type, as stored and as handed back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredImage {
    /// MIME type, e.g. `image/png`.
    pub mime: String,
    /// The bytes exactly as given to [`ResultStore::save`].
    pub bytes: Bytes,
}

/// One input image of a new result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NewInput {
    /// An upload: its bytes are kept like the outputs.
    Upload(StoredImage),
    /// An output of an earlier result, referenced instead of copied.
    Output {
        /// The earlier result.
        result: ResultId,
        /// Which of its outputs (0-based).
        index: u8,
    },
}

/// A finished result to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewResult {
    /// Who asked (owns it for /forget).
    pub user: UserKey,
    /// The request that produced it.
    pub request: RequestId,
    /// The user's words, whole.
    pub prompt: String,
    /// How it was rendered.
    pub options: RenderOptions,
    /// Input images, in order.
    pub inputs: Vec<NewInput>,
    /// The result it refines or varies.
    pub parent: Option<ResultId>,
    /// The provider's images, untouched.
    pub outputs: Vec<StoredImage>,
}

/// Why the store could not answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResultStoreError {
    /// Redis or the file cannot be reached or written (retry later).
    #[error("result store unavailable: {0}")]
    Unavailable(String),
    /// Stored data does not decode: a bug or a foreign writer under our prefix.
    #[error("result store data is corrupt: {0}")]
    Corrupt(String),
    /// The images of one result exceed the total size cap on their own.
    #[error("images of {size} bytes exceed the result store's cap of {cap} bytes")]
    TooLarge {
        /// Bytes the result's images need together.
        size: u64,
        /// The configured cap (`results.max_total_bytes`).
        cap: u64,
    },
}

/// Where results, their images, user settings and usernames are kept.
#[async_trait]
pub trait ResultStore: Send + Sync + 'static {
    /// Stores a result under a fresh id and returns its record. Older images
    /// are evicted if the total would exceed the cap.
    async fn save(&self, result: NewResult) -> Result<ResultRecord, ResultStoreError>;

    /// The record of a result (`None` if unknown or forgotten).
    async fn get(&self, id: &ResultId) -> Result<Option<ResultRecord>, ResultStoreError>;

    /// The provider's original bytes of output `index`; `None` once they
    /// expired, were evicted or forgotten.
    async fn original(
        &self,
        id: &ResultId,
        index: usize,
    ) -> Result<Option<StoredImage>, ResultStoreError>;

    /// All input images of a result in order (references resolved to the
    /// bytes they point at); `None` if the result is unknown or any input's
    /// bytes are gone, since a partial set cannot repeat the request.
    async fn inputs(&self, id: &ResultId) -> Result<Option<Vec<StoredImage>>, ResultStoreError>;

    /// Records that `message` shows result `id`; `false` if the result is unknown.
    async fn attach_message(
        &self,
        id: &ResultId,
        message: MessageRef,
    ) -> Result<bool, ResultStoreError>;

    /// The result a platform message shows (a reply to a bot message maps to it).
    async fn find_by_message(
        &self,
        message: &MessageRef,
    ) -> Result<Option<ResultRecord>, ResultStoreError>;

    /// A user's settings (defaults when none were set).
    async fn settings(&self, user: UserKey) -> Result<UserSettings, ResultStoreError>;

    /// Replaces a user's settings.
    async fn set_settings(
        &self,
        user: UserKey,
        settings: &UserSettings,
    ) -> Result<(), ResultStoreError>;

    /// Notes that `@username` is `user` on `user.platform` (case-insensitive;
    /// the latest sighting wins).
    async fn remember_username(
        &self,
        user: UserKey,
        username: &str,
    ) -> Result<(), ResultStoreError>;

    /// Who `@username` was when last seen on `platform`.
    async fn lookup_username(
        &self,
        platform: Platform,
        username: &str,
    ) -> Result<Option<UserKey>, ResultStoreError>;

    /// Deletes a user's results: prompts, inputs, outputs and message index
    /// entries. Settings, usernames and the ledger stay. Returns how many
    /// results were removed.
    async fn forget(&self, user: UserKey) -> Result<u64, ResultStoreError>;

    /// Deletes image bytes past their retention; run periodically. Returns how
    /// many images were removed.
    async fn purge_expired(&self) -> Result<u64, ResultStoreError>;
}

/// A fresh random result id.
fn new_id() -> ResultId {
    ResultId::from_entropy(rand::random())
}

/// The key under which a username is remembered: platform-scoped, lower case,
/// without the `@`.
fn username_key(platform: Platform, username: &str) -> String {
    let name = username.trim().trim_start_matches('@').to_lowercase();
    format!("{}:{name}", platform.tag())
}

/// Opens the result store the configuration asks for: Redis when
/// `ledger.redis_url` is set (under the same key prefix), else its own
/// embedded file at `results.path`.
pub async fn open(
    config: &easel_shared::config::Config,
    clock: crate::ledger::Clock,
) -> Result<std::sync::Arc<dyn ResultStore>, ResultStoreError> {
    let results = config.results.clone();
    if config.ledger.redis_url.is_empty() {
        let path = results.path.clone();
        return Ok(std::sync::Arc::new(
            embedded::EmbeddedResultStore::open(path, results, clock).await?,
        ));
    }
    let store = redis::RedisResultStore::connect(
        &config.ledger.redis_url,
        &config.ledger.key_prefix,
        results,
        clock,
    )
    .await?;
    Ok(std::sync::Arc::new(store))
}
