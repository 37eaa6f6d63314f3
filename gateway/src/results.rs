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
//! Two implementations pass one suite (`gateway/tests/results.rs`, and on a
//! Redis Cluster in `tests/tests/cluster.rs`): [`redis::RedisResultStore`]
//! and [`embedded::EmbeddedResultStore`] (a redb file of its own, never the
//! ledger's).
//!
//! Results are kept apart from quotas: `results.redis_url` names a Redis of
//! their own where eviction is allowed; without it they share the ledger's
//! Redis (a start-up warning says so). On Redis every key has a TTL (see
//! [`redis`]); the embedded file drops image bytes after `retention` and
//! records with their message lookups after `record_retention` (in
//! [`ResultStore::purge_expired`]), and keeps settings and usernames. Storing a result is best effort after the ledger
//! settled: a failing or full store ([`ResultStoreError::Full`]) never blocks
//! admission or settling; the user gets the images without stored-result
//! buttons.
//!
//! Invariant: the ledger's usage amounts are not here; [`ResultStore::forget`]
//! never touches quota state.

mod blob;
pub mod embedded;
pub mod redis;

use async_trait::async_trait;
use easel_shared::render::RenderOptions;
use easel_shared::results::{Continuation, MessageRef, ResultId, ResultRecord, UserSettings};
use easel_shared::{Platform, RequestId, UserKey};

/// Image bytes with their type, as stored and as handed back (exactly as
/// given to [`ResultStore::save`]): the one image type of Easel.
pub use easel_shared::job::ImageData;

/// One input image of a new result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NewInput {
    /// An upload: its bytes are kept like the outputs.
    Upload(ImageData),
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
    pub outputs: Vec<ImageData>,
    /// The backend's handle for the next turn (`BackendOutput::continuation`).
    pub continuation: Option<Continuation>,
}

/// Why the store could not answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResultStoreError {
    /// Redis or the file cannot be reached or written (retry later).
    #[error("result store unavailable: {0}")]
    Unavailable(String),
    /// The store's Redis is at its `maxmemory` and refuses writes (`OOM`):
    /// nothing new is stored until memory frees; reads still work.
    #[error("result store full: {0}")]
    Full(String),
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
    ) -> Result<Option<ImageData>, ResultStoreError>;

    /// All input images of a result in order (references resolved to the
    /// bytes they point at); `None` if the result is unknown or any input's
    /// bytes are gone, since a partial set cannot repeat the request.
    async fn inputs(&self, id: &ResultId) -> Result<Option<Vec<ImageData>>, ResultStoreError>;

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

    /// The user's newest `limit` results, newest first (the playground's
    /// history). Reads every record of the user's index, so it costs one
    /// read per stored result; records already gone are skipped.
    async fn recent(
        &self,
        user: UserKey,
        limit: usize,
    ) -> Result<Vec<ResultRecord>, ResultStoreError>;

    /// Deletes image bytes past their retention, and records with their
    /// message lookups past `record_retention` where no Redis TTL does it;
    /// run periodically. Returns how many images were removed.
    async fn purge_expired(&self) -> Result<u64, ResultStoreError>;
}

/// A fresh random result id.
fn new_id() -> ResultId {
    ResultId::from_entropy(rand::random())
}

/// The newest `limit` of `records`, newest first (ties by id, so the
/// order is stable).
fn newest(mut records: Vec<ResultRecord>, limit: usize) -> Vec<ResultRecord> {
    records.sort_by(|a, b| (b.created_at, &b.id).cmp(&(a.created_at, &a.id)));
    records.truncate(limit);
    records
}

/// How long records, lineage and message lookups are kept:
/// `record_retention`, never less than the images' `retention`.
fn record_keep(config: &easel_shared::config::ResultsConfig) -> std::time::Duration {
    config.record_retention.max(config.retention)
}

/// The key under which a username is remembered: platform-scoped, lower case,
/// without the `@`.
fn username_key(platform: Platform, username: &str) -> String {
    let name = username.trim().trim_start_matches('@').to_lowercase();
    format!("{}:{name}", platform.tag())
}

/// Where the result store lives, as the configuration asks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// `results.redis_url`: a Redis of its own.
    OwnRedis(String),
    /// No `results.redis_url` but a `ledger.redis_url`: images share the
    /// ledger's Redis and its memory.
    LedgerRedis(String),
    /// The embedded file at `results.path`.
    File(String),
}

impl Location {
    /// Reads `results.redis_url`, then `ledger.redis_url`, then `results.path`.
    pub fn of(config: &easel_shared::config::Config) -> Self {
        if !config.results.redis_url.is_empty() {
            Self::OwnRedis(config.results.redis_url.clone())
        } else if !config.ledger.redis_url.is_empty() {
            Self::LedgerRedis(config.ledger.redis_url.clone())
        } else {
            Self::File(config.results.path.clone())
        }
    }
}

/// Opens the result store the configuration asks for (see [`Location`]),
/// under the ledger's key prefix on Redis. Warns when images would share the
/// ledger's Redis: a full Redis there refuses quota writes too.
pub async fn open(
    config: &easel_shared::config::Config,
    clock: crate::ledger::Clock,
) -> Result<std::sync::Arc<dyn ResultStore>, ResultStoreError> {
    let results = config.results.clone();
    let location = Location::of(config);
    let url = match &location {
        Location::File(path) => {
            return Ok(std::sync::Arc::new(
                embedded::EmbeddedResultStore::open(path, results, clock).await?,
            ));
        }
        Location::LedgerRedis(url) => {
            tracing::warn!(
                "results.redis_url is not set: result images share the ledger's Redis and \
                 its memory; set results.redis_url to a Redis with an eviction policy \
                 (allkeys-lru) so images can never block quota writes"
            );
            url
        }
        Location::OwnRedis(url) => url,
    };
    let store =
        redis::RedisResultStore::connect(url, &config.ledger.key_prefix, results, clock).await?;
    // The ledger's Redis must not evict: that is already warned about above.
    if matches!(location, Location::OwnRedis(_)) {
        for warning in store.check_server().await {
            tracing::warn!("{warning}");
        }
    }
    Ok(std::sync::Arc::new(store))
}

#[cfg(test)]
mod tests {
    use super::*;
    use easel_shared::config::Config;

    #[test]
    fn results_go_to_their_own_redis_then_the_ledgers_then_a_file() {
        let mut config = Config::default();
        config.results.path = "r.redb".into();
        assert_eq!(Location::of(&config), Location::File("r.redb".into()));
        config.ledger.redis_url = "redis://ledger".into();
        assert_eq!(
            Location::of(&config),
            Location::LedgerRedis("redis://ledger".into())
        );
        config.results.redis_url = "redis+cluster://a:1,b:2".into();
        assert_eq!(
            Location::of(&config),
            Location::OwnRedis("redis+cluster://a:1,b:2".into())
        );
    }
}
