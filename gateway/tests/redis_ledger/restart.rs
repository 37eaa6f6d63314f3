//! A private redis-server (unix socket in a temp dir) that the test stops and
//! restarts: the ledger fails closed while it is down and works again after.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;

use easel_gateway::ledger::redis::RedisLedger;
use easel_gateway::ledger::{Ledger, LedgerError};
use easel_shared::UserKey;

use super::fixture::*;

struct Server {
    child: Child,
    socket: PathBuf,
}

impl Server {
    /// Starts redis-server and waits until it answers PING.
    async fn start(dir: &Path) -> Self {
        let socket = dir.join("redis.sock");
        let child = Command::new("redis-server")
            .args(["--port", "0", "--save", "", "--appendonly", "no"])
            .arg("--unixsocket")
            .arg(&socket)
            .arg("--dir")
            .arg(dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server on PATH");
        let server = Self { child, socket };
        let client = redis::Client::open(server.url()).unwrap();
        for _ in 0..500 {
            if let Ok(mut con) = client.get_multiplexed_async_connection().await {
                let pong: Result<String, _> = redis::cmd("PING").query_async(&mut con).await;
                if pong.is_ok() {
                    return server;
                }
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        panic!("private redis-server did not come up");
    }

    fn url(&self) -> String {
        format!("redis+unix://{}", self.socket.display())
    }

    fn stop(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test]
async fn fails_closed_while_redis_is_down_and_recovers_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let f = Fixture::new("restart", config());
    let server = Server::start(dir.path()).await;
    let url = server.url();
    let l = RedisLedger::connect(&url, &f.prefix, Arc::clone(&f.config), f.clock.clone())
        .await
        .unwrap();
    let u = UserKey::telegram(70);
    admit(&l, &req(u, "a", 1)).await;

    server.stop();
    let err = l.reserve(&req(u, "b", 1)).await.expect_err("Redis is down");
    assert!(matches!(err, LedgerError::Unavailable(_)), "{err}");
    assert!(matches!(
        l.status(u).await,
        Err(LedgerError::Unavailable(_))
    ));

    // A fresh server: empty data and an empty script cache.
    let server = Server::start(dir.path()).await;
    let admitted = l
        .reserve(&req(u, "b", 1))
        .await
        .expect("the first call after a restart");
    assert!(matches!(
        admitted,
        easel_gateway::ledger::Admission::Admitted(_)
    ));
    assert_eq!(l.status(u).await.unwrap().windows[0].used, 1);
    server.stop();
}
