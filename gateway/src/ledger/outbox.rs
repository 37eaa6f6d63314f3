//! The settle outbox: a settle that cannot reach the ledger is written to a
//! local redb file and retried with backoff until it lands, so a charge is
//! never lost to a ledger outage (docs/ledger.md, "The outbox").
//!
//! Exactly once comes from the ledger, not from here: settle is idempotent
//! by reservation id, so resending an entry whose first send did land (the
//! answer was lost) is a no-op that answers `AlreadySettled`.
//!
//! An entry left by an earlier process (it died before the settle landed)
//! is sent as "0 images delivered" with its cost: that process never showed
//! the images (the runner delivers only after the settle lands), so the user
//! pays nothing while the provider's bill still counts toward the spend.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use easel_shared::{QuotaStatus, RequestId, UserKey};
use redb::{Database, ReadableDatabase, ReadableTable, ReadableTableMetadata, TableDefinition};
use serde::{Deserialize, Serialize};
use tokio::sync::{Notify, oneshot};

use super::{Ledger, LedgerError, SettleOutcome, Settlement};

/// `<user>|<id>` -> [`Entry`] as JSON.
const SETTLES: TableDefinition<&str, &[u8]> = TableDefinition::new("settles");

/// First wait after a failed drain; doubled per failure up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_millis(100);
/// Longest wait between drain attempts while the ledger stays away.
const MAX_BACKOFF: Duration = Duration::from_secs(10);

/// One settle waiting to land.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Entry {
    user: UserKey,
    id: RequestId,
    how: Settlement,
}

/// What [`SettleOutbox::send`] did.
enum Sent {
    /// The ledger answered at once (with the quota after it, if asked for).
    Landed(SettleOutcome, Option<QuotaStatus>),
    /// Parked; the receiver (if asked for) gets the outcome when it lands.
    Parked(Option<oneshot::Receiver<SettleOutcome>>),
}

/// Why the outbox could not take a settle (its file failed): the caller must
/// treat the reservation as unsettled (the reaper will refund it).
#[derive(Debug, thiserror::Error)]
#[error("settle outbox: {0}")]
pub struct OutboxError(String);

fn io<T, E: std::fmt::Display>(r: Result<T, E>) -> Result<T, OutboxError> {
    r.map_err(|e| OutboxError(e.to_string()))
}

/// Settles through the ledger, parking what fails in a durable file that a
/// background task drains. Share it behind an `Arc`; dropping the last one
/// stops the drainer.
pub struct SettleOutbox {
    inner: Arc<Inner>,
    _drainer: crate::admission::AbortOnDrop,
}

struct Inner {
    ledger: Arc<dyn Ledger>,
    db: Arc<Database>,
    /// Callers waiting for their parked settle to land, by entry key.
    waiters: Mutex<HashMap<String, Vec<oneshot::Sender<SettleOutcome>>>>,
    /// Wakes the drainer when an entry is parked.
    wake: Notify,
}

impl std::fmt::Debug for SettleOutbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SettleOutbox").finish_non_exhaustive()
    }
}

impl SettleOutbox {
    /// Opens (or creates) the outbox file at `path` and starts draining it
    /// into `ledger` (needs a Tokio runtime). Entries left by an earlier
    /// process become "0 images delivered" (see the module docs).
    pub fn open(path: &Path, ledger: Arc<dyn Ledger>) -> Result<Self, OutboxError> {
        let db = io(Database::create(path))?;
        let txn = io(db.begin_write())?;
        {
            let mut table = io(txn.open_table(SETTLES))?;
            let mut left: Vec<(String, Entry)> = Vec::new();
            for row in io(table.iter())? {
                let (k, v) = io(row)?;
                if let Ok(entry) = serde_json::from_slice::<Entry>(v.value()) {
                    left.push((k.value().to_owned(), entry));
                }
            }
            for (key, mut entry) in left {
                if let Settlement::Delivered { images, .. } = &mut entry.how {
                    *images = 0;
                }
                tracing::warn!(id = %entry.id, user = %entry.user,
                    "settle left by an earlier process: sending it as nothing delivered");
                io(table.insert(key.as_str(), encode(&entry).as_slice()))?;
            }
        }
        io(txn.commit())?;
        let inner = Arc::new(Inner {
            ledger,
            db: Arc::new(db),
            waiters: Mutex::new(HashMap::new()),
            wake: Notify::new(),
        });
        let drainer = tokio::spawn(drain(Arc::clone(&inner)));
        Ok(Self {
            inner,
            _drainer: crate::admission::AbortOnDrop(drainer),
        })
    }

