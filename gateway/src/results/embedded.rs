//! The result store in one redb file, for one-machine installs without Redis.
//!
//! A file of its own (`results.path`), never the ledger's: /forget and the
//! size cap rewrite a lot of pages, and the ledger's file should not pay for
//! that. Every call runs its transaction on the blocking pool.

mod images;

use std::path::Path;
use std::sync::Arc;

use async_trait::async_trait;
use easel_shared::config::ResultsConfig;
use easel_shared::results::{MessageRef, ResultId, ResultRecord, UserSettings};
use easel_shared::{Platform, UserKey};
use redb::{
    Database, MultimapTableDefinition, ReadTransaction, ReadableDatabase, ReadableTable,
    TableDefinition, WriteTransaction,
};

use super::blob::{self, Prepared};
use super::{ImageData, NewResult, ResultStore, ResultStoreError, new_id, username_key};
use crate::ledger::Clock;

/// Result id -> record (JSON, messages included).
const RESULTS: TableDefinition<&str, &[u8]> = TableDefinition::new("results");
/// Message (`tg:<chat>:<message>`) -> result id.
const MESSAGES: TableDefinition<&str, &str> = TableDefinition::new("result_messages");
/// User key -> the ids of their results (for /forget).
const USER_RESULTS: MultimapTableDefinition<&str, &str> =
    MultimapTableDefinition::new("user_results");
/// User key -> settings (JSON).
const SETTINGS: TableDefinition<&str, &[u8]> = TableDefinition::new("user_settings");
/// `tg:<lower-case username>` -> user key.
const USERNAMES: TableDefinition<&str, &str> = TableDefinition::new("usernames");

/// The [`ResultStore`] in a redb file. Cheap to share behind an `Arc`.
#[derive(Debug, Clone)]
pub struct EmbeddedResultStore {
    db: Arc<Database>,
    config: ResultsConfig,
    clock: Clock,
}

impl EmbeddedResultStore {
    /// Opens (or creates) the file. Fails with `Unavailable` if it cannot be
    /// opened, e.g. because another process holds it.
    pub async fn open(
        path: impl AsRef<Path>,
        config: ResultsConfig,
        clock: Clock,
    ) -> Result<Self, ResultStoreError> {
        let path = path.as_ref().to_owned();
        let db = tokio::task::spawn_blocking(move || {
            let db = Database::create(&path).map_err(unavailable)?;
            let txn = db.begin_write().map_err(unavailable)?;
            txn.open_table(RESULTS).map_err(unavailable)?;
            txn.open_table(MESSAGES).map_err(unavailable)?;
            txn.open_multimap_table(USER_RESULTS).map_err(unavailable)?;
            txn.open_table(SETTINGS).map_err(unavailable)?;
            txn.open_table(USERNAMES).map_err(unavailable)?;
            txn.open_table(images::BLOBS).map_err(unavailable)?;
            txn.open_table(images::BY_EXPIRY).map_err(unavailable)?;
            txn.open_table(images::TOTALS).map_err(unavailable)?;
            txn.commit().map_err(unavailable)?;
            Ok::<_, ResultStoreError>(db)
        })
        .await
        .map_err(unavailable)??;
        Ok(Self {
            db: Arc::new(db),
            config,
            clock,
        })
    }

    /// Runs `f` in a read transaction on the blocking pool.
    async fn read<T: Send + 'static>(
        &self,
        f: impl FnOnce(&ReadTransaction) -> Result<T, ResultStoreError> + Send + 'static,
    ) -> Result<T, ResultStoreError> {
        let db = Arc::clone(&self.db);
        tokio::task::spawn_blocking(move || {
            let txn = db.begin_read().map_err(unavailable)?;
            f(&txn)
        })
        .await
        .map_err(unavailable)?
    }

    /// Runs `f` in a write transaction on the blocking pool; commits if it succeeds.
    async fn write<T: Send + 'static>(
        &self,
        f: impl FnOnce(&WriteTransaction) -> Result<T, ResultStoreError> + Send + 'static,
    ) -> Result<T, ResultStoreError> {
        let db = Arc::clone(&self.db);
        tokio::task::spawn_blocking(move || {
            let txn = db.begin_write().map_err(unavailable)?;
            let out = f(&txn)?;
            txn.commit().map_err(unavailable)?;
            Ok(out)
        })
        .await
        .map_err(unavailable)?
    }
}

#[async_trait]
impl ResultStore for EmbeddedResultStore {
    async fn save(&self, result: NewResult) -> Result<ResultRecord, ResultStoreError> {
        let cap = self.config.max_total_bytes;
        blob::check_size(&result, cap)?;
        let (now, retention) = (self.clock.now(), self.config.retention);
        self.write(move |txn| {
            let id = free_id(txn)?;
            let user = result.user.to_string();
            let Prepared { record, blobs } = blob::prepare(result, id, now, retention);
            put_record(txn, &record)?;
            let mut mine = txn.open_multimap_table(USER_RESULTS).map_err(unavailable)?;
            mine.insert(user.as_str(), record.id.as_str())
                .map_err(unavailable)?;
            for b in &blobs {
                images::put(txn, &b.name, &b.image, record.images_until.0)?;
            }
            images::evict_over(txn, cap)?;
            Ok(record)
        })
        .await
    }

