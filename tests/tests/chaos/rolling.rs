//! A rolling restart under load: each replica in turn is taken out of the
//! clients' rotation (as a load balancer does on a failing readiness
//! probe), sent SIGTERM (it drains: running jobs finish; waiting ones are
//! left to the others on the shared queue, or refunded with "restarting"
//! without it), started again and put back. No accepted request is lost:
//! each ends delivered or refunded, once, and the client heard which.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use easel_tests::chaos::client::{Outcome, Record};
use easel_tests::chaos::{Cluster, Spec, poll};

use super::{USERS, audited, request_id, user};

/// Requests each user makes at least (more while restarts are under way).
const MIN_PER_USER: usize = 2;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_rolling_restart_under_load_loses_no_job() {
    let mut cluster = Cluster::start("chaos-rolling", Spec::shared_redis(3, 10_000)).await;
    for upstream in &cluster.upstreams {
        // Calls take a moment, so restarts always meet running jobs.
        upstream.set_latency(Duration::from_millis(20));
    }
    let replicas = cluster.replicas.len();
    let in_rotation: Arc<Vec<AtomicBool>> =
        Arc::new((0..replicas).map(|_| AtomicBool::new(true)).collect());
    let done = Arc::new(AtomicBool::new(false));
    let finished = Arc::new(AtomicUsize::new(0));
    let urls: Arc<Vec<String>> = Arc::new((0..replicas).map(|i| cluster.url(i)).collect());
    let client = cluster.client();
    let mut tasks = Vec::new();
    for u in 0..USERS {
        let (client, urls, rotation) = (client.clone(), urls.clone(), in_rotation.clone());
        let (done, finished) = (done.clone(), finished.clone());
        tasks.push(tokio::spawn(async move {
            let mut records = Vec::new();
            let mut j = 0;
            while j < MIN_PER_USER || !done.load(Ordering::SeqCst) {
                // The next replica in rotation after this user's last one.
                let Some(replica) = (0..urls.len())
                    .map(|k| (u + j + k) % urls.len())
                    .find(|&i| rotation[i].load(Ordering::SeqCst))
                else {
                    tokio::task::yield_now().await;
                    continue;
                };
                let id = request_id("r", u, j);
                let outcome = client.generate(&urls[replica], user(u), &id, 1).await;
                records.push(Record {
                    id,
                    user: user(u),
                    replica,
                    outcome,
                });
                finished.fetch_add(1, Ordering::SeqCst);
                j += 1;
            }
            records
        }));
    }
    for i in 0..replicas {
        // Under load: some requests finished since the last restart.
        let mark = finished.load(Ordering::SeqCst) + USERS / 2;
        assert!(poll(|| async { finished.load(Ordering::SeqCst) >= mark }).await);
        in_rotation[i].store(false, Ordering::SeqCst);
        let code = cluster.replicas[i].terminate();
        assert_eq!(
            code,
            Some(0),
            "replica {i} after SIGTERM:\n{}",
            cluster.replicas[i].log_tail(30)
        );
        cluster.replicas[i].restart();
        cluster.wait_ready(i).await;
        in_rotation[i].store(true, Ordering::SeqCst);
    }
    done.store(true, Ordering::SeqCst);
    let mut records = Vec::new();
    for task in tasks {
        records.extend(task.await.expect("user task"));
    }
    for r in &records {
        // A request already on its way to a replica as it left the rotation
        // meets the drain ("restarting") or a closed port: never admitted,
        // and the audit below proves it cost nothing. What was admitted
        // ends delivered or refunded with "shutting down", and is heard.
        let heard = matches!(
            r.outcome,
            Outcome::Delivered { .. }
                | Outcome::Failed(easel_shared::job::JobFailure::ShuttingDown)
                | Outcome::Refused { .. }
                | Outcome::Unreachable
        );
        assert!(
            heard,
            "{}: {:?} at replica {}",
            r.id.as_str(),
            r.outcome,
            r.replica
        );
    }
    let (summary, _) = audited(&cluster, &records).await;
    assert!(
        summary.count("delivered") >= USERS * MIN_PER_USER / 2,
        "{summary}"
    );
}
