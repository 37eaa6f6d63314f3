//! API key text: generation, the visible prefix, and the hash keys are
//! stored under.
//!
//! A key is `easel-sk-` followed by 40 random base62 symbols (about 238
//! bits). Only the SHA-256 of the whole key is stored: with that much
//! entropy no salt or slow hash is needed, and a lookup by hash never
//! compares secrets byte by byte. The visible prefix (`easel-sk-` and the
//! first [`VISIBLE`] symbols) names a key in listings and revokes it; it is
//! far too short to use the key.

use easel_shared::UnixMillis;
use easel_shared::UserKey;
use easel_shared::admin::{Actor, AuditEntry};
use easel_shared::apikey::KEY_PREFIX;
use rand::Rng;
use subtle::ConstantTimeEq;

const ALPHABET: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const BODY: usize = 40;
/// Symbols of the secret shown in the visible prefix.
pub const VISIBLE: usize = 8;
/// Keys one user may hold at once: bounds what a user can make the store keep.
pub const MAX_KEYS_PER_USER: usize = 10;

/// The owner record a store keeps under a key's hash (Redis
/// `{apikey:<hash>}`, the embedded `API_KEYS` table): one layout for both.
#[derive(serde::Serialize, serde::Deserialize)]
pub(crate) struct Owner {
    /// Whose account the key draws on.
    pub(crate) user: UserKey,
    /// The key's SHA-256 (lower-case hex).
    pub(crate) hash: String,
}

/// The index entry a store keeps per user and visible prefix.
#[derive(serde::Serialize, serde::Deserialize)]
pub(crate) struct Entry {
    /// The key's SHA-256 (lower-case hex).
    pub(crate) hash: String,
    /// When it was created.
    pub(crate) created_at: UnixMillis,
}

/// A presented API key as the reserve checks it (no secret in it): the
/// user's index must still hold `prefix` with this `hash`
/// ([`ReserveRequest::key`](crate::ledger::ReserveRequest::key)).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct KeyClaim {
    /// The key's visible prefix (its row in the user's index).
    pub prefix: String,
    /// The key's SHA-256 (lower-case hex).
    pub hash: String,
}

impl KeyClaim {
    /// The claim of a presented key; `None` if it is not shaped like one.
    pub fn of(key: &str) -> Option<Self> {
        Some(Self {
            prefix: visible_prefix(key)?,
            hash: hash(key),
        })
    }
}

/// Attempts at a key whose visible prefix the user does not hold yet.
pub(crate) const CREATE_TRIES: u32 = 8;

/// A fresh key (the plaintext exists only in the caller's hands).
pub fn generate() -> String {
    let mut rng = rand::rng();
    let body: String = (0..BODY)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect();
    format!("{KEY_PREFIX}{body}")
}

/// Hex SHA-256 of a key: the only form that is stored.
pub fn hash(key: &str) -> String {
    crate::digest::sha256_hex(key)
}

/// The visible prefix of a key (`None` if it does not look like one of ours).
pub fn visible_prefix(key: &str) -> Option<String> {
    let body = key.strip_prefix(KEY_PREFIX)?;
    let well_formed = body.len() == BODY && body.bytes().all(|b| b.is_ascii_alphanumeric());
    well_formed.then(|| format!("{KEY_PREFIX}{}", &body[..VISIBLE]))
}

/// Normalises what an owner typed to revoke a key: the prefix with or
/// without `easel-sk-`, or the whole key. `None` if it cannot name a key.
pub fn parse_prefix(given: &str) -> Option<String> {
    let given = given.trim();
    if let Some(prefix) = visible_prefix(given) {
        return Some(prefix);
    }
    let body = given.strip_prefix(KEY_PREFIX).unwrap_or(given);
    let body = body.trim_end_matches('.');
    (body.len() == VISIBLE && body.bytes().all(|b| b.is_ascii_alphanumeric()))
        .then(|| format!("{KEY_PREFIX}{body}"))
}

/// Whether a stored hash is the hash of `key`, in constant time.
pub fn matches(stored_hash: &str, key: &str) -> bool {
    let computed = hash(key);
    stored_hash.len() == computed.len()
        && bool::from(stored_hash.as_bytes().ct_eq(computed.as_bytes()))
}

/// The audit entry of a key created or revoked (names the key by its
/// visible prefix only).
pub(crate) fn audit_entry(
    at: UnixMillis,
    actor: Actor,
    user: UserKey,
    action: &str,
    prefix: &str,
) -> AuditEntry {
    AuditEntry {
        at,
        actor,
        user: Some(user),
        action: action.to_owned(),
        detail: prefix.to_owned(),
        reason: String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_distinct_well_formed_and_named_by_their_prefix() {
        let (a, b) = (generate(), generate());
        assert_ne!(a, b);
        let prefix = visible_prefix(&a).expect("a generated key is well formed");
        assert_eq!(prefix.len(), KEY_PREFIX.len() + VISIBLE);
        assert!(a.starts_with(&prefix));
        assert!(matches(&hash(&a), &a));
        assert!(!matches(&hash(&a), &b));
    }

    #[test]
    fn a_prefix_is_accepted_in_the_forms_an_owner_types_it() {
        let key = generate();
        let prefix = visible_prefix(&key).expect("well formed");
        let body = &prefix[KEY_PREFIX.len()..];
        for given in [
            prefix.clone(),
            body.to_owned(),
            key.clone(),
            format!("{prefix}..."),
        ] {
            assert_eq!(
                parse_prefix(&given).as_deref(),
                Some(prefix.as_str()),
                "{given}"
            );
        }
        assert_eq!(parse_prefix("easel-sk-short"), None);
        assert_eq!(parse_prefix("not a key!"), None);
        assert_eq!(visible_prefix("sk-proj-abc"), None);
    }
}