    async fn get(&self, id: &ResultId) -> Result<Option<ResultRecord>, ResultStoreError> {
        let id = id.clone();
        self.read(move |txn| {
            let results = txn.open_table(RESULTS).map_err(unavailable)?;
            record(&results, id.as_str())
        })
        .await
    }

    async fn original(
        &self,
        id: &ResultId,
        index: usize,
    ) -> Result<Option<ImageData>, ResultStoreError> {
        let (name, now) = (blob::output_name(id, index), self.clock.now().0);
        self.read(move |txn| images::read(txn, &name, now)).await
    }

    async fn inputs(&self, id: &ResultId) -> Result<Option<Vec<ImageData>>, ResultStoreError> {
        let (id, now) = (id.clone(), self.clock.now().0);
        self.read(move |txn| {
            let results = txn.open_table(RESULTS).map_err(unavailable)?;
            let Some(rec) = record(&results, id.as_str())? else {
                return Ok(None);
            };
            let mut out = Vec::with_capacity(rec.inputs.len());
            for name in blob::input_blobs(&rec) {
                match images::read(txn, &name, now)? {
                    Some(image) => out.push(image),
                    None => return Ok(None),
                }
            }
            Ok(Some(out))
        })
        .await
    }

    async fn attach_message(
        &self,
        id: &ResultId,
        message: MessageRef,
    ) -> Result<bool, ResultStoreError> {
        let id = id.clone();
        self.write(move |txn| {
            let rec = {
                let results = txn.open_table(RESULTS).map_err(unavailable)?;
                record(&results, id.as_str())?
            };
            let Some(mut rec) = rec else {
                return Ok(false);
            };
            if !rec.messages.contains(&message) {
                rec.messages.push(message);
                rec.messages.sort();
                put_record(txn, &rec)?;
            }
            let mut messages = txn.open_table(MESSAGES).map_err(unavailable)?;
            messages
                .insert(message.to_string().as_str(), id.as_str())
                .map_err(unavailable)?;
            Ok(true)
        })
        .await
    }

    async fn find_by_message(
        &self,
        message: &MessageRef,
    ) -> Result<Option<ResultRecord>, ResultStoreError> {
        let key = message.to_string();
        self.read(move |txn| {
            let messages = txn.open_table(MESSAGES).map_err(unavailable)?;
            let Some(id) = messages.get(key.as_str()).map_err(unavailable)? else {
                return Ok(None);
            };
            let results = txn.open_table(RESULTS).map_err(unavailable)?;
            record(&results, id.value())
        })
        .await
    }

    async fn settings(&self, user: UserKey) -> Result<UserSettings, ResultStoreError> {
        self.read(move |txn| {
            let settings = txn.open_table(SETTINGS).map_err(unavailable)?;
            match settings
                .get(user.to_string().as_str())
                .map_err(unavailable)?
            {
                Some(json) => serde_json::from_slice(json.value()).map_err(corrupt),
                None => Ok(UserSettings::default()),
            }
        })
        .await
    }

    async fn set_settings(
        &self,
        user: UserKey,
        settings: &UserSettings,
    ) -> Result<(), ResultStoreError> {
        let json = serde_json::to_vec(settings).map_err(corrupt)?;
        self.write(move |txn| {
            let mut table = txn.open_table(SETTINGS).map_err(unavailable)?;
            table
                .insert(user.to_string().as_str(), json.as_slice())
                .map_err(unavailable)?;
            Ok(())
        })
        .await
    }

    async fn remember_username(
        &self,
        user: UserKey,
        username: &str,
    ) -> Result<(), ResultStoreError> {
        let key = username_key(user.platform, username);
        self.write(move |txn| {
            let mut names = txn.open_table(USERNAMES).map_err(unavailable)?;
            names
                .insert(key.as_str(), user.to_string().as_str())
                .map_err(unavailable)?;
            Ok(())
        })
        .await
    }

    async fn lookup_username(
        &self,
        platform: Platform,
        username: &str,
    ) -> Result<Option<UserKey>, ResultStoreError> {
        let key = username_key(platform, username);
        self.read(move |txn| {
            let names = txn.open_table(USERNAMES).map_err(unavailable)?;
            let found = names.get(key.as_str()).map_err(unavailable)?;
            found
                .map(|user| user.value().parse::<UserKey>().map_err(corrupt))
                .transpose()
        })
        .await
    }

