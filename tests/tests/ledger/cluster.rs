//! The Redis ledger on a real 3-master Redis Cluster, beyond the conformance
//! suite (which runs whole on it): state really spreads over the masters,
//! cross-slot reads and writes (codes, their index) work, the start-up
//! check reads every master, and the cluster refuses cross-slot MULTI.

use crate::codes::spec as codes_spec;
use easel_gateway::ledger::{Clock, Ledger};
use easel_shared::admin::Actor;
use easel_tests::ledger::config::{HOUR, one_window};
use easel_tests::ledger::requests::admit;
use easel_tests::ledger::{T0, connect_redis, req, shared, unique_prefix, user};
use easel_tests::redis_cluster;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ledger_state_spreads_over_every_master_and_cross_slot_calls_work() {
    let cluster = redis_cluster::shared();
    let prefix = unique_prefix("spread");
    let ledger = connect_redis(
        &cluster.url(),
        &prefix,
        shared(one_window(5, 3 * HOUR)),
        Clock::manual(T0),
    )
    .await
    .expect("connect to the cluster");
    for n in 1..=30 {
        admit(&ledger, &req(user(n), "tg:1:1", 1)).await;
    }
    // Codes: one slot per code plus the id index in another, minted and
    // listed in one call each.
    let minted = ledger
        .mint_codes(&codes_spec(3, 1), 12, Actor::System)
        .await
        .expect("mint on a cluster");
    let listed = ledger.list_codes().await.expect("list on a cluster");
    assert_eq!(listed.len(), 12);
    for m in &minted {
        assert!(listed.iter().any(|c| c.id == m.id), "{} not listed", m.id);
    }

    // Every master holds some of this test's keys: a real cluster, not one node.
    for node in cluster.node_urls() {
        let client = redis::Client::open(node.as_str()).expect("node URL");
        let mut con = client
            .get_multiplexed_async_connection()
            .await
            .expect("connect to a master");
        let keys: Vec<String> = redis::cmd("KEYS")
            .arg(format!("{prefix}*"))
            .query_async(&mut con)
            .await
            .expect("KEYS on one master");
        assert!(!keys.is_empty(), "no keys of this test on {node}");
    }
}

#[tokio::test]
async fn start_up_check_reads_every_master() {
    let cluster = redis_cluster::shared();
    let ledger = connect_redis(
        &cluster.url(),
        &unique_prefix("check"),
        shared(one_window(5, 3 * HOUR)),
        Clock::manual(T0),
    )
    .await
    .expect("connect to the cluster");
    // The test cluster runs without persistence: each master says so, by address.
    let warnings = ledger.check_server().await;
    let persistence: Vec<&String> = warnings
        .iter()
        .filter(|w| w.contains("persistence is off"))
        .collect();
    assert_eq!(persistence.len(), 3, "{warnings:?}");
    assert!(
        cluster.unnamed_nodes(&persistence).is_empty(),
        "{warnings:?}"
    );
}

#[tokio::test]
async fn the_test_cluster_refuses_a_cross_slot_multi() {
    // Guards the harness: through the real cluster client (which checks the
    // slots itself, and the server after it), a MULTI over two slots fails
    // here as it would in production, so the suites above prove legality.
    let cluster = redis_cluster::shared();
    let client = redis::cluster::ClusterClient::new(cluster.node_urls()).expect("cluster client");
    let mut con = client
        .get_async_connection()
        .await
        .expect("connect to the cluster");
    let prefix = unique_prefix("crossslot");
    let err = redis::pipe()
        .atomic()
        .set(format!("{prefix}{{a}}"), 1)
        .set(format!("{prefix}{{b}}"), 2)
        .query_async::<()>(&mut con)
        .await
        .expect_err("a MULTI over two slots");
    assert_eq!(err.code(), Some("CROSSSLOT"), "{err}");
}
