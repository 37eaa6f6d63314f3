//! The result store on Redis, shared by every replica.
//!
//! Keys (all under `<prefix>res:`): a result's record `{r:<id>}` (JSON), the
//! messages showing it `{r:<id>}:m` (a set), its image blobs `{r:<id>}:o:<n>`
//! and `{r:<id>}:i:<n>` (hashes of expiry, MIME type and bytes); the size
//! index `{idx}:*` (see [`index`]); per user `{u:tg:1}:results` (ids, for
//! /forget) and `{u:tg:1}:settings`; and the lookups
//! `msg:<platform>:<chat>:<message>` -> id and `name:<platform>:<username>`
//! -> user. Blobs carry their expiry so that "expired" is decided by the
//! store's clock (tests move it) as well as by Redis's TTL.
//!
//! # Lifetimes (Redis TTLs)
//!
//! Nothing here lives forever, so the store may run on a Redis that evicts
//! (`allkeys-lru`) and never grows without bound:
//!
//! * image blobs: `results.retention` from the save;
//! * records, their message sets, message lookups and a user's result index:
//!   `results.record_retention` (at least `retention`) from the save (the
//!   index and message entries from their latest write);
//! * settings and usernames: [`PROFILE_TTL`], refreshed whenever they are
//!   read or written (a username at every sighting);
//! * the size index `{idx}:*`: no TTL: its scripts keep it in step with the
//!   blobs and the purge empties it.
//!
//! # Cluster legality
//!
//! Every MULTI and every script stays within one hash tag; writes spanning
//! tags go through [`RedisLink::query_each`].

mod index;
mod keys;
mod redact;
mod ttl;
mod write;

use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use easel_shared::config::ResultsConfig;
use easel_shared::results::{MessageRef, ResultId, ResultRecord, UserSettings};
use easel_shared::{Platform, UserKey};
use redis::{AsyncCommands, Cmd, RedisError};

use self::index::SizeIndex;
use self::keys::Keys;
use self::redact::{map_err, scrubbed, url_password};
pub use self::ttl::PROFILE_TTL;
use self::ttl::Ttls;
use self::write::del;
use super::blob;
use super::{ImageData, NewResult, ResultStore, ResultStoreError, new_id};
use crate::ledger::Clock;
use crate::redis_link::{RedisLink, Timeouts};

/// How many expired blobs one purge step takes (keeps each script short).
const PURGE_BATCH: usize = 256;

/// The [`ResultStore`] on Redis. Cheap to share behind an `Arc`; calls clone
/// the multiplexed connection, so concurrent calls pipeline on one socket.
pub struct RedisResultStore {
    con: RedisLink,
    keys: Keys,
    index: SizeIndex,
    config: ResultsConfig,
    ttls: Ttls,
    clock: Clock,
    /// The URL's password, scrubbed from error texts.
    secret: Option<String>,
}

impl std::fmt::Debug for RedisResultStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisResultStore")
            .field("base", &self.keys.base)
            .finish_non_exhaustive()
    }
}

impl RedisResultStore {
    /// Connects to a node or a cluster (`redis+cluster://`, see
    /// [`crate::redis_link`]; 1 s connect timeout, 5 s response timeout:
    /// images are megabytes) and fails with `Unavailable` if Redis cannot be
    /// reached.
    pub async fn connect(
        url: &str,
        prefix: &str,
        config: ResultsConfig,
        clock: Clock,
    ) -> Result<Self, ResultStoreError> {
        let secret = url_password(url);
        let fail = |e: RedisError| scrubbed(map_err(e), secret.as_deref());
        if prefix.contains(['{', '}']) {
            return Err(ResultStoreError::Unavailable(
                "the Redis key prefix must not contain `{` or `}` (they are hash tags)".into(),
            ));
        }
        let timeouts = Timeouts {
            connect: Duration::from_secs(1),
            response: Duration::from_secs(5),
        };
        let con = RedisLink::connect(url, timeouts).await.map_err(fail)?;
        let base = format!("{prefix}res:");
        Ok(Self {
            con,
            ttls: Ttls::new(&config),
            index: SizeIndex::new(&base),
            keys: Keys { base },
            config,
            clock,
            secret,
        })
    }

    /// Warnings about the server: a results Redis that never evicts stops
    /// storing new results once full (checked on every master of a cluster).
    pub async fn check_server(&self) -> Vec<String> {
        let mut get = redis::cmd("CONFIG");
        get.arg("GET").arg("maxmemory-policy");
        let nodes = match self.con.on_every_master(&get).await {
            Ok(nodes) => nodes,
            Err(e) => {
                return vec![format!(
                    "could not check the results Redis (CONFIG GET failed: {})",
                    self.err(e)
                )];
            }
        };
        let mut warnings = Vec::new();
        for (node, reply) in nodes {
            let pair: Vec<String> = redis::from_redis_value(reply).unwrap_or_default();
            let policy = pair.get(1).map_or("", String::as_str);
            if policy == "noeviction" {
                let on = if node.is_empty() {
                    String::new()
                } else {
                    format!(" (on {node})")
                };
                warnings.push(format!(
                    "the results Redis never evicts{on}: once full, new results are not \
                     stored (images are still delivered); set maxmemory-policy allkeys-lru"
                ));
            }
        }
        warnings
    }

