//! Lease renewal: every held reservation (waiting or running) is renewed in
//! ONE ledger call per pass; a reservation that is refused, or not confirmed
//! for a whole lease, is lost: its job is stopped (running) or refunded
//! (waiting), and the user told nothing was charged. See docs/ledger.md.

use std::time::Duration;

use easel_shared::job::JobFailure;
use easel_shared::{RequestId, UnixMillis, UserKey};

use super::{Shared, announce, job};
use crate::ledger::Clock;

/// How often held leases are renewed: a third of the lease.
pub(super) fn renew_every(lease: Duration) -> Duration {
    (lease / 3).max(Duration::from_millis(10))
}

/// Renews the leases of every held reservation every `lease / 3` of
/// `clock` (the first time at `first`), all in one ledger call, and stops
/// jobs whose reservation is lost.
pub(super) async fn renew(shared: std::sync::Weak<Shared>, clock: Clock, first: UnixMillis) {
    let mut next = first;
    loop {
        clock.sleep_until(next).await;
        let Some(shared) = shared.upgrade() else {
            return;
        };
        let lease = shared.config.load().ledger.lease;
        if shared.queue.is_some() {
            super::shared_queue::renew_pass(&shared, lease).await;
        } else {
            renew_once(&shared, lease).await;
        }
        next = clock.now().plus(renew_every(lease));
        shared.renewals.send_modify(|passes| *passes += 1);
    }
}

/// One renewal pass (see [`renew`]).
async fn renew_once(shared: &Shared, lease: Duration) {
    let held: Vec<(RequestId, UserKey)> = {
        let state = shared.lock();
        let running = state.running.iter().map(|(id, r)| (id.clone(), r.user));
        let waiting = state.queue.ids().map(|(id, u)| (id.clone(), u));
        running.chain(waiting).collect()
    };
    if held.is_empty() {
        return;
    }
    let asked_at = shared.clock.now();
    let batch: Vec<(UserKey, RequestId)> = held.iter().map(|(id, u)| (*u, id.clone())).collect();
    let lost: Vec<(RequestId, UserKey)> = match shared.ledger.renew_many(&batch).await {
        Ok(renewed) => {
            let mut state = shared.lock();
            let mut lost = Vec::new();
            for ((id, user), ok) in held.into_iter().zip(renewed) {
                if ok {
                    // The lease runs from when the ledger was asked, at the latest.
                    state.confirmed.insert(id, asked_at);
                } else {
                    tracing::warn!(%id, %user, "lease renewal refused: reservation no longer pending");
                    lost.push((id, user));
                }
            }
            lost
        }
        Err(error) => {
            tracing::warn!(%error, jobs = held.len(), "lease renewal failed");
            let state = shared.lock();
            held.into_iter()
                .filter(|(id, _)| {
                    state
                        .confirmed
                        .get(id)
                        .is_none_or(|at| lapsed(*at, asked_at, lease))
                })
                .inspect(|(id, user)| {
                    tracing::warn!(%id, %user, "lease lapsed: the reaper may refund it")
                })
                .collect()
        }
    };
    for (id, user) in lost {
        let waiting = {
            let mut state = shared.lock();
            if let Some(running) = state.running.get(&id) {
                // The job ends itself (and settles) once its call stops.
                running.stop.cancel();
                None
            } else {
                let taken = state.queue.remove(&id);
                announce(&mut state.queue);
                taken
            }
        };
        if let Some((_, waiting)) = waiting {
            let failure = JobFailure::ReservationLost;
            job::refund(shared, user, &id, failure, &waiting.events).await;
        }
    }
}

/// Whether a lease last confirmed `at` has run out by `now`.
fn lapsed(at: UnixMillis, now: UnixMillis, lease: Duration) -> bool {
    now.0.saturating_sub(at.0) >= i64::try_from(lease.as_millis()).unwrap_or(i64::MAX)
}