    /// Settles now if the ledger answers; else parks the settle durably and
    /// waits until the drainer lands it. `Err` only if the outbox file
    /// itself failed: then nothing is recorded and the reaper will refund.
    pub async fn settle(
        &self,
        user: UserKey,
        id: &RequestId,
        how: Settlement,
    ) -> Result<SettleOutcome, OutboxError> {
        Ok(self.settle_waiting(user, id, how, false).await?.0)
    }

    /// [`SettleOutbox::settle`], then the user's quota after it (in the
    /// settle's round trip on Redis: [`Ledger::settle_then_status`]; read once
    /// the drainer landed a parked settle); `None` if it could not be read.
    pub async fn settle_then_status(
        &self,
        user: UserKey,
        id: &RequestId,
        how: Settlement,
    ) -> Result<(SettleOutcome, Option<QuotaStatus>), OutboxError> {
        self.settle_waiting(user, id, how, true).await
    }

    async fn settle_waiting(
        &self,
        user: UserKey,
        id: &RequestId,
        how: Settlement,
        then_status: bool,
    ) -> Result<(SettleOutcome, Option<QuotaStatus>), OutboxError> {
        match self.send(user, id, how, true, then_status).await? {
            Sent::Landed(outcome, status) => Ok((outcome, status)),
            Sent::Parked(Some(rx)) => {
                let outcome = rx.await.map_err(|_| {
                    OutboxError("the drainer stopped before the settle landed".into())
                })?;
                let status = match then_status {
                    true => self.inner.ledger.status(user).await.ok(),
                    false => None,
                };
                Ok((outcome, status))
            }
            Sent::Parked(None) => Err(OutboxError("no waiter".into())),
        }
    }

    /// Settles now if the ledger answers (`Some`), else parks the settle
    /// durably for the drainer and returns `None` at once.
    pub async fn settle_or_park(
        &self,
        user: UserKey,
        id: &RequestId,
        how: Settlement,
    ) -> Result<Option<SettleOutcome>, OutboxError> {
        Ok(match self.send(user, id, how, false, false).await? {
            Sent::Landed(outcome, _) => Some(outcome),
            Sent::Parked(_) => None,
        })
    }

    async fn send(
        &self,
        user: UserKey,
        id: &RequestId,
        how: Settlement,
        wait: bool,
        then_status: bool,
    ) -> Result<Sent, OutboxError> {
        let ledger = &self.inner.ledger;
        let sent = if then_status {
            ledger.settle_then_status(user, id, how).await
        } else {
            ledger.settle(user, id, how).await.map(|o| (o, None))
        };
        match sent {
            Ok((outcome, status)) => return Ok(Sent::Landed(outcome, status)),
            Err(error) => {
                tracing::warn!(%id, %user, %error, "settle failed: parking it in the outbox");
            }
        }
        let entry = Entry {
            user,
            id: id.clone(),
            how,
        };
        let key = entry_key(user, id);
        let waiter = wait.then(|| {
            let (tx, rx) = oneshot::channel();
            self.inner
                .lock_waiters()
                .entry(key.clone())
                .or_default()
                .push(tx);
            rx
        });
        let db = Arc::clone(&self.inner.db);
        let parked = tokio::task::spawn_blocking(move || park(&db, &key, &entry)).await;
        match parked {
            Ok(Ok(())) => {}
            Ok(Err(e)) => return Err(e),
            Err(e) => return Err(OutboxError(e.to_string())),
        }
        self.inner.wake.notify_one();
        Ok(Sent::Parked(waiter))
    }

