//! Redis restarted mid-run (a private server with the append-only file, as
//! the README asks for production): jobs admitted before it went down
//! finish (their settles wait in each replica's outbox), requests while it
//! is down get a clear "temporarily unavailable" and cost nothing, requests
//! after it is back work, and the ledger is exact afterwards.

use easel_tests::chaos::client::{Outcome, Record};
use easel_tests::chaos::{Cluster, Spec, poll};
use easel_tests::redis_server::{Persistence, PrivateRedis};

use super::{USERS, audited, request_id, user};

/// Users who try while Redis is down.
const DURING: usize = 30;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn redis_restarted_mid_run_gives_clear_errors_then_recovers_exactly() {
    let mut redis = PrivateRedis::start_with(Persistence::AppendOnly);
    let spec = Spec {
        redis_url: redis.url(),
        // Longer than the outage: a held job's lease must not lapse while
        // Redis is away (renewals cannot land meanwhile).
        lease: "60s",
        ..Spec::shared_redis(3, 4)
    };
    let cluster = Cluster::start("chaos-redis", spec).await;
    let client = cluster.client();
    let replicas = cluster.replicas.len();
    for upstream in &cluster.upstreams {
        upstream.hold();
    }

    // Before: one request per user, admitted, their calls held upstream.
    let mut before = Vec::new();
    let mut jobs = Vec::new();
    for u in 0..USERS {
        let (replica, id) = (u % replicas, request_id("before", u, 0));
        match client.submit(&cluster.url(replica), user(u), &id, 1).await {
            Ok(job) => jobs.push((u, replica, id, job)),
            Err(outcome) => panic!("{}: {outcome:?} with Redis up", id.as_str()),
        }
    }
    let held = poll(|| async { cluster.upstreams.iter().all(|f| !f.requests().is_empty()) }).await;
    assert!(held, "no upstream call started:\n{}", cluster.logs());
    for (u, replica, id, job) in jobs {
        let (client, base) = (client.clone(), cluster.url(replica));
        before.push(tokio::spawn(async move {
            let outcome = client.follow(&base, &job).await;
            Record {
                id,
                user: user(u),
                replica,
                outcome,
            }
        }));
    }

    // Down: every new request is refused, clearly, and admitted nowhere.
    redis.stop();
    let mut records = Vec::new();
    for u in 0..DURING {
        let (replica, id) = (u % replicas, request_id("down", u, 0));
        let outcome = client
            .generate(&cluster.url(replica), user(u), &id, 1)
            .await;
        assert_eq!(
            outcome,
            Outcome::Refused {
                status: 503,
                code: "unavailable".into()
            },
            "{} while Redis is down",
            id.as_str()
        );
        records.push(Record {
            id,
            user: user(u),
            replica,
            outcome,
        });
    }
    // The held calls finish now; their settles cannot land yet.
    for upstream in &cluster.upstreams {
        upstream.release();
    }

    // Back: the admitted jobs end, and new requests work again.
    redis.start_again();
    for task in before {
        let record = task.await.expect("follow task");
        assert!(
            matches!(record.outcome, Outcome::Delivered { images: 1, .. }),
            "{}: {:?} after the restart",
            record.id.as_str(),
            record.outcome
        );
        records.push(record);
    }
    for u in 0..USERS {
        let (replica, id) = (u % replicas, request_id("after", u, 0));
        let outcome = client
            .generate(&cluster.url(replica), user(u), &id, 1)
            .await;
        assert!(
            matches!(outcome, Outcome::Delivered { images: 1, .. }),
            "{}: {outcome:?} after the restart",
            id.as_str()
        );
        records.push(Record {
            id,
            user: user(u),
            replica,
            outcome,
        });
    }
    let (summary, _) = audited(&cluster, &records).await;
    assert_eq!(summary.charged, 2 * USERS as u64);
}
