//! Web sign-in state kept in the ledger: browser sessions and the one-time
//! sign-in links the bot's `/web` command hands out.
//!
//! They live in the ledger (not the result store) because its store never
//! evicts and every replica shares it, so a session made by one replica is
//! honoured by the next. A token is 256 random bits (base64url, 43
//! symbols) that only the browser or the chat message holds; the store keeps
//! its SHA-256, so a dump of the store cannot be replayed. With that much
//! entropy a lookup by hash needs no salt and never compares secrets.
//!
//! Expiry is decided on the ledger's clock (`expires_at` in the record), so
//! a manual clock moves it in tests; the store's own expiry (Redis `PX`,
//! the embedded prune) only collects what is already dead.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use easel_shared::secret::Secret;
use easel_shared::{UnixMillis, UserKey};
use serde::{Deserialize, Serialize};

/// A signed-in browser, as stored under the session token's hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebSession {
    /// Whose account the browser acts for (an admin: [`UserKey::WEB_ADMIN`]).
    pub user: UserKey,
    /// Signed in with the admin token.
    pub admin: bool,
    /// The session's CSRF token, sent back with every change (not secret
    /// from the page itself, secret from other sites).
    pub csrf: String,
    /// The session ends here (ledger clock).
    pub expires_at: UnixMillis,
}

/// A session just made: the token exists only in this answer (and the cookie).
#[derive(Debug, Clone)]
pub struct MintedSession {
    /// The cookie value.
    pub token: Secret,
    /// What was stored.
    pub session: WebSession,
}

/// A one-time sign-in link's record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkRecord {
    /// Who the link signs in.
    pub user: UserKey,
    /// Unused links die here (ledger clock).
    pub expires_at: UnixMillis,
}

/// A link just made: the token exists only in this answer (and the URL).
#[derive(Debug, Clone)]
pub struct MintedLink {
    /// The `t=` value of the URL.
    pub token: Secret,
    /// When it stops working if unused.
    pub expires_at: UnixMillis,
}

/// A fresh 256-bit token, base64url without padding.
pub fn generate() -> String {
    URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>())
}

/// Hex SHA-256 of a token: the only form that is stored.
pub fn hash(token: &str) -> String {
    crate::digest::sha256_hex(token)
}

/// Whether `token` could be one of ours: 43 base64url symbols. Anything
/// else is refused before a store round trip.
pub fn well_formed(token: &str) -> bool {
    token.len() == 43
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// A new session for `user`, ending `ttl` after `now`.
pub(crate) fn mint_session(
    user: UserKey,
    admin: bool,
    now: UnixMillis,
    ttl: Duration,
) -> MintedSession {
    MintedSession {
        token: Secret::new(generate()),
        session: WebSession {
            user,
            admin,
            csrf: generate(),
            expires_at: now.plus(ttl),
        },
    }
}

/// A new link for `user`, ending `ttl` after `now`.
pub(crate) fn mint_link(user: UserKey, now: UnixMillis, ttl: Duration) -> (MintedLink, LinkRecord) {
    let expires_at = now.plus(ttl);
    (
        MintedLink {
            token: Secret::new(generate()),
            expires_at,
        },
        LinkRecord { user, expires_at },
    )
}

/// Milliseconds a store should keep a record that dies at `expires_at`
/// (at least 1, which Redis `PX` requires).
pub(crate) fn keep_ms(now: UnixMillis, expires_at: UnixMillis) -> i64 {
    (expires_at.0 - now.0).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_distinct_256_bit_and_stored_only_hashed() {
        let (a, b) = (generate(), generate());
        assert_ne!(a, b);
        assert!(well_formed(&a), "{a}");
        assert_eq!(URL_SAFE_NO_PAD.decode(&a).expect("base64url").len(), 32);
        assert_eq!(hash(&a).len(), 64);
        assert_ne!(hash(&a), a);
        assert!(!well_formed("short"));
        assert!(!well_formed(&format!("{}!", &a[..42])));
    }

    #[test]
    fn a_session_ends_its_ttl_after_now() {
        let minted = mint_session(
            UserKey::telegram(1),
            false,
            UnixMillis(1000),
            Duration::from_secs(2),
        );
        assert_eq!(minted.session.expires_at, UnixMillis(3000));
        assert_ne!(minted.session.csrf, minted.token.expose());
        assert_eq!(keep_ms(UnixMillis(5), UnixMillis(5)), 1);
    }
}
