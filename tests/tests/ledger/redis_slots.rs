//! Redis Cluster readiness: every script call keeps its KEYS in one slot.
//! Checked twice: on the keys the ledger says each script takes
//! (`RedisLedger::script_keys`), and on the EVALSHA calls Redis actually
//! receives (MONITOR on a private server) during a session that runs every
//! operation. Slots are computed here with our own CRC16.

use crate::codes::spec as codes_spec;
use easel_gateway::ledger::code::CodeText;
use easel_gateway::ledger::{Clock, Settlement};
use easel_shared::UserKey;
use easel_shared::admin::Actor;
use easel_tests::ledger::config::{HOUR, PRO, one_window};
use easel_tests::ledger::{
    Harness, T0, connect_redis, redis_url, req, rid, shared, unique_prefix, user,
};
use easel_tests::redis_server::PrivateRedis;
use easel_tests::slot::key_slot;
use futures::StreamExt;

#[tokio::test]
async fn every_script_touches_one_cluster_slot() {
    let url = redis_url();
    let prefix = unique_prefix("slots");
    let ledger = connect_redis(
        &url,
        &prefix,
        shared(one_window(5, 3 * HOUR)),
        Clock::manual(T0),
    )
    .await
    .expect("connect");
    for u in [user(42), UserKey::discord(80_351_110_224_678_912)] {
        let code_hash = CodeText::generate().hash();
        let calls = ledger.script_keys(u, &rid("tg:1:2"), &code_hash);
        let names: Vec<&str> = calls.iter().map(|(name, _)| *name).collect();
        for needed in [
            "reserve", "settle", "renew", "reap", "status", "claim", "grant",
        ] {
            assert!(names.contains(&needed), "{needed} not listed: {names:?}");
        }
        let user_slot = key_slot(&format!("{{u:{}:{}}}", u.platform.tag(), u.id));
        let mut saw_user_script = false;
        for (script, keys) in &calls {
            assert!(!keys.is_empty(), "{script}: no KEYS");
            let slots: Vec<u16> = keys.iter().map(|k| key_slot(k)).collect();
            assert!(
                slots.iter().all(|&s| s == slots[0]),
                "{script}: KEYS span slots: {:?}",
                keys.iter().zip(&slots).collect::<Vec<_>>()
            );
            for k in keys {
                assert!(k.starts_with(&prefix), "{script}: {k} lacks the prefix");
            }
            if keys.iter().any(|k| k.contains("{u:")) {
                assert_eq!(slots[0], user_slot, "{script}: not in the user's slot");
                saw_user_script = true;
            }
        }
        assert!(
            saw_user_script,
            "no script runs in the user's slot: {calls:?}"
        );
    }
}
/// Splits a MONITOR line into its quoted arguments (handles `\"` and `\\`).
fn monitor_args(line: &str) -> Vec<String> {
    let Some((_, rest)) = line.split_once("] ") else {
        return Vec::new();
    };
    let mut args = Vec::new();
    let mut chars = rest.chars();
    while let Some(c) = chars.next() {
        if c != '"' {
            continue;
        }
        let mut arg = String::new();
        while let Some(c) = chars.next() {
            match c {
                '\\' => {
                    if let Some(next) = chars.next() {
                        arg.push('\\');
                        arg.push(next);
                    }
                }
                '"' => break,
                c => arg.push(c),
            }
        }
        args.push(arg);
    }
    args
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_observed_script_call_stays_in_one_slot() {
    let server = PrivateRedis::start();
    let client = redis::Client::open(server.url()).expect("client");
    let monitor = client.get_async_monitor().await.expect("MONITOR");
    let mut seen = monitor.into_on_message::<String>();

    let mut c = one_window(5, 3 * HOUR);
    c.spend.daily_cap_micros = 2500;
    let h = Harness::open_redis(&server.url(), "observed-slots", c).await;
    let prefix = h.prefix().expect("redis").to_owned();
    let (a, b) = (user(1), UserKey::discord(7));
    // Every operation, including the cross-slot paths (budget denial, reap, redeem).
    let mut spec = codes_spec(3, 2);
    spec.plan = Some(PRO.to_owned());
    spec.plan_days = 2;
    let code = h
        .ledger
        .mint_codes(&spec, 1, Actor::Api)
        .await
        .expect("mint")[0]
        .clone();
    h.ledger.redeem(a, &code.code).await.expect("redeem");
    h.ledger
        .adjust_credits(b, 4, "x", Actor::Api)
        .await
        .expect("grant");
    h.ledger
        .adjust_credits(b, -1, "x", Actor::Api)
        .await
        .expect("deduct");
    h.ledger
        .set_plan(b, Some(PRO), 1, "x", Actor::Api)
        .await
        .expect("plan");
    h.admit(&req(a, "r1", 2)).await;
    h.admit(&req(b, "r2", 1)).await;
    assert!(h.ledger.renew(a, &rid("r1")).await.expect("renew"));
    h.deliver(a, "r1", 1, 700).await;
    h.settle(b, "r2", Settlement::Failed).await;
    let held = h.admit(&req(b, "r3", 1)).await;
    let mut big = req(a, "r4", 1);
    big.est_cost_micros = 2000;
    h.deny(&big).await;
    h.advance_to(held.lease_until);
    assert_eq!(h.ledger.reap().await.expect("reap").refunded, 1);
    h.ledger
        .set_banned(a, true, "x", Actor::Api)
        .await
        .expect("ban");
    h.status(a).await;
    h.ledger.usage(a, 10).await.expect("usage");
    h.ledger.top(7, 10).await.expect("top");
    h.ledger.audit(10).await.expect("audit");
    h.ledger.spend_today().await.expect("spend");
    h.ledger.list_codes().await.expect("list");
    h.ledger
        .revoke_code(&code.id, Actor::Api)
        .await
        .expect("revoke");

    // MONITOR streams in execution order: read up to our own marker.
    let marker = format!("end-of-{prefix}");
    let mut con = client
        .get_multiplexed_async_connection()
        .await
        .expect("connect");
    let _: String = redis::cmd("ECHO")
        .arg(&marker)
        .query_async(&mut con)
        .await
        .expect("ECHO");
    let mut scripts = 0;
    while let Some(line) = seen.next().await {
        let args = monitor_args(&line);
        let Some(command) = args.first() else {
            continue;
        };
        let command = command.to_ascii_uppercase();
        if command == "ECHO" && args.get(1) == Some(&marker) {
            break;
        }
        if !matches!(
            command.as_str(),
            "EVALSHA" | "EVAL" | "EVALSHA_RO" | "EVAL_RO"
        ) {
            continue;
        }
        let numkeys: usize = args[2].parse().expect("numkeys");
        let keys = &args[3..3 + numkeys];
        assert!(numkeys > 0, "a script without KEYS: {line}");
        let slot = key_slot(&keys[0]);
        for k in keys {
            assert!(k.starts_with(&prefix), "{k} lacks the prefix: {line}");
            assert_eq!(key_slot(k), slot, "KEYS span slots: {line}");
        }
        scripts += 1;
    }
    assert!(scripts >= 20, "only {scripts} script calls seen");
}
