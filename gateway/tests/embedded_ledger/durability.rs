//! The file: state survives a reopen, one process at a time.

use super::*;

#[tokio::test]
async fn state_survives_drop_and_reopen() {
    let env = Env::new(config());
    env.ledger
        .adjust_credits(U, 9, "gift", Actor::Api)
        .await
        .unwrap();
    admitted(env.reserve(U, "a", 4, 1).await);
    admitted(env.reserve(U, "b", 2, 1).await);
    env.settle(U, "b", delivered(1)).await;
    let before = env.ledger.status(U).await.unwrap();
    let Env {
        dir,
        config,
        clock,
        ledger,
    } = env;
    drop(ledger);
    let ledger = open(&dir, &config, &clock);
    assert_eq!(ledger.status(U).await.unwrap(), before);
    assert_eq!(
        ledger.settle(U, &rid("b"), delivered(1)).await.unwrap(),
        SettleOutcome::AlreadySettled
    );
    assert_eq!(
        ledger.settle(U, &rid("a"), delivered(4)).await.unwrap(),
        SettleOutcome::Settled {
            charged: 4,
            refunded: 0
        }
    );
    assert_eq!(ledger.usage(U, 10).await.unwrap().len(), 2);
    assert_eq!(ledger.audit(10).await.unwrap().len(), 1);
}

#[tokio::test]
async fn a_second_open_of_the_same_file_is_unavailable_not_a_panic() {
    let env = Env::new(config());
    let again = EmbeddedLedger::open(
        &env.dir.path().join("ledger.redb"),
        env.config.clone(),
        env.clock.clone(),
    );
    assert!(matches!(again, Err(LedgerError::Unavailable(_))));
}

/// Set by the crash test for its child process: the ledger file to hammer.
const CRASH_CHILD: &str = "EASEL_EMBEDDED_LEDGER_CRASH_CHILD";

/// The crash test's child process: reserves from 16 tasks and prints
/// `ACK <user> <id>` after each `Ok`, until the parent SIGKILLs it. In a
/// normal test run (variable unset) it does nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crash_child_entry() {
    let Ok(path) = std::env::var(CRASH_CHILD) else {
        return;
    };
    let ledger = Arc::new(crash_ledger(std::path::Path::new(&path)));
    let tasks: Vec<_> = (0..16u64)
        .map(|t| {
            let ledger = ledger.clone();
            tokio::spawn(async move {
                for i in 0..100_000 {
                    let user = UserKey::telegram(t);
                    let id = format!("c{t}-{i}");
                    admitted(ledger.reserve(&req(user, &id, 1, 1, 0)).await.unwrap());
                    println!("ACK {t} {id}");
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
}

fn crash_ledger(path: &std::path::Path) -> EmbeddedLedger {
    let mut c = config();
    c.plans.get_mut("free").unwrap().windows = vec![window(10_000_000, 3)];
    let config: SharedConfig = Arc::new(ArcSwap::from_pointee(c));
    EmbeddedLedger::open(path, config, Clock::manual(UnixMillis(START))).unwrap()
}

#[tokio::test]
async fn acknowledged_reserves_survive_sigkill() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("crash.redb");
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "durability::crash_child_entry", "--nocapture"])
        .env(CRASH_CHILD, &path)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut acked = Vec::new();
    let lines = BufReader::new(child.stdout.take().unwrap()).lines();
    for line in lines {
        let line = line.unwrap();
        if let Some(rest) = line.strip_prefix("ACK ") {
            let (user, id) = rest.split_once(' ').unwrap();
            acked.push((UserKey::telegram(user.parse().unwrap()), id.to_owned()));
            if acked.len() == 500 {
                break;
            }
        }
    }
    // SIGKILL mid-stream: batches are in flight, none of them finished cleanly.
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(acked.len(), 500, "the child stopped early");

    let ledger = crash_ledger(&path);
    for (user, id) in &acked {
        let again = admitted(ledger.reserve(&req(*user, id, 1, 1, 0)).await.unwrap());
        assert!(again.replayed, "acknowledged reserve {user} {id} was lost");
    }
    let used: u64 = futures::future::join_all((0..16).map(|t| ledger.status(UserKey::telegram(t))))
        .await
        .into_iter()
        .map(|s| u64::from(s.unwrap().windows[0].used))
        .sum();
    assert!(used >= 500, "window charges lost: {used}");
}
