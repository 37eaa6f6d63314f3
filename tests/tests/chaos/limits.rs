//! Limits hold with 3 replicas exactly as with one: every user fires more
//! requests than its window allows, all at once and spread over the
//! replicas; each user gets exactly its limit, the rest are refused, and
//! the 1-replica and 3-replica runs agree user by user.

use std::collections::BTreeMap;
use std::sync::Arc;

use easel_tests::chaos::client::{Outcome, Record};
use easel_tests::chaos::{Cluster, Spec};
use tokio::sync::Semaphore;

use super::{USERS, audited, request_id, user};

/// The plan's window in these runs.
const LIMIT: u32 = 3;
/// Requests per user, all at once: two more than the window holds.
const PER_USER: usize = LIMIT as usize + 2;

/// Runs the burst on `replicas` processes; returns each user's
/// (delivered, refused as denied) counts after the audit passed.
async fn burst(replicas: usize) -> BTreeMap<usize, (usize, usize)> {
    let cluster = Cluster::start("chaos-limits", Spec::shared_redis(replicas, LIMIT)).await;
    let client = cluster.client();
    // Bounds open connections; a user's requests still all race each other.
    let users_at_once = Arc::new(Semaphore::new(40));
    let mut tasks = Vec::new();
    for u in 0..USERS {
        let client = client.clone();
        let urls: Vec<String> = (0..replicas).map(|i| cluster.url(i)).collect();
        let gate = users_at_once.clone();
        tasks.push(tokio::spawn(async move {
            let _permit = gate.acquire_owned().await.expect("semaphore");
            let requests = (0..PER_USER).map(|j| {
                let replica = (u + j) % urls.len();
                let (client, base, id) =
                    (client.clone(), urls[replica].clone(), request_id("b", u, j));
                async move {
                    let outcome = client.generate(&base, user(u), &id, 1).await;
                    Record {
                        id,
                        user: user(u),
                        replica,
                        outcome,
                    }
                }
            });
            futures::future::join_all(requests).await
        }));
    }
    let mut records = Vec::new();
    for task in tasks {
        records.extend(task.await.expect("user task"));
    }
    audited(&cluster, &records).await;
    let mut per_user: BTreeMap<usize, (usize, usize)> = BTreeMap::new();
    for (u, r) in (0..USERS)
        .flat_map(|u| std::iter::repeat_n(u, PER_USER))
        .zip(&records)
    {
        let counts = per_user.entry(u).or_default();
        match &r.outcome {
            Outcome::Delivered { .. } => counts.0 += 1,
            Outcome::Refused { status: 429, code } if code == "denied" => counts.1 += 1,
            other => panic!("{}: unexpected {other:?}", r.id.as_str()),
        }
    }
    per_user
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn limits_hold_with_three_replicas_exactly_as_with_one() {
    let one = burst(1).await;
    let three = burst(3).await;
    let expected = (LIMIT as usize, PER_USER - LIMIT as usize);
    for (u, counts) in &one {
        assert_eq!(*counts, expected, "user {u} on 1 replica");
    }
    assert_eq!(one, three, "1 and 3 replicas gave different quota outcomes");
}
