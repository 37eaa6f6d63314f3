//! The group-commit writer: one thread owns every write transaction.
//!
//! Callers queue jobs; the thread takes everything queued (up to
//! [`MAX_BATCH`]), runs the jobs one after another inside ONE write
//! transaction, commits it with `Durability::Immediate` (fsync), and only
//! then answers each caller. A job that fails logically (refused, not found,
//! corrupt row) has written nothing and gets its error after the commit like
//! everyone else; a storage failure (or a panic) aborts the transaction and
//! every caller in the batch gets `Unavailable`. See `embedded.rs` for why
//! this makes "acknowledged" mean "durable".

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::mpsc::{Receiver, Sender, channel};
use std::thread::JoinHandle;

use redb::{Database, Durability};
use tokio::sync::oneshot;

use super::tables::{Io, Tx};
use crate::ledger::{Clock, LedgerError, SharedConfig};

/// Most jobs per transaction: large enough to amortise the fsync, small
/// enough that one batch's latency stays a few milliseconds of work.
pub(crate) const MAX_BATCH: usize = 256;

/// Delivers a job's answer once the batch's fate is known.
type Reply = Box<dyn FnOnce(Result<(), LedgerError>) + Send>;

/// A queued operation: runs against the batch's tables and returns its
/// deferred reply, plus whether it hit a storage failure (poisoning the batch).
type Job = Box<dyn FnOnce(&mut Tx<'_>) -> (Reply, bool) + Send>;

/// Handle to the writer thread. Dropping it lets the thread finish what is
/// queued, then waits for it, so the file is closed when drop returns.
pub(crate) struct Writer {
    jobs: Option<Sender<Job>>,
    thread: Option<JoinHandle<()>>,
}

impl Writer {
    /// Starts the thread that owns all writes to `db`.
    pub(crate) fn start(
        db: Arc<Database>,
        config: SharedConfig,
        clock: Clock,
    ) -> Result<Self, LedgerError> {
        let (jobs, queue) = channel::<Job>();
        let thread = std::thread::Builder::new()
            .name("easel-ledger-writer".into())
            .spawn(move || run(&db, &config, &clock, &queue))
            .map_err(|e| {
                LedgerError::Unavailable(format!("embedded ledger: writer thread: {e}"))
            })?;
        Ok(Self {
            jobs: Some(jobs),
            thread: Some(thread),
        })
    }

    /// Runs `op` in the next batch; resolves after that batch is durable.
    pub(crate) async fn submit<T, F>(&self, op: F) -> Result<T, LedgerError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Tx<'_>) -> Result<T, LedgerError> + Send + 'static,
    {
        let (answer, answered) = oneshot::channel();
        let job: Job = Box::new(move |tx| {
            let result = op(tx);
            let poisoned = matches!(result, Err(LedgerError::Unavailable(_)));
            let reply: Reply = Box::new(move |batch| {
                // The caller may have gone away; the outcome stands regardless.
                let _ = answer.send(batch.and(result));
            });
            (reply, poisoned)
        });
        let queued = self
            .jobs
            .as_ref()
            .is_some_and(|jobs| jobs.send(job).is_ok());
        if !queued {
            return Err(stopped());
        }
        answered.await.unwrap_or_else(|_| Err(aborted()))
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        // Closing the queue ends the thread's loop once it is drained.
        self.jobs = None;
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn stopped() -> LedgerError {
    LedgerError::Unavailable("embedded ledger: writer stopped".into())
}

fn aborted() -> LedgerError {
    LedgerError::Unavailable("embedded ledger: batch aborted, nothing was changed".into())
}

fn run(db: &Database, config: &SharedConfig, clock: &Clock, queue: &Receiver<Job>) {
    while let Ok(first) = queue.recv() {
        let mut batch = Vec::with_capacity(MAX_BATCH);
        batch.push(first);
        while batch.len() < MAX_BATCH {
            match queue.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        // A panicking job must not take the writer (and every later caller)
        // down: its batch is dropped uncommitted and each caller sees an abort.
        let outcome = catch_unwind(AssertUnwindSafe(|| commit_batch(db, config, clock, batch)));
        if outcome.is_err() {
            tracing::error!("embedded ledger: a batch panicked and was rolled back");
        }
    }
}

/// Runs one batch in one transaction and answers every job in it.
fn commit_batch(db: &Database, config: &SharedConfig, clock: &Clock, batch: Vec<Job>) {
    let mut replies = Vec::with_capacity(batch.len());
    let result = (|| {
        let mut txn = db.begin_write().io()?;
        txn.set_durability(Durability::Immediate).io()?;
        {
            let mut tx = Tx::open(&txn, config.load_full(), clock.clone())?;
            let mut jobs = batch.into_iter();
            for job in jobs.by_ref() {
                let (reply, poisoned) = job(&mut tx);
                replies.push(reply);
                if poisoned {
                    // The jobs not yet run are dropped: their callers see an abort.
                    return Err(aborted());
                }
            }
        }
        txn.commit().io()
    })();
    if let Err(e) = &result {
        tracing::error!(error = %e, jobs = replies.len(), "embedded ledger: batch failed");
    }
    let committed = result.is_ok();
    for reply in replies {
        reply(if committed { Ok(()) } else { Err(aborted()) });
    }
}
