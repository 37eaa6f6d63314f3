//! Web sessions and one-time sign-in links on Redis.
//!
//! `{websession:<hash>}` and `{weblink:<hash>}` are single JSON strings, each
//! in its own slot, with a `PX` TTL that only collects dead records (expiry
//! is decided on the ledger clock from `expires_at`). Taking a link is one
//! `GETDEL`: atomic, so exactly one caller ever sees the record.

use std::time::Duration;

use easel_shared::UserKey;

use super::RedisLedger;
use crate::ledger::LedgerError;
use crate::ledger::web_session::{
    self, LinkRecord, MintedLink, MintedSession, WebSession, keep_ms,
};

pub(super) async fn create_session(
    l: &RedisLedger,
    user: UserKey,
    admin: bool,
    ttl: Duration,
) -> Result<MintedSession, LedgerError> {
    let now = l.clock.now();
    let minted = web_session::mint_session(user, admin, now, ttl);
    let key = l
        .keys
        .web_session(&web_session::hash(minted.token.expose()));
    let record = json(&minted.session)?;
    let _: () = l
        .query(
            redis::cmd("SET")
                .arg(key)
                .arg(record)
                .arg("PX")
                .arg(keep_ms(now, minted.session.expires_at)),
        )
        .await?;
    Ok(minted)
}

pub(super) async fn session(
    l: &RedisLedger,
    token: &str,
) -> Result<Option<WebSession>, LedgerError> {
    if !web_session::well_formed(token) {
        return Ok(None);
    }
    let key = l.keys.web_session(&web_session::hash(token));
    let stored: Option<String> = l.query(redis::cmd("GET").arg(key)).await?;
    let Some(stored) = stored else {
        return Ok(None);
    };
    let session: WebSession = parse("web session", &stored)?;
    Ok((session.expires_at > l.clock.now()).then_some(session))
}

pub(super) async fn end_session(l: &RedisLedger, token: &str) -> Result<bool, LedgerError> {
    if !web_session::well_formed(token) {
        return Ok(false);
    }
    let key = l.keys.web_session(&web_session::hash(token));
    let removed: u32 = l.query(redis::cmd("DEL").arg(key)).await?;
    Ok(removed > 0)
}

pub(super) async fn create_link(
    l: &RedisLedger,
    user: UserKey,
    ttl: Duration,
) -> Result<MintedLink, LedgerError> {
    let now = l.clock.now();
    let (minted, record) = web_session::mint_link(user, now, ttl);
    let key = l.keys.web_link(&web_session::hash(minted.token.expose()));
    let _: () = l
        .query(
            redis::cmd("SET")
                .arg(key)
                .arg(json(&record)?)
                .arg("PX")
                .arg(keep_ms(now, record.expires_at)),
        )
        .await?;
    Ok(minted)
}

pub(super) async fn take_link(
    l: &RedisLedger,
    token: &str,
) -> Result<Option<UserKey>, LedgerError> {
    if !web_session::well_formed(token) {
        return Ok(None);
    }
    let key = l.keys.web_link(&web_session::hash(token));
    let stored: Option<String> = l.query(redis::cmd("GETDEL").arg(key)).await?;
    let Some(stored) = stored else {
        return Ok(None);
    };
    let record: LinkRecord = parse("web link", &stored)?;
    Ok((record.expires_at > l.clock.now()).then_some(record.user))
}

fn json<T: serde::Serialize>(value: &T) -> Result<String, LedgerError> {
    serde_json::to_string(value).map_err(|e| LedgerError::Corrupt(format!("encode: {e}")))
}

fn parse<T: for<'de> serde::Deserialize<'de>>(what: &str, text: &str) -> Result<T, LedgerError> {
    serde_json::from_str(text).map_err(|e| LedgerError::Corrupt(format!("{what}: {e}")))
}