    fn err(&self, e: RedisError) -> ResultStoreError {
        scrubbed(map_err(e), self.secret.as_deref())
    }

    /// A blob's bytes unless missing or expired by the store's clock.
    async fn blob(&self, name: &str) -> Result<Option<ImageData>, ResultStoreError> {
        let mut con = self.con.clone();
        let (expires, mime, bytes): (Option<i64>, Option<String>, Option<Vec<u8>>) =
            redis::cmd("HMGET")
                .arg(self.keys.blob(name))
                .arg(&["e", "m", "d"])
                .query_async(&mut con)
                .await
                .map_err(|e| self.err(e))?;
        match (expires, mime, bytes) {
            (Some(expires), Some(mime), Some(bytes)) if expires > self.clock.now().0 => {
                Ok(Some(ImageData {
                    mime,
                    bytes: Bytes::from(bytes),
                }))
            }
            _ => Ok(None),
        }
    }
}

#[async_trait]
impl ResultStore for RedisResultStore {
    async fn save(&self, result: NewResult) -> Result<ResultRecord, ResultStoreError> {
        blob::check_size(&result, self.config.max_total_bytes)?;
        let now = self.clock.now();
        // 60 random bits: a clash is a curiosity; a few tries make it moot.
        for _ in 0..8 {
            let prepared = blob::prepare(result.clone(), new_id(), now, self.config.retention);
            if self.write(&prepared).await? {
                return Ok(prepared.record);
            }
        }
        Err(ResultStoreError::Unavailable(
            "no free result id after 8 tries".into(),
        ))
    }

    async fn get(&self, id: &ResultId) -> Result<Option<ResultRecord>, ResultStoreError> {
        let mut con = self.con.clone();
        let (json, messages): (Option<Vec<u8>>, Vec<Vec<u8>>) = redis::pipe()
            .get(self.keys.record(id))
            .smembers(self.keys.messages(id))
            .query_async(&mut con)
            .await
            .map_err(|e| self.err(e))?;
        let Some(json) = json else { return Ok(None) };
        let mut record: ResultRecord = serde_json::from_slice(&json).map_err(corrupt)?;
        record.messages = messages
            .iter()
            .map(|m| serde_json::from_slice(m).map_err(corrupt))
            .collect::<Result<_, _>>()?;
        record.messages.sort();
        Ok(Some(record))
    }

    async fn original(
        &self,
        id: &ResultId,
        index: usize,
    ) -> Result<Option<ImageData>, ResultStoreError> {
        self.blob(&blob::output_name(id, index)).await
    }

    async fn inputs(&self, id: &ResultId) -> Result<Option<Vec<ImageData>>, ResultStoreError> {
        let Some(record) = self.get(id).await? else {
            return Ok(None);
        };
        let mut out = Vec::with_capacity(record.inputs.len());
        for name in blob::input_blobs(&record) {
            match self.blob(&name).await? {
                Some(image) => out.push(image),
                None => return Ok(None),
            }
        }
        Ok(Some(out))
    }

    async fn attach_message(
        &self,
        id: &ResultId,
        message: MessageRef,
    ) -> Result<bool, ResultStoreError> {
        let mut con = self.con.clone();
        let exists: bool = con
            .exists(self.keys.record(id))
            .await
            .map_err(|e| self.err(e))?;
        if !exists {
            return Ok(false);
        }
        let member = serde_json::to_vec(&message).map_err(corrupt)?;
        let ttl = self.ttls.record_ms;
        // The record's message set (a MULTI on the record's slot), then the
        // lookup in its own slot.
        let set = self.keys.messages(id);
        redis::pipe()
            .atomic()
            .sadd(&set, member)
            .ignore()
            .pexpire(&set, ttl)
            .ignore()
            .query_async::<()>(&mut con)
            .await
            .map_err(|e| self.err(e))?;
        redis::cmd("SET")
            .arg(self.keys.message(&message))
            .arg(id.as_str())
            .arg("PX")
            .arg(ttl)
            .query_async::<()>(&mut con)
            .await
            .map_err(|e| self.err(e))?;
        Ok(true)
    }

    async fn find_by_message(
        &self,
        message: &MessageRef,
    ) -> Result<Option<ResultRecord>, ResultStoreError> {
        let mut con = self.con.clone();
        let id: Option<String> = con
            .get(self.keys.message(message))
            .await
            .map_err(|e| self.err(e))?;
        let Some(id) = id else { return Ok(None) };
        let id: ResultId = id.parse().map_err(corrupt)?;
        self.get(&id).await
    }