    /// Settles parked so far and not yet landed.
    pub fn pending(&self) -> Result<usize, OutboxError> {
        let txn = io(self.inner.db.begin_read())?;
        let table = io(txn.open_table(SETTLES))?;
        Ok(io(table.len())? as usize)
    }
}

impl Inner {
    fn lock_waiters(
        &self,
    ) -> std::sync::MutexGuard<'_, HashMap<String, Vec<oneshot::Sender<SettleOutcome>>>> {
        self.waiters.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// One pass over the file: sends each entry, deletes what landed, and
    /// stops at the first ledger failure (the rest would fail too).
    async fn drain_once(&self) -> Result<usize, LedgerError> {
        let db = Arc::clone(&self.db);
        let entries = tokio::task::spawn_blocking(move || list(&db))
            .await
            .map_err(|e| LedgerError::Unavailable(e.to_string()))?
            .map_err(|e| LedgerError::Unavailable(e.to_string()))?;
        let mut landed = 0;
        for (key, entry) in entries {
            let outcome = self.ledger.settle(entry.user, &entry.id, entry.how).await?;
            let db = Arc::clone(&self.db);
            let k = key.clone();
            tokio::task::spawn_blocking(move || remove(&db, &k))
                .await
                .map_err(|e| LedgerError::Unavailable(e.to_string()))?
                .map_err(|e| LedgerError::Unavailable(e.to_string()))?;
            landed += 1;
            tracing::info!(id = %entry.id, user = %entry.user, ?outcome, "parked settle landed");
            for waiter in self.lock_waiters().remove(&key).unwrap_or_default() {
                let _ = waiter.send(outcome);
            }
        }
        Ok(landed)
    }
}

/// Drains the file whenever woken, and with backoff while the ledger fails.
/// Aborted when the [`SettleOutbox`] is dropped.
async fn drain(inner: Arc<Inner>) {
    let mut backoff = FIRST_BACKOFF;
    loop {
        // Registered before the pass, so an entry parked during it wakes us.
        let woken = inner.wake.notified();
        match inner.drain_once().await {
            Ok(_) => {
                backoff = FIRST_BACKOFF;
                woken.await;
            }
            Err(error) => {
                tracing::warn!(%error, ?backoff, "outbox drain failed: retrying");
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(MAX_BACKOFF);
            }
        }
    }
}

fn entry_key(user: UserKey, id: &RequestId) -> String {
    format!("{user}|{id}")
}

fn encode(entry: &Entry) -> Vec<u8> {
    // Our own plain types always serialize.
    serde_json::to_vec(entry).unwrap_or_default()
}

fn park(db: &Database, key: &str, entry: &Entry) -> Result<(), OutboxError> {
    let txn = io(db.begin_write())?;
    io(io(txn.open_table(SETTLES))?.insert(key, encode(entry).as_slice()))?;
    // redb commits are durable (fsynced) by default.
    io(txn.commit())
}

fn list(db: &Database) -> Result<Vec<(String, Entry)>, OutboxError> {
    let txn = io(db.begin_read())?;
    let table = io(txn.open_table(SETTLES))?;
    let mut out = Vec::new();
    for row in io(table.iter())? {
        let (k, v) = io(row)?;
        match serde_json::from_slice::<Entry>(v.value()) {
            Ok(entry) => out.push((k.value().to_owned(), entry)),
            Err(e) => tracing::error!(error = %e, "unreadable outbox entry left in place"),
        }
    }
    Ok(out)
}

fn remove(db: &Database, key: &str) -> Result<(), OutboxError> {
    let txn = io(db.begin_write())?;
    io(io(txn.open_table(SETTLES))?.remove(key))?;
    io(txn.commit())
}
