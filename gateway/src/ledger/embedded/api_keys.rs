//! API keys in the embedded ledger: create, revoke (write batches) and
//! resolve, list (read transactions). Same records and rules as on Redis
//! (`redis/api_keys.rs`); here both rows change in one transaction.

use easel_shared::UserKey;
use easel_shared::admin::Actor;
use easel_shared::apikey::{ApiKeyInfo, MintedApiKey};
use easel_shared::secret::Secret;
use redb::{ReadTransaction, ReadableTable};

use super::tables::{API_KEY_IDS, API_KEYS, Io, Tx, decode, encode, get_json};
use crate::ledger::api_key::{self, CREATE_TRIES, Entry, MAX_KEYS_PER_USER, Owner, audit_entry};
use crate::ledger::{KeyClaim, LedgerError};

/// The range bounds of one user's index rows (`|` sorts just before `}`).
fn user_range(user: UserKey) -> (String, String) {
    (format!("{user}|"), format!("{user}}}"))
}

/// Creates a key for `user`; the plaintext exists only in the answer.
pub(crate) fn create(
    tx: &mut Tx<'_>,
    user: UserKey,
    actor: Actor,
) -> Result<MintedApiKey, LedgerError> {
    let (first, last) = user_range(user);
    let held = tx
        .api_key_ids
        .range(first.as_str()..last.as_str())
        .io()?
        .count();
    if held >= MAX_KEYS_PER_USER {
        return Err(LedgerError::Refused(format!(
            "at most {MAX_KEYS_PER_USER} API keys per user: revoke one first"
        )));
    }
    let now = tx.now();
    for _ in 0..CREATE_TRIES {
        let key = api_key::generate();
        let prefix = api_key::visible_prefix(&key)
            .ok_or_else(|| LedgerError::Corrupt("generated a malformed API key".into()))?;
        let row = format!("{user}|{prefix}");
        if tx.api_key_ids.get(row.as_str()).io()?.is_some() {
            continue;
        }
        let hash = api_key::hash(&key);
        let entry = encode(&Entry {
            hash: hash.clone(),
            created_at: now,
        })?;
        let owner = encode(&Owner {
            user,
            hash: hash.clone(),
        })?;
        tx.api_key_ids.insert(row.as_str(), entry.as_slice()).io()?;
        tx.api_keys.insert(hash.as_str(), owner.as_slice()).io()?;
        tx.push_audit(&audit_entry(now, actor, user, "apikey-create", &prefix))?;
        return Ok(MintedApiKey {
            key: Secret::new(key),
            prefix,
            user,
            created_at: now,
        });
    }
    Err(LedgerError::Unavailable(
        "embedded ledger: no free API key prefix".into(),
    ))
}

/// Revokes the user's key with this prefix; false if there is none.
pub(crate) fn revoke(
    tx: &mut Tx<'_>,
    user: UserKey,
    prefix: &str,
    actor: Actor,
) -> Result<bool, LedgerError> {
    let row = format!("{user}|{prefix}");
    let Some(entry) = get_json::<Entry>(&tx.api_key_ids, "API key entry", &row)? else {
        return Ok(false);
    };
    let now = tx.now();
    tx.api_keys.remove(entry.hash.as_str()).io()?;
    tx.api_key_ids.remove(row.as_str()).io()?;
    tx.push_audit(&audit_entry(now, actor, user, "apikey-revoke", prefix))?;
    Ok(true)
}

/// Whether `user`'s index still holds the claimed key (the reserve's check
/// of a key matched from memory).
pub(crate) fn holds(tx: &Tx<'_>, user: UserKey, claim: &KeyClaim) -> Result<bool, LedgerError> {
    let row = format!("{user}|{}", claim.prefix);
    let entry = get_json::<Entry>(&tx.api_key_ids, "API key entry", &row)?;
    Ok(entry.is_some_and(|e| e.hash == claim.hash))
}

/// The owner of a presented key (`None`: unknown or revoked).
pub(crate) fn resolve(txn: &ReadTransaction, key: &str) -> Result<Option<UserKey>, LedgerError> {
    if api_key::visible_prefix(key).is_none() {
        return Ok(None);
    }
    let table = txn.open_table(API_KEYS).io()?;
    let Some(owner) = get_json::<Owner>(&table, "API key owner", &api_key::hash(key))? else {
        return Ok(None);
    };
    Ok(api_key::matches(&owner.hash, key).then_some(owner.user))
}

/// The user's keys, oldest first.
pub(crate) fn list(txn: &ReadTransaction, user: UserKey) -> Result<Vec<ApiKeyInfo>, LedgerError> {
    let table = txn.open_table(API_KEY_IDS).io()?;
    let (first, last) = user_range(user);
    let mut keys = Vec::new();
    for item in table.range(first.as_str()..last.as_str()).io()? {
        let (k, v) = item.io()?;
        let entry: Entry = decode(k.value(), v.value())?;
        let prefix = k.value().split_once('|').map_or("", |(_, p)| p).to_owned();
        keys.push(ApiKeyInfo {
            prefix,
            user,
            created_at: entry.created_at,
        });
    }
    keys.sort_by(|a, b| (a.created_at, &a.prefix).cmp(&(b.created_at, &b.prefix)));
    Ok(keys)
}
