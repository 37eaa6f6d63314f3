//! The shared queue's renewal pass, every `ledger.lease / 3`: the ledger
//! leases of the jobs running here AND of every waiting job (whoever
//! accepted it: idempotent, so each live replica renewing them is harmless
//! and a dead accepter's waiting jobs keep their reservations), the
//! heartbeat and this consumer's entries, then the take-over of the entries
//! of consumers whose heartbeat lapsed.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use easel_shared::job::JobFailure;
use easel_shared::{RequestId, UserKey};
use tokio::sync::Semaphore;

use easel_shared::job::JobEvent;

use super::super::redis::{Cancelled, Claimed, StreamItem};
use super::super::{Shared, job};
use super::{ack, fail_in_stream, push, queue, start};
use crate::ledger::{SettleOutcome, Settlement};

/// One pass (see the module doc).
pub(in crate::runner) async fn renew_pass(shared: &Arc<Shared>, lease: Duration) {
    let queue = queue(shared);
    let running: Vec<(RequestId, UserKey, Option<String>)> = {
        let state = shared.lock();
        let jobs = state.running.iter();
        jobs.map(|(id, r)| (id.clone(), r.user, r.entry.clone()))
            .collect()
    };
    let waiting = match queue.snapshot().await {
        Ok((waiting, _)) => {
            // The deployment's queue depth, as of this pass.
            shared.metrics.queue_depth(waiting.len());
            waiting
        }
        Err(error) => {
            tracing::warn!(%error, "job queue unreachable: waiting jobs not renewed");
            Vec::new()
        }
    };
    let mut held: Vec<(UserKey, RequestId)> = running
        .iter()
        .map(|(id, user, _)| (*user, id.clone()))
        .collect();
    held.extend(waiting.iter().map(|j| (j.user, j.id.clone())));
    let asked_at = shared.clock.now();
    if !held.is_empty() {
        match shared.ledger.renew_many(&held).await {
            Ok(renewed) => {
                for ((user, id), ok) in held.into_iter().zip(renewed) {
                    let waiting = {
                        let mut state = shared.lock();
                        if ok {
                            if state.running.contains_key(&id) {
                                state.confirmed.insert(id.clone(), asked_at);
                            }
                            false
                        } else if let Some(job) = state.running.get(&id) {
                            tracing::warn!(%id, %user, "lease renewal refused: stopping the job");
                            job.stop.cancel();
                            false
                        } else {
                            true
                        }
                    };
                    if !waiting {
                        continue;
                    }
                    // A waiting job whose reservation the reaper refunded never runs.
                    if let Ok(Cancelled::Yes(owner)) = queue.cancel(None, &id).await {
                        tracing::warn!(%id, %user, "waiting job's reservation lost: dropped");
                        fail_in_stream(shared, owner, &id, JobFailure::ReservationLost).await;
                    }
                }
            }
            Err(error) => tracing::warn!(%error, "lease renewal failed"),
        }
    }
    let entries: Vec<String> = running.iter().filter_map(|(_, _, e)| e.clone()).collect();
    match queue.renew(&entries, lease).await {
        Ok(owned) => {
            let owned: HashSet<String> = owned.into_iter().collect();
            let state = shared.lock();
            for (id, _, entry) in &running {
                if let (Some(entry), Some(job)) = (entry, state.running.get(id))
                    && !owned.contains(entry)
                {
                    // Another replica took it over (this one was presumed dead).
                    tracing::warn!(%id, "job taken over by another replica: stopped here");
                    job.quiet.cancel();
                }
            }
        }
        Err(error) => tracing::warn!(%error, "job queue heartbeat failed"),
    }
    match queue.takeover(lease).await {
        Ok(taken) => {
            for claimed in taken {
                adopt(shared, claimed).await;
            }
        }
        Err(error) => tracing::warn!(%error, "job take-over failed"),
    }
}

/// Runs a dead replica's job here, unless its reservation is gone (then it
/// is dropped: a job never runs unpaid). It already counts toward the cap,
/// so it takes no local slot.
async fn adopt(shared: &Arc<Shared>, claimed: Claimed) {
    let user = claimed.ticket.reservation.user;
    let id = claimed.id.clone();
    match shared.ledger.renew(user, &id).await {
        Ok(true) => {
            tracing::info!(%id, %user, "took over a dead replica's job");
            let slot = Arc::new(Semaphore::new(1)).acquire_owned().await;
            if let Ok(slot) = slot {
                start(shared, claimed, slot);
            }
        }
        Ok(false) => {
            finish_settled(shared, &claimed).await;
            ack(queue(shared), &claimed.entry, &id).await;
        }
        Err(error) => {
            tracing::warn!(%id, %error, "ledger unreachable: taken-over job handed back");
            if let Err(error) = queue(shared).handback(&claimed.entry, &id).await {
                tracing::warn!(%id, %error, "hand-back failed: the next take-over retries");
            }
        }
    }
}

/// A taken-over job whose reservation is no longer pending: if it was
/// settled as delivered (its replica died after the settle), its kept output
/// is delivered now; otherwise (refunded by the reaper) it ends unpaid and
/// never runs.
async fn finish_settled(shared: &Arc<Shared>, claimed: &Claimed) {
    let user = claimed.ticket.reservation.user;
    let id = &claimed.id;
    let outcome = shared.ledger.settle(user, id, Settlement::Failed).await;
    let output = match outcome {
        Ok(SettleOutcome::AlreadySettled) => queue(shared).output(id).await.ok().flatten(),
        _ => None,
    };
    let Some(output) = output else {
        tracing::warn!(%id, %user, ?outcome, "taken-over job's reservation is finished: dropped");
        fail_in_stream(shared, user, id, JobFailure::ReservationLost).await;
        return;
    };
    tracing::info!(%id, %user, "taken-over job was settled before its replica died: delivering");
    let reserved = claimed.ticket.reservation.images.max(1);
    let delivered = output.images.len() as u32;
    let event = JobEvent::Done {
        charged: claimed.ticket.credits / reserved * delivered,
        images: output.images,
        cost_micros: output.cost_micros,
        quota: job::status(shared, user).await,
        result: None,
    };
    push(queue(shared), id, StreamItem::Event(event)).await;
}
