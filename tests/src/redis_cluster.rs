//! A local 3-master Redis Cluster for tests: the ledger conformance suite and
//! the result-store suite run on it as they run on a single node.
//!
//! Three `redis-server --cluster-enabled yes` on free loopback ports, joined
//! by `redis-cli --cluster create`, ready once every node reports
//! `cluster_state:ok`. One cluster per test binary ([`shared`]); tests keep
//! apart through unique key prefixes, as on the shared Redis.
//!
//! Each server runs under a tiny `sh` watchdog holding a pipe from this
//! process: when the test binary exits (statics are never dropped) or a
//! [`RedisCluster`] is dropped, the pipe closes and the watchdog kills its
//! server and removes its directory. Depends only on std and redis, so the
//! gateway's own tests can include it by path.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

/// How often readiness is polled (a poll interval, never asserted on).
const POLL: Duration = Duration::from_millis(20);
/// Polls before giving up on a server or the cluster (about 30 s).
const MAX_POLLS: u32 = 1500;
/// Start attempts: a free port may be taken between choosing and binding.
const ATTEMPTS: u32 = 5;

/// The watchdog: starts redis-server with the given arguments; when its own
/// stdin closes, kills the server; once the server is gone (killed, or it
/// could not bind), removes the node's directory and exits.
const WATCHDOG: &str = r#"dir="$1"; shift
redis-server "$@" </dev/null >/dev/null 2>&1 &
pid=$!
exec 3<&0
( read -r _ignored <&3; kill -9 "$pid" 2>/dev/null ) &
wait "$pid"
rm -rf "$dir""#;

/// The cluster every test of this binary shares, started on first use.
pub fn shared() -> &'static RedisCluster {
    static CLUSTER: OnceLock<RedisCluster> = OnceLock::new();
    CLUSTER.get_or_init(RedisCluster::start)
}

/// A running 3-master cluster; its servers stop when it is dropped or the
/// process exits.
pub struct RedisCluster {
    ports: Vec<u16>,
    nodes: Mutex<Vec<Node>>,
}

/// One server under its watchdog.
struct Node {
    watchdog: Child,
    /// Closing it tells the watchdog to stop the server.
    lifeline: Option<ChildStdin>,
}

impl RedisCluster {
    /// Starts three masters and joins them; panics (failing the test) if
    /// Redis cannot be started.
    pub fn start() -> Self {
        let mut last = String::new();
        for _ in 0..ATTEMPTS {
            match Self::try_start() {
                Ok(cluster) => return cluster,
                Err(e) => last = e,
            }
        }
        panic!("could not start a local Redis Cluster: {last}");
    }

    /// The URL the ledger and the result store take: `redis+cluster://` with
    /// every node as a seed.
    pub fn url(&self) -> String {
        let seeds: Vec<String> = self
            .ports
            .iter()
            .map(|p| format!("127.0.0.1:{p}"))
            .collect();
        format!("redis+cluster://{}", seeds.join(","))
    }

    /// Plain `redis://` URLs of the masters (to inspect one node directly).
    pub fn node_urls(&self) -> Vec<String> {
        self.ports
            .iter()
            .map(|p| format!("redis://127.0.0.1:{p}"))
            .collect()
    }

    /// The masters' `host:port` that none of `texts` mentions (per-node
    /// messages, such as start-up warnings, must name every master).
    pub fn unnamed_nodes<S: AsRef<str>>(&self, texts: &[S]) -> Vec<String> {
        self.ports
            .iter()
            .map(|p| format!("127.0.0.1:{p}"))
            .filter(|addr| !texts.iter().any(|t| t.as_ref().contains(addr.as_str())))
            .collect()
    }

