//! Web sessions and one-time sign-in links in the embedded ledger. Same
//! records and rules as on Redis (`redis/web_sessions.rs`); expired rows are
//! pruned, oldest first, by the writes that add new ones.

use std::time::Duration;

use easel_shared::UserKey;
use redb::{ReadTransaction, ReadableTable};

use super::tables::{Io, Tx, WEB_SESSIONS, encode, get_json};
use crate::ledger::LedgerError;
use crate::ledger::web_session::{self, LinkRecord, MintedLink, MintedSession, WebSession};

/// Expired rows removed per write, so one write never does unbounded work.
const PRUNE_BATCH: usize = 64;

/// Stores a new session.
pub(crate) fn create_session(
    tx: &mut Tx<'_>,
    user: UserKey,
    admin: bool,
    ttl: Duration,
) -> Result<MintedSession, LedgerError> {
    let now = tx.now();
    prune(tx)?;
    let minted = web_session::mint_session(user, admin, now, ttl);
    let hash = web_session::hash(minted.token.expose());
    let record = encode(&minted.session)?;
    tx.web_sessions
        .insert(hash.as_str(), record.as_slice())
        .io()?;
    let index = format!("s:{hash}");
    tx.web_expiry
        .insert((minted.session.expires_at.0, index.as_str()), ())
        .io()?;
    Ok(minted)
}

/// The live session of a token.
pub(crate) fn session(
    txn: &ReadTransaction,
    token: &str,
    now: easel_shared::UnixMillis,
) -> Result<Option<WebSession>, LedgerError> {
    if !web_session::well_formed(token) {
        return Ok(None);
    }
    let table = txn.open_table(WEB_SESSIONS).io()?;
    let found: Option<WebSession> = get_json(&table, "web session", &web_session::hash(token))?;
    Ok(found.filter(|s| s.expires_at > now))
}

/// Ends a session; false if it was not live.
pub(crate) fn end_session(tx: &mut Tx<'_>, token: &str) -> Result<bool, LedgerError> {
    if !web_session::well_formed(token) {
        return Ok(false);
    }
    let hash = web_session::hash(token);
    let Some(found) = get_json::<WebSession>(&tx.web_sessions, "web session", &hash)? else {
        return Ok(false);
    };
    let live = found.expires_at > tx.now();
    tx.web_sessions.remove(hash.as_str()).io()?;
    let index = format!("s:{hash}");
    tx.web_expiry
        .remove((found.expires_at.0, index.as_str()))
        .io()?;
    Ok(live)
}

/// Stores a new sign-in link.
pub(crate) fn create_link(
    tx: &mut Tx<'_>,
    user: UserKey,
    ttl: Duration,
) -> Result<MintedLink, LedgerError> {
    let now = tx.now();
    prune(tx)?;
    let (minted, record) = web_session::mint_link(user, now, ttl);
    let hash = web_session::hash(minted.token.expose());
    tx.web_links
        .insert(hash.as_str(), encode(&record)?.as_slice())
        .io()?;
    let index = format!("l:{hash}");
    tx.web_expiry
        .insert((record.expires_at.0, index.as_str()), ())
        .io()?;
    Ok(minted)
}

/// Consumes a link: its user the first time while live, else `None`.
pub(crate) fn take_link(tx: &mut Tx<'_>, token: &str) -> Result<Option<UserKey>, LedgerError> {
    if !web_session::well_formed(token) {
        return Ok(None);
    }
    let hash = web_session::hash(token);
    let Some(record) = get_json::<LinkRecord>(&tx.web_links, "web link", &hash)? else {
        return Ok(None);
    };
    let live = record.expires_at > tx.now();
    tx.web_links.remove(hash.as_str()).io()?;
    let index = format!("l:{hash}");
    tx.web_expiry
        .remove((record.expires_at.0, index.as_str()))
        .io()?;
    Ok(live.then_some(record.user))
}

/// Removes up to [`PRUNE_BATCH`] expired sessions and links.
fn prune(tx: &mut Tx<'_>) -> Result<(), LedgerError> {
    let now = tx.now().0;
    let mut dead = Vec::new();
    for item in tx.web_expiry.range((i64::MIN, "")..(now, "")).io()? {
        let (k, _) = item.io()?;
        let (at, name) = k.value();
        dead.push((at, name.to_owned()));
        if dead.len() >= PRUNE_BATCH {
            break;
        }
    }
    for (at, name) in dead {
        tx.web_expiry.remove((at, name.as_str())).io()?;
        match name.split_once(':') {
            Some(("s", hash)) => drop(tx.web_sessions.remove(hash).io()?),
            Some(("l", hash)) => drop(tx.web_links.remove(hash).io()?),
            _ => {}
        }
    }
    Ok(())
}
