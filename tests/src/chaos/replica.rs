//! One `easel-gateway` process of a chaos run: the real binary, started
//! with its own port and working directory (its settle outbox and log live
//! there), killed like a crash (SIGKILL), stopped like a deploy (SIGTERM)
//! and started again on the same port.

use std::fs::OpenOptions;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;

/// The `easel-gateway` binary the replicas run: `EASEL_GATEWAY_BIN` if set,
/// else the one beside this test in `<target>/<profile>/` (it belongs to
/// another package, so Cargo gives this crate no `CARGO_BIN_EXE_` for it).
/// `cargo test --workspace` builds it; a run of this crate alone needs
/// `cargo build -p easel-bot --bin easel-gateway` first (building it from
/// inside the test would wait on the lock of the `cargo test` that runs it).
pub fn gateway_binary() -> PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(find_gateway).clone()
}

fn find_gateway() -> PathBuf {
    if let Some(bin) = std::env::var_os("EASEL_GATEWAY_BIN") {
        return PathBuf::from(bin);
    }
    // The test executable is <target>/<profile>/deps/<name>-<hash>.
    let exe = std::env::current_exe().expect("the test executable's path");
    let bin = exe
        .parent()
        .and_then(Path::parent)
        .expect("the test runs from <target>/<profile>/deps")
        .join("easel-gateway");
    assert!(
        bin.exists(),
        "{} is missing: run `cargo build -p easel-bot --bin easel-gateway` \
         (same profile and target dir) before this test, or set EASEL_GATEWAY_BIN",
        bin.display()
    );
    bin
}

/// A free loopback port (bound, then released for the replica to take).
pub fn free_port() -> u16 {
    let socket = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    socket.local_addr().expect("local addr").port()
}

/// One replica process; killed on drop.
pub struct Replica {
    /// Its place in the cluster (0-based).
    pub index: usize,
    /// The port it listens on, kept across restarts.
    pub port: u16,
    /// Its working directory: the outbox file and `replica.log`.
    dir: PathBuf,
    /// The config file all replicas share.
    config: PathBuf,
    /// Variables on top of an empty environment (secrets, Redis, port).
    env: Vec<(String, String)>,
    child: Option<Child>,
}

impl Replica {
    /// Starts replica `index` in `dir` with `config` and `env`.
    pub fn start(
        index: usize,
        dir: PathBuf,
        config: PathBuf,
        mut env: Vec<(String, String)>,
    ) -> Self {
        std::fs::create_dir_all(&dir).expect("replica dir");
        let port = free_port();
        env.push(("EASEL_LISTEN".into(), format!("127.0.0.1:{port}")));
        let mut me = Self {
            index,
            port,
            dir,
            config,
            env,
            child: None,
        };
        me.spawn();
        me
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Whether the process is running (as far as this handle knows).
    pub fn is_up(&self) -> bool {
        self.child.is_some()
    }

    fn spawn(&mut self) {
        let log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.join("replica.log"))
            .expect("replica log");
        let child = Command::new(gateway_binary())
            .arg("--config")
            .arg(&self.config)
            .current_dir(&self.dir)
            .env_clear()
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log handle"))
            .stderr(log)
            .spawn()
            .expect("start easel-gateway");
        self.child = Some(child);
    }

    /// SIGKILL, like a crash or an OOM kill: nothing is drained.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// SIGTERM, like a deploy, and waits for the process to exit (after
    /// its drain); returns its exit code.
    pub fn terminate(&mut self) -> Option<i32> {
        let mut child = self.child.take()?;
        let status = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -TERM replica {}", self.index);
        child.wait().ok().and_then(|s| s.code())
    }

    /// Starts the process again on the same port and directory.
    pub fn restart(&mut self) {
        self.kill();
        self.spawn();
    }

    /// The end of its log, for failure messages.
    pub fn log_tail(&self, lines: usize) -> String {
        let text = std::fs::read_to_string(self.dir.join("replica.log")).unwrap_or_default();
        let all: Vec<&str> = text.lines().collect();
        all[all.len().saturating_sub(lines)..].join("\n")
    }

    /// Its whole log.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("replica.log")).unwrap_or_default()
    }
}

impl Drop for Replica {
    fn drop(&mut self) {
        self.kill();
    }
}