    async fn recent(
        &self,
        user: UserKey,
        limit: usize,
    ) -> Result<Vec<ResultRecord>, ResultStoreError> {
        let records = self
            .read(move |txn| {
                let mine = txn.open_multimap_table(USER_RESULTS).map_err(unavailable)?;
                let results = txn.open_table(RESULTS).map_err(unavailable)?;
                let mut records = Vec::new();
                for id in mine.get(user.to_string().as_str()).map_err(unavailable)? {
                    let id = id.map_err(unavailable)?;
                    records.extend(record(&results, id.value())?);
                }
                Ok(records)
            })
            .await?;
        Ok(super::newest(records, limit))
    }

    async fn forget(&self, user: UserKey) -> Result<u64, ResultStoreError> {
        self.write(move |txn| {
            let ids: Vec<String> = {
                let mut mine = txn.open_multimap_table(USER_RESULTS).map_err(unavailable)?;
                let removed = mine
                    .remove_all(user.to_string().as_str())
                    .map_err(unavailable)?;
                removed
                    .map(|id| id.map(|id| id.value().to_owned()))
                    .collect::<Result<_, _>>()
                    .map_err(unavailable)?
            };
            let mut removed = 0;
            for id in ids {
                if remove_result(txn, &id)? {
                    removed += 1;
                }
            }
            Ok(removed)
        })
        .await
    }

    async fn purge_expired(&self) -> Result<u64, ResultStoreError> {
        let now = self.clock.now().0;
        let keep = i64::try_from(super::record_keep(&self.config).as_millis()).unwrap_or(i64::MAX);
        self.write(move |txn| {
            let purged = images::purge(txn, now)?;
            // Records, lineage and message lookups go after `record_retention`,
            // as their Redis TTL does.
            expire_records(txn, now.saturating_sub(keep))?;
            Ok(purged)
        })
        .await
    }
}

/// Deletes a result's record, its own image bytes and its message lookups
/// (not the owner's index entry); `false` if it was not stored.
fn remove_result(txn: &WriteTransaction, id: &str) -> Result<bool, ResultStoreError> {
    let rec = {
        let mut results = txn.open_table(RESULTS).map_err(unavailable)?;
        let json = results.remove(id).map_err(unavailable)?;
        json.map(|j| decode(j.value())).transpose()?
    };
    let Some(rec) = rec else { return Ok(false) };
    for name in blob::own_blobs(&rec) {
        images::remove(txn, &name)?;
    }
    let mut messages = txn.open_table(MESSAGES).map_err(unavailable)?;
    for m in &rec.messages {
        messages
            .remove(m.to_string().as_str())
            .map_err(unavailable)?;
    }
    Ok(true)
}

/// Removes every result created at or before `cutoff` (ms), with its index entry.
fn expire_records(txn: &WriteTransaction, cutoff: i64) -> Result<(), ResultStoreError> {
    let old: Vec<(String, String)> = {
        let results = txn.open_table(RESULTS).map_err(unavailable)?;
        let mut old = Vec::new();
        for row in results.iter().map_err(unavailable)? {
            let (id, json) = row.map_err(unavailable)?;
            let rec = decode(json.value())?;
            if rec.created_at.0 <= cutoff {
                old.push((id.value().to_owned(), rec.user.to_string()));
            }
        }
        old
    };
    for (id, user) in old {
        remove_result(txn, &id)?;
        let mut mine = txn.open_multimap_table(USER_RESULTS).map_err(unavailable)?;
        mine.remove(user.as_str(), id.as_str())
            .map_err(unavailable)?;
    }
    Ok(())
}

/// An id no stored result has (60 random bits: a clash is a curiosity, not a plan).
fn free_id(txn: &WriteTransaction) -> Result<ResultId, ResultStoreError> {
    let results = txn.open_table(RESULTS).map_err(unavailable)?;
    for _ in 0..8 {
        let id = new_id();
        if results.get(id.as_str()).map_err(unavailable)?.is_none() {
            return Ok(id);
        }
    }
    Err(ResultStoreError::Unavailable(
        "no free result id after 8 tries".into(),
    ))
}

fn put_record(txn: &WriteTransaction, rec: &ResultRecord) -> Result<(), ResultStoreError> {
    let json = serde_json::to_vec(rec).map_err(corrupt)?;
    let mut results = txn.open_table(RESULTS).map_err(unavailable)?;
    results
        .insert(rec.id.as_str(), json.as_slice())
        .map_err(unavailable)?;
    Ok(())
}

fn record(
    results: &impl ReadableTable<&'static str, &'static [u8]>,
    id: &str,
) -> Result<Option<ResultRecord>, ResultStoreError> {
    let json = results.get(id).map_err(unavailable)?;
    json.map(|j| decode(j.value())).transpose()
}

fn decode(json: &[u8]) -> Result<ResultRecord, ResultStoreError> {
    serde_json::from_slice(json).map_err(corrupt)
}

/// redb and join failures: the file cannot be used right now.
fn unavailable(e: impl std::fmt::Display) -> ResultStoreError {
    ResultStoreError::Unavailable(e.to_string())
}

fn corrupt(e: impl std::fmt::Display) -> ResultStoreError {
    ResultStoreError::Corrupt(e.to_string())
}
