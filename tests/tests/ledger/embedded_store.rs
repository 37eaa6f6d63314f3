//! The embedded store only: a writer killed with SIGKILL under load loses no
//! acknowledged operation and leaves no half-applied one; state survives a
//! clean reopen too.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use easel_gateway::ledger::{Admission, Clock, Ledger};
use easel_tests::ledger::config::{HOUR, one_window};
use easel_tests::ledger::{T0, open_embedded, req, shared, user};

/// Concurrent tasks in the child: at most this many operations are in flight
/// (issued, not acknowledged) when it dies.
const TASKS: usize = 32;
/// Acknowledged lines read before the kill.
const KILL_AFTER: usize = 600;
const USERS: u64 = 16;

/// Kills the child if the test fails before it does.
struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[derive(Default, Debug)]
struct Acked {
    reserved: BTreeSet<String>,
    settled: BTreeSet<String>,
    /// Highest acknowledged balance per user (grants are +1 each).
    balance: u64,
    grants: u64,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_under_load_keeps_every_acknowledged_operation() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("ledger.redb");
    let mut child = KillOnDrop(
        Command::new(env!("CARGO_BIN_EXE_ledger-crash-child"))
            .arg(&path)
            .arg(TASKS.to_string())
            .stdout(Stdio::piped())
            .spawn()
            .expect("spawn the child"),
    );
    let mut lines = BufReader::new(child.0.stdout.take().expect("stdout")).lines();
    let mut seen = Vec::new();
    for line in lines.by_ref() {
        let line = line.expect("read");
        seen.push(line);
        if seen.len() == KILL_AFTER {
            break;
        }
    }
    assert_eq!(seen.first().map(String::as_str), Some("READY"));
    assert_eq!(seen.len(), KILL_AFTER, "the child died early: {seen:?}");
    child.0.kill().expect("SIGKILL");
    // Lines the child wrote before it died are acknowledgements too.
    seen.extend(lines.map_while(Result::ok));
    child.0.wait().expect("reap the child");

    let mut acked: BTreeMap<u64, Acked> = BTreeMap::new();
    for line in &seen[1..] {
        let parts: Vec<&str> = line.split(' ').collect();
        let u: u64 = parts[1].parse().expect("user");
        let a = acked.entry(u).or_default();
        match parts[0] {
            "R" => {
                assert_eq!(parts[3], "2", "{line}");
                a.reserved.insert(parts[2].to_owned());
            }
            "S" => {
                a.settled.insert(parts[2].to_owned());
            }
            "C" => {
                a.balance = a.balance.max(parts[2].parse().expect("balance"));
                a.grants += 1;
            }
            other => panic!("unknown line {other}: {line}"),
        }
    }

    let config = shared(one_window(1_000_000, 24 * HOUR));
    let ledger = open_embedded(&path, config, Clock::manual(T0))
        .await
        .expect("reopen after SIGKILL");
    let mut existing = 0usize;
    let mut acked_reserves = 0usize;
    for n in 0..USERS {
        let u = user(n);
        let a = acked.remove(&n).unwrap_or_default();
        let st = ledger.status(u).await.expect("status");
        let usage = ledger.usage(u, 10_000).await.expect("usage");
        let used = st.windows[0].used as usize;
        // Atomicity: each reservation is pending (2) or settled (1), never half.
        assert_eq!(
            used,
            2 * st.in_flight as usize + usage.len(),
            "user {n}: window charges do not match whole reservations"
        );
        let logged: BTreeSet<&str> = usage.iter().map(|e| e.id.as_str()).collect();
        for id in &a.settled {
            assert!(
                logged.contains(id.as_str()),
                "user {n}: acknowledged settle of {id} lost"
            );
        }
        for id in &a.reserved {
            match ledger.reserve(&req(u, id, 2)).await.expect("replay") {
                Admission::Admitted(r) => {
                    assert!(r.replayed, "user {n}: acknowledged reserve {id} lost");
                    assert_eq!(r.from_windows, 2);
                }
                other => panic!("user {n}: acknowledged reserve {id} lost: {other:?}"),
            }
        }
        assert_eq!(
            ledger.status(u).await.expect("status").windows[0].used as usize,
            used,
            "replays charged"
        );
        // Unacknowledged settles: at most one per task in flight.
        let stray = logged.iter().filter(|id| !a.settled.contains(**id)).count();
        assert!(stray <= TASKS, "user {n}: {stray} unacknowledged settles");
        assert!(
            st.credits >= a.balance && st.credits <= a.grants + TASKS as u64,
            "user {n}: credits {} vs acknowledged balance {} ({} grants)",
            st.credits,
            a.balance,
            a.grants
        );
        existing += st.in_flight as usize + usage.len();
        acked_reserves += a.reserved.len();
    }
    assert!(acked_reserves > 0);
    assert!(
        existing >= acked_reserves && existing <= acked_reserves + TASKS,
        "{existing} reservations exist, {acked_reserves} acknowledged, {TASKS} in flight"
    );
}

#[tokio::test]
async fn state_survives_a_clean_reopen() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("ledger.redb");
    let config = shared(one_window(5, 3 * HOUR));
    let clock = Clock::manual(T0);
    {
        let ledger = open_embedded(&path, config.clone(), clock.clone())
            .await
            .expect("open");
        ledger
            .adjust_credits(user(1), 7, "gift", easel_shared::admin::Actor::Api)
            .await
            .expect("grant");
        match ledger
            .reserve(&req(user(1), "a", 3))
            .await
            .expect("reserve")
        {
            Admission::Admitted(_) => {}
            other => panic!("{other:?}"),
        }
    }
    let ledger = open_embedded(&path, config, clock).await.expect("reopen");
    let st = ledger.status(user(1)).await.expect("status");
    assert_eq!((st.credits, st.windows[0].used, st.in_flight), (7, 3, 1));
}
