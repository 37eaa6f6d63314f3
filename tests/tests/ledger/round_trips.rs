//! The Redis ledger only: how many round trips each step of a reservation
//! costs, counted by a private Redis itself (`INFO stats`
//! `total_reads_processed`: one read per request batch a client writes),
//! with the scripts it ran (`INFO commandstats` EVALSHA calls; commands run
//! inside scripts are counted there too) as a cross-check.

use std::collections::BTreeMap;

use easel_gateway::ledger::{SettleOutcome, Settlement};
use easel_shared::admin::TopEntry;
use easel_tests::ledger::config::{HOUR, one_window};
use easel_tests::ledger::{Harness, req, rid, user};
use easel_tests::redis_server::PrivateRedis;
use redis::aio::MultiplexedConnection;

/// The server's counters, read through a connection of the test's own.
struct Counter(MultiplexedConnection);

impl Counter {
    async fn open(server: &PrivateRedis) -> Self {
        let client = redis::Client::open(server.url()).expect("client");
        Self(
            client
                .get_multiplexed_async_connection()
                .await
                .expect("connect"),
        )
    }

    /// Reads processed and calls per command so far. This INFO is one read too.
    async fn read(&mut self) -> (i64, BTreeMap<String, i64>) {
        let stats: String = redis::cmd("INFO")
            .arg("stats")
            .arg("commandstats")
            .query_async(&mut self.0)
            .await
            .expect("INFO");
        let mut reads = -1;
        let mut calls = BTreeMap::new();
        for line in stats.lines() {
            if let Some(n) = line.strip_prefix("total_reads_processed:") {
                reads = n.trim().parse().expect("reads");
            } else if let Some(rest) = line.strip_prefix("cmdstat_") {
                let (name, fields) = rest.split_once(':').expect("cmdstat line");
                let n = fields
                    .split(',')
                    .find_map(|f| f.strip_prefix("calls="))
                    .expect("calls");
                calls.insert(name.to_owned(), n.parse().expect("calls"));
            }
        }
        assert!(reads >= 0, "no total_reads_processed in INFO");
        (reads, calls)
    }