    fn try_start() -> Result<Self, String> {
        let mut ports = Vec::new();
        let mut nodes = Vec::new();
        for _ in 0..3 {
            let (port, bus) = (free_port()?, free_port()?);
            nodes.push(spawn(port, bus)?);
            ports.push(port);
        }
        // From here on, a failure drops `cluster`, which stops the servers.
        let cluster = Self {
            ports,
            nodes: Mutex::new(nodes),
        };
        for port in &cluster.ports {
            cluster.wait_for(*port, "PING", |reply| reply == "PONG")?;
        }
        let mut create = Command::new("redis-cli");
        create.arg("--cluster").arg("create");
        for port in &cluster.ports {
            create.arg(format!("127.0.0.1:{port}"));
        }
        let out = create
            .args(["--cluster-replicas", "0", "--cluster-yes"])
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("redis-cli: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "redis-cli --cluster create failed: {}",
                String::from_utf8_lossy(&out.stdout)
            ));
        }
        for port in &cluster.ports {
            cluster.wait_for(*port, "CLUSTER INFO", |info| {
                info.contains("cluster_state:ok") && info.contains("cluster_known_nodes:3")
            })?;
        }
        Ok(cluster)
    }

    /// Polls `command` on the node at `port` until `ready` accepts its reply,
    /// or a server died (its watchdog exited: the port was taken).
    fn wait_for(
        &self,
        port: u16,
        command: &str,
        ready: impl Fn(&str) -> bool,
    ) -> Result<(), String> {
        let url = format!("redis://127.0.0.1:{port}");
        for _ in 0..MAX_POLLS {
            if self.any_exited() {
                return Err(format!("a redis-server exited (port {port} taken?)"));
            }
            if let Some(reply) = query(&url, command)
                && ready(&reply)
            {
                return Ok(());
            }
            std::thread::sleep(POLL);
        }
        Err(format!(
            "node {port} never answered `{command}` as expected"
        ))
    }

    fn any_exited(&self) -> bool {
        let mut nodes = self.nodes.lock().unwrap_or_else(|e| e.into_inner());
        nodes
            .iter_mut()
            .any(|n| !matches!(n.watchdog.try_wait(), Ok(None)))
    }
}

impl Drop for RedisCluster {
    fn drop(&mut self) {
        let mut nodes = self.nodes.lock().unwrap_or_else(|e| e.into_inner());
        for node in nodes.iter_mut() {
            node.lifeline.take();
        }
        for node in nodes.iter_mut() {
            let _ = node.watchdog.wait();
        }
    }
}

/// A loopback port nothing listens on right now.
fn free_port() -> Result<u16, String> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| format!("bind: {e}"))?;
    listener
        .local_addr()
        .map(|a| a.port())
        .map_err(|e| format!("local_addr: {e}"))
}

/// Starts one cluster-enabled server on `port` (cluster bus on `bus`).
fn spawn(port: u16, bus: u16) -> Result<Node, String> {
    let dir: PathBuf =
        std::env::temp_dir().join(format!("easel-cluster-{}-{port}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut watchdog = Command::new("sh")
        .arg("-c")
        .arg(WATCHDOG)
        .arg("watchdog")
        .arg(&dir)
        .args(["--bind", "127.0.0.1", "--port"])
        .arg(port.to_string())
        .arg("--cluster-port")
        .arg(bus.to_string())
        .args(["--cluster-enabled", "yes", "--cluster-config-file"])
        .arg(format!("nodes-{port}.conf"))
        .args(["--save", "", "--appendonly", "no", "--daemonize", "no"])
        .arg("--dir")
        .arg(&dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("sh: {e}"))?;
    let lifeline = watchdog.stdin.take();
    Ok(Node { watchdog, lifeline })
}

/// One command's reply as text (`None` while the node cannot answer).
fn query(url: &str, command: &str) -> Option<String> {
    let client = redis::Client::open(url).ok()?;
    let mut con = client
        .get_connection_with_timeout(Duration::from_secs(1))
        .ok()?;
    let mut words = command.split(' ');
    let mut cmd = redis::cmd(words.next()?);
    for w in words {
        cmd.arg(w);
    }
    match cmd.query::<redis::Value>(&mut con).ok()? {
        redis::Value::SimpleString(s) => Some(s),
        other => redis::from_redis_value::<String>(other).ok(),
    }
}
