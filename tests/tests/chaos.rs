//! Chaos: several real `easel-gateway` processes on one Redis
//! (`easel_tests::chaos`), 200 users through the frontend API, and faults
//! a deployment meets: a replica SIGKILLed mid-generation, Redis restarted
//! mid-run, a rolling restart under load. Each run ends with the ledger's
//! own records held against what every client saw (`chaos::audit`):
//! delivered exactly once or refunded exactly once, never over a limit.
//!
//! - `limits`: the same load on 1 and on 3 replicas gives the same quota outcomes.
//! - `kill`: a replica SIGKILLed with calls running and jobs queued.
//! - `redis_restart`: Redis stopped and started again under load.
//! - `rolling`: every replica restarted in turn (SIGTERM, drain) under load.

#[path = "chaos/kill.rs"]
mod kill;
#[path = "chaos/limits.rs"]
mod limits;
#[path = "chaos/redis_restart.rs"]
mod redis_restart;
#[path = "chaos/rolling.rs"]
mod rolling;

use easel_shared::{RequestId, UserKey};
use easel_tests::chaos::Cluster;
use easel_tests::chaos::audit::{Summary, UserLedger, audit};
use easel_tests::chaos::client::Record;
use std::collections::HashMap;

/// Users in every run.
const USERS: usize = 200;

/// User `u` of a run (each run has its own key prefix, so ids repeat safely).
fn user(u: usize) -> UserKey {
    UserKey::telegram(10_000 + u as u64)
}

/// Request `j` of user `u` in phase `phase`: the id the ledger keys on.
fn request_id(phase: &str, u: usize, j: usize) -> RequestId {
    RequestId::new(format!("chaos-{phase}-{u}-{j}")).expect("valid request id")
}

/// Waits for the ledger's final state, audits it, and fails the test with
/// every discrepancy (and the replicas' logs) if it is not exact.
async fn audited(cluster: &Cluster, records: &[Record]) -> (Summary, HashMap<UserKey, UserLedger>) {
    let ledger = cluster.final_ledger(records).await;
    let (summary, problems) = audit(records, &ledger, cluster.spec.limit);
    eprintln!("chaos summary: {summary}");
    assert!(
        problems.is_empty(),
        "{} discrepancies, first: {:#?}\n{}",
        problems.len(),
        &problems[..problems.len().min(20)],
        cluster.logs()
    );
    (summary, ledger)
}
