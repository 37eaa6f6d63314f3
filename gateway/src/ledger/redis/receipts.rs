//! What reserve answered, kept by this ledger instance until the settle.
//!
//! A settle's global bookings (the day's spend, the top list, dropping the
//! reaper's hint) need the reservation's day, backend, hint nonce and size,
//! which live in the user's record in another slot. With a receipt the
//! settle sends them in the same round trip as the user step and corrects
//! them afterwards in the rare case the user step disagrees (see
//! `settle.rs`). Without one (an outbox entry left by an earlier process, a
//! settle from another replica, a full map) the settle reads them from the
//! user step's reply first: one round trip more, same result.

use std::collections::HashMap;
use std::sync::Mutex;

use easel_shared::{RequestId, UserKey};

/// Receipts kept at most; past this, new reservations settle the slower way.
/// Entries leave at their settle, so only reservations this process never
/// settles (it cannot: the runner settles or parks every job) would stay.
const MAX_RECEIPTS: usize = 100_000;

/// Where an admitted reservation's settle books, as reserve answered it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Receipt {
    /// The reservation's UTC day (its spend hash and top list).
    pub(super) day: i64,
    /// The backend its spend is booked under.
    pub(super) backend: String,
    /// The nonce of the reaper hint the admitting call added.
    pub(super) nonce: String,
    /// Images reserved (a settle charges at most these).
    pub(super) images: u32,
    /// Credits per image.
    pub(super) credits_per_image: u32,
}

impl Receipt {
    /// Credits a settle delivering `delivered` images charges (what the user
    /// step computes: the delivered count is capped at the reserved one).
    pub(super) fn charge(&self, delivered: u32) -> u32 {
        delivered
            .min(self.images)
            .saturating_mul(self.credits_per_image)
    }
}

/// The receipts of reservations this instance admitted and has not settled.
#[derive(Debug, Default)]
pub(super) struct Receipts(Mutex<HashMap<(UserKey, RequestId), Receipt>>);

impl Receipts {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<(UserKey, RequestId), Receipt>> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Keeps the receipt of a fresh admission (dropped when the map is full).
    pub(super) fn keep(&self, user: UserKey, id: &RequestId, receipt: Receipt) {
        let mut map = self.lock();
        if map.len() < MAX_RECEIPTS {
            map.insert((user, id.clone()), receipt);
        }
    }

    /// The receipt of a reservation, if this instance admitted it.
    pub(super) fn get(&self, user: UserKey, id: &RequestId) -> Option<Receipt> {
        self.lock().get(&(user, id.clone())).cloned()
    }

    /// Forgets a receipt once its settle has an answer.
    pub(super) fn forget(&self, user: UserKey, id: &RequestId) {
        self.lock().remove(&(user, id.clone()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_charge_never_exceeds_the_reservation() {
        let r = Receipt {
            day: 1,
            backend: "fake".into(),
            nonce: "n".into(),
            images: 2,
            credits_per_image: 3,
        };
        assert_eq!(r.charge(0), 0);
        assert_eq!(r.charge(1), 3);
        assert_eq!(r.charge(5), 6);
    }

    #[test]
    fn receipts_are_kept_until_forgotten() {
        let receipts = Receipts::default();
        let id = RequestId::new("tg:1:2").expect("valid id");
        let user = UserKey::telegram(7);
        let r = Receipt {
            day: 1,
            backend: "fake".into(),
            nonce: "n".into(),
            images: 1,
            credits_per_image: 1,
        };
        receipts.keep(user, &id, r.clone());
        assert_eq!(receipts.get(user, &id), Some(r));
        assert_eq!(receipts.get(UserKey::telegram(8), &id), None);
        receipts.forget(user, &id);
        assert_eq!(receipts.get(user, &id), None);
    }
}