    async fn settings(&self, user: UserKey) -> Result<UserSettings, ResultStoreError> {
        let mut con = self.con.clone();
        // Reading refreshes the TTL: settings in use never expire.
        let json: Option<Vec<u8>> = redis::cmd("GETEX")
            .arg(self.keys.settings(user))
            .arg("PX")
            .arg(self.ttls.profile_ms)
            .query_async(&mut con)
            .await
            .map_err(|e| self.err(e))?;
        match json {
            Some(json) => serde_json::from_slice(&json).map_err(corrupt),
            None => Ok(UserSettings::default()),
        }
    }

    async fn set_settings(
        &self,
        user: UserKey,
        settings: &UserSettings,
    ) -> Result<(), ResultStoreError> {
        let json = serde_json::to_vec(settings).map_err(corrupt)?;
        self.set_profile(self.keys.settings(user), json).await
    }

    async fn remember_username(
        &self,
        user: UserKey,
        username: &str,
    ) -> Result<(), ResultStoreError> {
        let key = self.keys.username(user.platform, username);
        self.set_profile(key, user.to_string().into_bytes()).await
    }

    async fn lookup_username(
        &self,
        platform: Platform,
        username: &str,
    ) -> Result<Option<UserKey>, ResultStoreError> {
        let mut con = self.con.clone();
        let user: Option<String> = con
            .get(self.keys.username(platform, username))
            .await
            .map_err(|e| self.err(e))?;
        user.map(|u| u.parse().map_err(corrupt)).transpose()
    }

    async fn recent(
        &self,
        user: UserKey,
        limit: usize,
    ) -> Result<Vec<ResultRecord>, ResultStoreError> {
        let mut con = self.con.clone();
        let ids: Vec<String> = con
            .smembers(self.keys.user_results(user))
            .await
            .map_err(|e| self.err(e))?;
        let mut records = Vec::with_capacity(ids.len());
        for id in ids.iter().filter_map(|id| id.parse::<ResultId>().ok()) {
            // An index entry whose record expired is skipped; /forget and
            // the TTLs tidy the index. So is another user's record (an id
            // clash being undone: `write.rs`).
            records.extend(self.get(&id).await?.filter(|r| r.user == user));
        }
        Ok(super::newest(records, limit))
    }

    async fn forget(&self, user: UserKey) -> Result<u64, ResultStoreError> {
        let mut con = self.con.clone();
        let mine = self.keys.user_results(user);
        let ids: Vec<String> = con.smembers(&mine).await.map_err(|e| self.err(e))?;
        let mut removed = 0;
        for id in ids {
            let Ok(parsed) = id.parse::<ResultId>() else {
                con.srem::<_, _, ()>(&mine, &id)
                    .await
                    .map_err(|e| self.err(e))?;
                continue;
            };
            // Gone, or another user's (an id clash being undone): only the
            // index entry goes.
            let Some(record) = self.get(&parsed).await?.filter(|r| r.user == user) else {
                con.srem::<_, _, ()>(&mine, &id)
                    .await
                    .map_err(|e| self.err(e))?;
                continue;
            };
            let blobs = blob::own_blobs(&record);
            self.index
                .remove(&mut con, &blobs)
                .await
                .map_err(|e| self.err(e))?;
            // The record, its message set and blobs share one slot.
            let mut pipe = redis::pipe();
            pipe.del(self.keys.record(&parsed))
                .del(self.keys.messages(&parsed))
                .ignore();
            for name in &blobs {
                pipe.del(self.keys.blob(name)).ignore();
            }
            let (deleted,): (u64,) = pipe.query_async(&mut con).await.map_err(|e| self.err(e))?;
            // The lookups are in slots of their own.
            let lookups: Vec<Cmd> = record
                .messages
                .iter()
                .map(|m| del(self.keys.message(m)))
                .collect();
            self.query_each(&lookups).await?;
            con.srem::<_, _, ()>(&mine, &id)
                .await
                .map_err(|e| self.err(e))?;
            removed += deleted;
        }
        Ok(removed)
    }

    async fn purge_expired(&self) -> Result<u64, ResultStoreError> {
        let mut con = self.con.clone();
        let now = self.clock.now().0;
        let mut purged = 0;
        loop {
            let expired = self
                .index
                .take_expired(&mut con, now, PURGE_BATCH)
                .await
                .map_err(|e| self.err(e))?;
            self.delete_blobs(&expired).await?;
            purged += expired.len() as u64;
            if expired.len() < PURGE_BATCH {
                return Ok(purged);
            }
        }
    }
}

fn corrupt(e: impl std::fmt::Display) -> ResultStoreError {
    ResultStoreError::Corrupt(e.to_string())
}
