//! Redis key names of the ledger and the Cluster slot they hash to.
//!
//! A user's keys share the hash tag `{u:<platform>:<id>}`, so every per-user
//! script touches exactly one slot. Global keys carry their own tags
//! (`{spend}`, `{leases}`, `{audit}`, `{code:<hash>}`, `{codes}`), so each
//! global script is single-slot too. The top lists share the `{spend}` slot:
//! one script books a request's spend and its top-list credits together,
//! exactly once per request.

use easel_shared::{RequestId, UserKey};

/// Builds every key name from the configured prefix.
#[derive(Debug, Clone)]
pub(super) struct Keys {
    prefix: String,
}

/// The keys of one user (all in the user's slot).
#[derive(Debug, Clone)]
pub(super) struct UserKeys {
    /// HASH: credits, plan, plan_until, banned, late_settles.
    pub(super) meta: String,
    /// ZSET rolling log: `"<window charge>|<id>"` scored by reserve time.
    pub(super) log: String,
    /// HASH running window sums over `log`: period ms -> `"<sum>:<cursor>"`
    /// (see `lua/windows.lua`); expires with the log.
    pub(super) win: String,
    /// ZSET pending reservations: id scored by lease_until.
    pub(super) pend: String,
    /// LIST of usage entries (JSON), newest first.
    pub(super) usage: String,
    /// SET of applied grant ids (code redemptions).
    pub(super) grants: String,
    /// Prefix of the per-reservation record keys.
    record_prefix: String,
}

impl UserKeys {
    /// STRING (JSON) record of one reservation.
    pub(super) fn record(&self, id: &RequestId) -> String {
        format!("{}{}", self.record_prefix, id.as_str())
    }
}

impl Keys {
    /// Key names under `prefix` (which must not contain `{` or `}`).
    pub(super) fn new(prefix: &str) -> Self {
        Self {
            prefix: prefix.to_owned(),
        }
    }

    /// Every key of one user.
    pub(super) fn user(&self, user: UserKey) -> UserKeys {
        let base = format!("{}{{u:{}}}:", self.prefix, user);
        UserKeys {
            meta: format!("{base}meta"),
            log: format!("{base}log"),
            win: format!("{base}win"),
            pend: format!("{base}pend"),
            usage: format!("{base}usage"),
            grants: format!("{base}grants"),
            record_prefix: format!("{base}r:"),
        }
    }

    /// The configured prefix every key starts with.
    pub(super) fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The start of one user's admission limiter keys, `<prefix>{u:<user>}:lim:`
    /// (in the user's slot; `ledger/redis/limits.rs` appends the rest).
    pub(super) fn limits(&self, user: UserKey) -> String {
        format!("{}{{u:{}}}:lim:", self.prefix, user)
    }

    /// HASH of one UTC day's spend: total, notified, `b:<backend>`, `r:<id>`.
    pub(super) fn spend(&self, day: i64) -> String {
        format!("{}{{spend}}:{day}", self.prefix)
    }

    /// ZSET `"<user>|<id>"` scored by lease_until: the reaper's hint index.
    pub(super) fn leases(&self) -> String {
        format!("{}{{leases}}", self.prefix)
    }

    /// HASH user -> credits charged for the requests reserved on one UTC day.
    /// In the `{spend}` slot, booked by the same script as the spend.
    pub(super) fn top(&self, day: i64) -> String {
        format!("{}{{spend}}:top:{day}", self.prefix)
    }

    /// LIST of audit entries (JSON), newest first.
    pub(super) fn audit(&self) -> String {
        format!("{}{{audit}}", self.prefix)
    }

    /// HASH of one access code, stored under the code's hash.
    pub(super) fn code(&self, hash: &str) -> String {
        format!("{}{{code:{hash}}}", self.prefix)
    }

    /// SET of users who redeemed one code.
    pub(super) fn code_users(&self, hash: &str) -> String {
        format!("{}{{code:{hash}}}:users", self.prefix)
    }

    /// HASH short id -> code hash.
    pub(super) fn codes(&self) -> String {
        format!("{}{{codes}}", self.prefix)
    }

    /// STRING (JSON) of one API key, stored under the key's hash. No TTL:
    /// a key lives until revoked.
    pub(super) fn api_key(&self, hash: &str) -> String {
        format!("{}{{apikey:{hash}}}", self.prefix)
    }

