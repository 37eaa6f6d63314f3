//! Burst cells already paid, by request id, in process memory (the local
//! [`Limits`](super::Limits) store; the Redis store keeps passes in Redis):
//! the bridge between
//! [`Gatekeeper::precheck`](super::Gatekeeper::precheck), which takes a
//! request's governor cell before any download, and
//! [`Gatekeeper::admit`](super::Gatekeeper::admit), which must not take a
//! second one for the same request.
//!
//! A governor cell cannot be refunded, so the rule is "one cell per request
//! id, whoever asks first". An entry is kept (not removed at admit) until it
//! is older than [`PASS_TTL`], so a redelivered event does not pay twice
//! either. (Once its request is admitted, a pre-check of the same id is
//! answered as the duplicate it is from the ledger's own record:
//! [`Ledger::admitted`](crate::ledger::Ledger::admitted).)

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use easel_shared::{RequestId, UserKey};

/// How long a paid cell is remembered: longer than any download plus
/// decode of a request's inputs takes, short enough to keep the map small.
pub const PASS_TTL: Duration = Duration::from_secs(15 * 60);

/// Who paid one request id's cell, and when.
#[derive(Debug, Clone, Copy)]
struct Entry {
    user: UserKey,
    since: Instant,
}

/// Request ids whose burst cell is paid, with who paid and when.
#[derive(Default)]
pub struct BurstPasses {
    held: Mutex<HashMap<RequestId, Entry>>,
}

impl BurstPasses {
    /// Whether `user` already paid the burst cell of request `id`.
    pub fn holds(&self, user: UserKey, id: &RequestId) -> bool {
        self.entry(user, id).is_some()
    }

    /// Records that `user` paid the burst cell of request `id`.
    pub fn record(&self, user: UserKey, id: &RequestId) {
        let entry = Entry {
            user,
            since: Instant::now(),
        };
        self.lock().entry(id.clone()).or_insert(entry);
    }

    /// Forgets passes older than [`PASS_TTL`].
    pub fn tidy(&self) {
        self.lock().retain(|_, e| e.since.elapsed() < PASS_TTL);
    }

    fn entry(&self, user: UserKey, id: &RequestId) -> Option<Entry> {
        self.lock()
            .get(id)
            .copied()
            .filter(|e| e.user == user && e.since.elapsed() < PASS_TTL)
    }

    /// Passes held (for tests and metrics).
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether no pass is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<RequestId, Entry>> {
        // A panic while holding this lock cannot leave the map inconsistent.
        self.held.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pass_belongs_to_its_user_and_request() {
        let passes = BurstPasses::default();
        let id = RequestId::new("tg:1:2").unwrap();
        let other = RequestId::new("tg:1:3").unwrap();
        let user = UserKey::telegram(1);
        assert!(!passes.holds(user, &id));
        passes.record(user, &id);
        assert!(passes.holds(user, &id));
        assert!(!passes.holds(UserKey::telegram(2), &id));
        assert!(!passes.holds(user, &other));
        passes.tidy();
        assert_eq!(passes.len(), 1, "a fresh pass survives tidying");
    }
}
