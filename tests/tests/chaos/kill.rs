//! A replica SIGKILLed mid-generation: its upstream calls are held at its
//! fake provider (running) and more of its jobs wait behind them (queued)
//! when it dies. Every request still ends exactly once in the ledger (the
//! survivors' reapers refund what the dead one held), nothing is charged
//! twice, no window goes over; and with the Redis job queue, the dead
//! replica's queued jobs finish on the others and reach their clients,
//! which resume the events at a surviving replica.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use easel_shared::job::JobFailure;
use easel_tests::chaos::audit::Summary;
use easel_tests::chaos::client::{Outcome, Record};
use easel_tests::chaos::{Cluster, Spec, poll};

use super::{USERS, audited, request_id, user};

/// Requests per user, sent at once (within the window: no denials).
const PER_USER: usize = 2;
/// The replica that dies.
const VICTIM: usize = 0;

/// The run both tests check: returns the audit's summary, how many
/// requests went to the victim, and how many upstream calls it had running
/// when it died.
/// With `resume`, a client whose replica died resumes the job's events at
/// a surviving replica.
async fn kill_mid_generation(test: &str, resume: bool) -> (Summary, usize, usize) {
    let spec = Spec::shared_redis(3, PER_USER as u32 + 2);
    let cluster = Cluster::start(test, spec).await;
    cluster.upstreams[VICTIM].hold();
    let client = cluster.client();
    let accepted_by_victim = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    let mut to_victim = 0;
    for u in 0..USERS {
        for j in 0..PER_USER {
            let replica = (u + j) % cluster.replicas.len();
            to_victim += usize::from(replica == VICTIM);
            let (client, base, id) = (client.clone(), cluster.url(replica), request_id("k", u, j));
            // The accepting replica first, then the others.
            let bases: Vec<String> = (0..cluster.replicas.len())
                .map(|r| cluster.url((replica + r) % cluster.replicas.len()))
                .take(if resume { usize::MAX } else { 1 })
                .collect();
            let accepted = accepted_by_victim.clone();
            tasks.push(tokio::spawn(async move {
                let outcome = match client.submit(&base, user(u), &id, 1).await {
                    Ok(job) => {
                        if replica == VICTIM {
                            accepted.fetch_add(1, Ordering::SeqCst);
                        }
                        client.follow_anywhere(&bases, &job).await
                    }
                    Err(outcome) => outcome,
                };
                Record {
                    id,
                    user: user(u),
                    replica,
                    outcome,
                }
            }));
        }
    }
    // Mid-generation: every submit to the victim admitted, upstream calls
    // running there (held at its fake), the rest of its jobs queued.
    let midway = poll(|| async {
        accepted_by_victim.load(Ordering::SeqCst) == to_victim
            && !cluster.upstreams[VICTIM].requests().is_empty()
    })
    .await;
    assert!(midway, "the victim never got busy:\n{}", cluster.logs());
    let mut cluster = cluster;
    cluster.replicas[VICTIM].kill();
    let running = cluster.upstreams[VICTIM].requests().len();
    cluster.upstreams[VICTIM].release();
    let mut records = Vec::new();
    for task in tasks {
        records.push(task.await.expect("request task"));
    }
    let (summary, _) = audited(&cluster, &records).await;
    for r in &records {
        // The victim's clients lose their connection unless their job
        // ended before it died; the other replicas deliver everything.
        let fine = match r.outcome {
            Outcome::Delivered { .. } => true,
            Outcome::Lost => r.replica == VICTIM && !resume,
            // A running job whose reservation the reaper refunded first.
            Outcome::Failed(JobFailure::ReservationLost) => r.replica == VICTIM && resume,
            _ => false,
        };
        assert!(
            fine,
            "{}: {:?} from replica {}",
            r.id.as_str(),
            r.outcome,
            r.replica
        );
    }
    (summary, to_victim, running)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_replica_killed_mid_generation_ends_every_request_exactly_once() {
    let (summary, to_victim, _) = kill_mid_generation("chaos-kill-once", false).await;
    // Everything sent elsewhere was delivered; the victim's requests all
    // ended in the ledger, delivered or refunded (the audit checked once).
    let lost = summary.count("lost");
    assert!(
        lost > 0,
        "the victim died with nothing in flight ({summary})"
    );
    assert_eq!(summary.count("delivered") + lost, USERS * PER_USER);
    assert_eq!(summary.lost_delivered + summary.lost_refunded, lost);
    assert!(lost <= to_victim);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_killed_replicas_queued_jobs_finish_on_the_others() {
    let (summary, to_victim, running) = kill_mid_generation("chaos-kill-queue", true).await;
    // The victim's clients resumed at a survivor: nothing is lost; only the
    // calls running at the victim may have been refunded; the jobs that
    // were waiting in its queue are taken over and delivered to the user.
    assert_eq!(summary.count("lost"), 0, "{summary}");
    let refunded: usize = (summary.seen.iter())
        .filter(|(kind, _)| kind.starts_with("failed"))
        .map(|(_, n)| n)
        .sum();
    assert!(
        refunded <= running,
        "{refunded} of the victim's {to_victim} jobs were refunded, not finished elsewhere ({summary})"
    );
}