    /// Round trips and commands of `step` (the INFO after it is subtracted).
    async fn during<F: std::future::Future<Output = ()>>(
        &mut self,
        step: F,
    ) -> (i64, BTreeMap<String, i64>) {
        let (r0, c0) = self.read().await;
        step.await;
        let (r1, c1) = self.read().await;
        let mut delta = BTreeMap::new();
        for (name, n) in c1 {
            let d = n - c0.get(&name).copied().unwrap_or(0);
            if d > 0 && name != "info" {
                delta.insert(name, d);
            }
        }
        (r1 - r0 - 1, delta)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_cap_reserve_and_settle_take_one_round_trip_each() {
    let server = PrivateRedis::start();
    let h = Harness::open_redis(&server.url(), "round-trips", one_window(100, 3 * HOUR)).await;
    let mut count = Counter::open(&server).await;
    // Loads the scripts (a first EVALSHA answers NOSCRIPT) and connects.
    h.admit(&req(user(9), "warm-up", 1)).await;
    h.deliver(user(9), "warm-up", 1, 1).await;

    let u = user(1);
    let mut r = req(u, "a", 2);
    r.est_cost_micros = 900;
    let (trips, cmds) = count
        .during(async {
            h.admit(&r).await;
        })
        .await;
    assert_eq!(trips, 1, "reserve: {cmds:?}");
    assert_eq!(cmds.get("evalsha"), Some(&1), "reserve: one script");

    let (trips, cmds) = count
        .during(async {
            assert_eq!(h.deliver(u, "a", 1, 700).await, (1, 1));
        })
        .await;
    assert_eq!(trips, 1, "settle: {cmds:?}");
    // The user script and the spend/top booking (the hint's ZREM rides along).
    assert_eq!(cmds.get("evalsha"), Some(&2), "settle: two scripts");

    // What the one round trip booked is exact.
    let spend = h.ledger.spend_today().await.expect("spend");
    assert_eq!(spend.spent_micros, 701);
    let top = h.ledger.top(1, 10).await.expect("top");
    assert!(
        top.contains(&TopEntry {
            user: u,
            credits: 1
        }),
        "{top:?}"
    );

    // A repeat is answered from the record, and changes no booking.
    let (trips, _) = count
        .during(async {
            assert_eq!(
                h.settle(u, "a", Settlement::Failed).await,
                SettleOutcome::AlreadySettled
            );
        })
        .await;
    assert_eq!(trips, 2, "a repeated settle corrects from the record");
    assert_eq!(
        h.ledger.spend_today().await.expect("spend").spent_micros,
        701
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_settle_from_another_instance_takes_two_round_trips_and_books_the_same() {
    let server = PrivateRedis::start();
    let h = Harness::open_redis(&server.url(), "round-trips-2", one_window(100, 3 * HOUR)).await;
    let other = h.instance().await;
    let mut count = Counter::open(&server).await;
    let u = user(1);
    // Warm up both connections and the scripts.
    h.admit(&req(user(9), "warm-up", 1)).await;
    other
        .settle(user(9), &rid("warm-up"), Settlement::Failed)
        .await
        .expect("settle");
    h.admit(&req(u, "a", 2)).await;
    let (trips, cmds) = count
        .during(async {
            let out = other
                .settle(
                    u,
                    &rid("a"),
                    Settlement::Delivered {
                        images: 2,
                        cost_micros: 40,
                    },
                )
                .await
                .expect("settle");
            assert_eq!(
                out,
                SettleOutcome::Settled {
                    charged: 2,
                    refunded: 0
                }
            );
        })
        .await;
    assert_eq!(trips, 2, "{cmds:?}");
    assert_eq!(cmds.get("evalsha"), Some(&2), "{cmds:?}");
    assert_eq!(
        h.ledger.spend_today().await.expect("spend").spent_micros,
        40
    );
    assert_eq!(
        h.ledger.top(1, 1).await.expect("top"),
        vec![TopEntry {
            user: u,
            credits: 2
        }]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_a_cap_reserve_holds_in_a_second_round_trip_and_settle_takes_one() {
    let server = PrivateRedis::start();
    let mut c = one_window(100, 3 * HOUR);
    c.spend.daily_cap_micros = 10_000;
    let h = Harness::open_redis(&server.url(), "round-trips-cap", c).await;
    let mut count = Counter::open(&server).await;
    h.admit(&req(user(9), "warm-up", 1)).await;
    h.deliver(user(9), "warm-up", 1, 1).await;
    let u = user(1);
    let mut r = req(u, "a", 1);
    r.est_cost_micros = 900;
    let (trips, cmds) = count
        .during(async {
            h.admit(&r).await;
        })
        .await;
    assert_eq!(trips, 2, "reserve + spend hold: {cmds:?}");
    let (trips, cmds) = count
        .during(async {
            h.deliver(u, "a", 1, 300).await;
        })
        .await;
    assert_eq!(trips, 1, "settle: {cmds:?}");
    assert_eq!(
        h.ledger.spend_today().await.expect("spend").spent_micros,
        301
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn settle_then_status_reads_the_settled_quota_in_the_same_round_trip() {
    // The job's last event shows the quota after the settle; on the
    // admitting instance that costs no round trip more than the settle.
    let server = PrivateRedis::start();
    let h = Harness::open_redis(&server.url(), "round-trips-3", one_window(100, 3 * HOUR)).await;
    let mut count = Counter::open(&server).await;
    h.admit(&req(user(9), "warm-up", 1)).await;
    let warm = h
        .ledger
        .settle_then_status(user(9), &rid("warm-up"), Settlement::Failed)
        .await
        .expect("warm-up");
    assert!(warm.1.is_some(), "the status script is loaded now");

    let u = user(1);
    h.admit(&req(u, "a", 3)).await;
    assert!(h.ledger.admitted(u, &rid("a")).await.expect("admitted"));
    assert!(!h.ledger.admitted(u, &rid("b")).await.expect("admitted"));
    let mut done = None;
    let (trips, cmds) = count
        .during(async {
            done = Some(
                h.ledger
                    .settle_then_status(
                        u,
                        &rid("a"),
                        Settlement::Delivered {
                            images: 2,
                            cost_micros: 10,
                        },
                    )
                    .await
                    .expect("settle"),
            );
        })
        .await;
    assert_eq!(trips, 1, "settle and status: {cmds:?}");
    assert_eq!(cmds.get("evalsha"), Some(&3), "user step, booking, status");
    let (outcome, status) = done.expect("ran");
    assert_eq!(
        outcome,
        SettleOutcome::Settled {
            charged: 2,
            refunded: 1
        }
    );
    let status = status.expect("the status came back");
    assert_eq!(status.windows[0].used, 2, "the refunded image is back");
    assert_eq!(status.in_flight, 0, "read after the settle");
    let alone = h.status(u).await;
    assert_eq!(
        (&status.windows, status.credits, status.in_flight),
        (&alone.windows, alone.credits, alone.in_flight),
        "the same as a status read alone"
    );
    assert!(
        h.ledger.admitted(u, &rid("a")).await.expect("admitted"),
        "a finished reservation is still known"
    );
}