    /// HASH visible prefix -> JSON (hash, created_at): one user's API keys,
    /// in the user's slot.
    pub(super) fn user_api_keys(&self, user: UserKey) -> String {
        format!("{}{{u:{}}}:apikeys", self.prefix, user)
    }

    /// STRING (JSON) of one web session under its token's hash, with a TTL.
    pub(super) fn web_session(&self, hash: &str) -> String {
        format!("{}{{websession:{hash}}}", self.prefix)
    }

    /// STRING (JSON) of one unused sign-in link under its token's hash, with a TTL.
    pub(super) fn web_link(&self, hash: &str) -> String {
        format!("{}{{weblink:{hash}}}", self.prefix)
    }
}

/// The member of the lease index for one reserve call: `"<user>|<id>|<nonce>"`.
///
/// The nonce is fresh per call, so a call that was denied removes only its
/// own hint, never the hint of a concurrent call with the same id that was
/// admitted; the admitted call's nonce is kept in the reservation record so
/// settle removes exactly that member.
pub(super) fn lease_member(user: UserKey, id: &RequestId, nonce: &str) -> String {
    format!("{user}|{}|{nonce}", id.as_str())
}

/// Parses a lease index member back to the reservation; `None` for junk.
pub(super) fn parse_lease_member(member: &str) -> Option<(UserKey, RequestId)> {
    let (user, rest) = member.split_once('|')?;
    let (id, _nonce) = rest.rsplit_once('|')?;
    Some((user.parse().ok()?, RequestId::new(id).ok()?))
}

/// A fresh nonce for [`lease_member`].
pub(super) fn lease_nonce() -> String {
    format!("{:016x}", rand::random::<u64>())
}

/// The Redis Cluster slot of a key: CRC16 (XMODEM) of its hash tag mod 16384.
pub fn key_slot(key: &str) -> u16 {
    let bytes = key.as_bytes();
    let tagged = bytes.iter().position(|&b| b == b'{').and_then(|open| {
        let rest = &bytes[open + 1..];
        let close = rest.iter().position(|&b| b == b'}')?;
        (close > 0).then(|| &rest[..close])
    });
    crc16(tagged.unwrap_or(bytes)) % 16384
}

fn crc16(data: &[u8]) -> u16 {
    let mut crc: u16 = 0;
    for &byte in data {
        crc ^= u16::from(byte) << 8;
        for _ in 0..8 {
            crc = if crc & 0x8000 != 0 {
                (crc << 1) ^ 0x1021
            } else {
                crc << 1
            };
        }
    }
    crc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_match_the_cluster_spec_vectors() {
        assert_eq!(crc16(b"123456789"), 0x31C3);
        assert_eq!(key_slot("123456789"), 12739);
        assert_eq!(
            key_slot("{user1000}.following"),
            key_slot("{user1000}.followers")
        );
        // An empty tag hashes the whole key; only the first tag counts.
        assert_eq!(key_slot("foo{}{bar}"), crc16(b"foo{}{bar}") % 16384);
        assert_eq!(key_slot("foo{{bar}}zap"), key_slot("{bar"));
    }

    #[test]
    fn user_keys_share_one_slot_and_globals_have_their_own() {
        let keys = Keys::new("easel:");
        let user = keys.user(UserKey::telegram(42));
        let id = RequestId::new("tg:1:2").expect("valid id");
        assert_eq!(user.meta, "easel:{u:tg:42}:meta");
        let slot = key_slot(&user.meta);
        for k in [
            &user.log,
            &user.win,
            &user.pend,
            &user.usage,
            &user.grants,
            &user.record(&id),
        ] {
            assert_eq!(key_slot(k), slot, "{k}");
        }
        assert_eq!(key_slot(&keys.top(1)), key_slot(&keys.top(2)));
        assert_eq!(key_slot(&keys.top(1)), key_slot(&keys.spend(2)));
        assert_eq!(key_slot(&keys.code("ab")), key_slot(&keys.code_users("ab")));
    }

    #[test]
    fn lease_members_round_trip() {
        let id = RequestId::new("dc:9").expect("valid id");
        let m = lease_member(UserKey::discord(7), &id, &lease_nonce());
        assert_eq!(parse_lease_member(&m), Some((UserKey::discord(7), id)));
        assert_eq!(parse_lease_member("junk"), None);
        assert_eq!(parse_lease_member("dc:7|no-nonce"), None);
        assert_ne!(lease_nonce(), lease_nonce());
    }
}
