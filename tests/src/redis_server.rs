//! A private `redis-server` on a unix socket in a temp dir, for tests that
//! kill or restart Redis. The shared Redis is never stopped.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use tempfile::TempDir;

/// A redis-server this test owns; killed on drop.
pub struct PrivateRedis {
    dir: TempDir,
    child: Option<Child>,
    persistence: Persistence,
}

/// Whether the server keeps its data across a restart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Persistence {
    /// Nothing saved: a restart starts empty.
    Off,
    /// `appendonly yes` (the README's production setting, default
    /// `appendfsync everysec`): the append-only file in the temp dir is
    /// replayed on restart.
    AppendOnly,
}

impl PrivateRedis {
    /// Starts a server without persistence and waits until it accepts connections.
    pub fn start() -> Self {
        Self::start_with(Persistence::Off)
    }

    /// Starts a server with the given persistence and waits until it accepts connections.
    pub fn start_with(persistence: Persistence) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut me = Self {
            dir,
            child: None,
            persistence,
        };
        me.spawn();
        me
    }

    /// The socket's path.
    pub fn socket(&self) -> PathBuf {
        self.dir.path().join("r.sock")
    }

    /// The redis-rs URL for the socket.
    pub fn url(&self) -> String {
        format!("redis+unix://{}", self.socket().display())
    }

    /// Kills the server (SIGKILL, like a crash) and reaps it.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Stops the server the way an operator's restart does (SIGTERM: it
    /// writes out its append-only file, then exits) and waits for the exit.
    /// [`PrivateRedis::start_again`] brings it back.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let status = Command::new("kill")
                .arg("-TERM")
                .arg(child.id().to_string())
                .status()
                .expect("run kill");
            assert!(status.success(), "kill -TERM redis-server");
            let _ = child.wait();
        }
    }

    /// Starts a stopped server again on the same socket and directory.
    pub fn start_again(&mut self) {
        assert!(self.child.is_none(), "the server is still running");
        self.spawn();
    }

    /// Freezes the server (SIGSTOP): connections stay open, nothing answers,
    /// and the data is kept, like a Redis stalled by the OS or a network cut.
    pub fn pause(&self) {
        self.signal("-STOP");
    }

    /// Thaws a paused server (SIGCONT); it answers what was sent meanwhile.
    pub fn resume(&self) {
        self.signal("-CONT");
    }

    fn signal(&self, which: &str) {
        let pid = self.child.as_ref().expect("server running").id();
        let status = Command::new("kill")
            .arg(which)
            .arg(pid.to_string())
            .status()
            .expect("run kill");
        assert!(status.success(), "kill {which} {pid}");
    }

    /// Starts the server again on the same socket and directory (empty
    /// without persistence; with it, the append-only file is replayed).
    pub fn restart(&mut self) {
        self.kill();
        self.spawn();
    }

    fn spawn(&mut self) {
        let appendonly = match self.persistence {
            Persistence::Off => "no",
            Persistence::AppendOnly => "yes",
        };
        let mut child = Command::new("redis-server")
            .args(["--port", "0", "--unixsocket"])
            .arg(self.socket())
            .args([
                "--save",
                "",
                "--appendonly",
                appendonly,
                "--daemonize",
                "no",
            ])
            .arg("--dir")
            .arg(self.dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start redis-server (is it installed?)");
        // Readiness is the server's own log line, not a timeout.
        let mut lines = BufReader::new(child.stdout.take().expect("piped stdout")).lines();
        loop {
            match lines.next() {
                Some(Ok(line))
                    if line
                        .to_ascii_lowercase()
                        .contains("ready to accept connections") =>
                {
                    break;
                }
                Some(Ok(_)) => {}
                other => panic!("redis-server exited before it was ready: {other:?}"),
            }
        }
        // Keep draining the log so the server never blocks on a full pipe.
        std::thread::spawn(move || lines.for_each(drop));
        self.child = Some(child);
    }
}

impl Drop for PrivateRedis {
    fn drop(&mut self) {
        self.kill();
    }
}
