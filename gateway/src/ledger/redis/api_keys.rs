//! API keys on Redis: create, resolve, list, revoke.
//!
//! `{apikey:<hash>}` holds the key's owner (resolving a presented key is
//! one GET by its hash); `{u:<user>}:apikeys` maps each visible prefix to
//! that hash for listing and revoking. The two live in different slots, so
//! each change is two idempotent steps ordered to fail safe: create writes
//! the user's index first (a crash leaves a listed key that never worked,
//! which revoke cleans up), revoke deletes the owner record first (the key
//! stops working before it leaves the listing).

use easel_shared::UserKey;
use easel_shared::apikey::{ApiKeyInfo, MintedApiKey};
use easel_shared::secret::Secret;
use serde::{Deserialize, Serialize};

use super::RedisLedger;
use crate::ledger::LedgerError;
use crate::ledger::api_key::{self, CREATE_TRIES, Entry, MAX_KEYS_PER_USER, Owner};

pub(super) async fn create(l: &RedisLedger, user: UserKey) -> Result<MintedApiKey, LedgerError> {
    let index = l.keys.user_api_keys(user);
    let held: usize = l.query(redis::cmd("HLEN").arg(&index)).await?;
    if held >= MAX_KEYS_PER_USER {
        return Err(LedgerError::Refused(format!(
            "at most {MAX_KEYS_PER_USER} API keys per user: revoke one first"
        )));
    }
    let now = l.clock.now();
    for _ in 0..CREATE_TRIES {
        let key = api_key::generate();
        let prefix = api_key::visible_prefix(&key)
            .ok_or_else(|| LedgerError::Corrupt("generated a malformed API key".into()))?;
        let hash = api_key::hash(&key);
        let entry = json(&Entry {
            hash: hash.clone(),
            created_at: now,
        })?;
        let claimed: bool = l
            .query(redis::cmd("HSETNX").arg(&index).arg(&prefix).arg(entry))
            .await?;
        if !claimed {
            continue;
        }
        let owner = json(&Owner {
            user,
            hash: hash.clone(),
        })?;
        let _: () = l
            .query(redis::cmd("SET").arg(l.keys.api_key(&hash)).arg(owner))
            .await?;
        return Ok(MintedApiKey {
            key: Secret::new(key),
            prefix,
            user,
            created_at: now,
        });
    }
    Err(LedgerError::Unavailable("no free API key prefix".into()))
}

pub(super) async fn resolve(l: &RedisLedger, key: &str) -> Result<Option<UserKey>, LedgerError> {
    if api_key::visible_prefix(key).is_none() {
        return Ok(None);
    }
    let hash = api_key::hash(key);
    let stored: Option<String> = l
        .query(redis::cmd("GET").arg(l.keys.api_key(&hash)))
        .await?;
    let Some(stored) = stored else {
        return Ok(None);
    };
    let owner: Owner = parse("API key owner", &stored)?;
    Ok(api_key::matches(&owner.hash, key).then_some(owner.user))
}

pub(super) async fn list(l: &RedisLedger, user: UserKey) -> Result<Vec<ApiKeyInfo>, LedgerError> {
    let all: Vec<(String, String)> = l
        .query(redis::cmd("HGETALL").arg(l.keys.user_api_keys(user)))
        .await?;
    let mut keys = Vec::with_capacity(all.len());
    for (prefix, entry) in all {
        let entry: Entry = parse("API key entry", &entry)?;
        keys.push(ApiKeyInfo {
            prefix,
            user,
            created_at: entry.created_at,
        });
    }
    keys.sort_by(|a, b| (a.created_at, &a.prefix).cmp(&(b.created_at, &b.prefix)));
    Ok(keys)
}

pub(super) async fn revoke(
    l: &RedisLedger,
    user: UserKey,
    prefix: &str,
) -> Result<bool, LedgerError> {
    let index = l.keys.user_api_keys(user);
    let entry: Option<String> = l.query(redis::cmd("HGET").arg(&index).arg(prefix)).await?;
    let Some(entry) = entry else {
        return Ok(false);
    };
    let entry: Entry = parse("API key entry", &entry)?;
    let _: () = l
        .query(redis::cmd("DEL").arg(l.keys.api_key(&entry.hash)))
        .await?;
    let _: () = l.query(redis::cmd("HDEL").arg(&index).arg(prefix)).await?;
    Ok(true)
}

fn json<T: Serialize>(value: &T) -> Result<String, LedgerError> {
    serde_json::to_string(value).map_err(|e| LedgerError::Corrupt(format!("encode: {e}")))
}

fn parse<T: for<'de> Deserialize<'de>>(what: &str, text: &str) -> Result<T, LedgerError> {
    serde_json::from_str(text).map_err(|e| LedgerError::Corrupt(format!("{what}: {e}")))
}
