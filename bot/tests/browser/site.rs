//! A running site for browser scenarios: the built `easel` binary with the
//! fake OpenAI and the fake Telegram, on a free loopback port, and the way
//! to run a Playwright scenario against it.

use std::path::{Path, PathBuf};
use std::process::Stdio;

use easel_tests::fake_openai::{API_KEY, FakeOpenAi};
use easel_tests::fake_telegram::{FakeTelegram, poll_until_async};
use tokio::process::{Child, Command};

/// The admin token the scenarios sign in with.
pub(crate) const ADMIN_TOKEN: &str = "browser-admin-token-0123456789";
const TG_TOKEN: &str = "123456:browser-test-token";
const CHROMIUM: &str = "/usr/bin/chromium";

/// One browser at a time: two chromiums and two servers at once on a small
/// CI machine make every step slow enough to hit Playwright's timeouts.
static ONE_BROWSER: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// The binary serving the pages, and the fakes it talks to.
pub(crate) struct Site {
    /// `http://127.0.0.1:<port>`: also `http.public_url`.
    pub(crate) url: String,
    /// The Telegram the bot talks to.
    #[allow(dead_code)] // not every browser test talks to the bot
    pub(crate) telegram: FakeTelegram,
    _openai: FakeOpenAi,
    child: Child,
    dir: tempfile::TempDir,
}

impl Site {
    /// Starts `easel` and waits until its pages answer.
    #[allow(dead_code)] // each test binary uses one of the two starts
    pub(crate) async fn start() -> Site {
        Self::start_with("", "").await
    }

    /// [`Site::start`] with `backend` appended to the `[[backends.chain]]`
    /// entry and `extra` (whole tables) after it.
    pub(crate) async fn start_with(backend: &str, extra: &str) -> Site {
        let openai = FakeOpenAi::start().await;
        let telegram = FakeTelegram::start(TG_TOKEN).await;
        let port = free_port();
        let url = format!("http://127.0.0.1:{port}");
        let dir = tempfile::tempdir().expect("temp dir");
        let config = format!(
            "[http]\nlisten = \"127.0.0.1:{port}\"\npublic_url = \"{url}\"\n\
             [web]\nsignin_per_client = 4\nsignin_window = \"1h\"\n\
             [telegram]\napi_url = \"{tg}\"\n\
             [[backends.chain]]\nname = \"openai\"\nmodel = \"gpt-image-2\"\n\
             base_url = \"{openai}\"\napi_key_env = \"EASEL_BROWSER_OPENAI_KEY\"\n\
             {backend}\n{extra}\n",
            tg = telegram.url().trim_end_matches('/'),
            openai = openai.base_url(),
        );
        let config_path = dir.path().join("easel.toml");
        std::fs::write(&config_path, config).expect("write the config");
        let log = std::fs::File::create(dir.path().join("easel.log")).expect("log file");
        let child = Command::new(env!("CARGO_BIN_EXE_easel"))
            .arg("--config")
            .arg(&config_path)
            .current_dir(dir.path())
            .env_clear()
            .env("EASEL_TELEGRAM_TOKEN", TG_TOKEN)
            .env("EASEL_ADMIN_TOKEN", ADMIN_TOKEN)
            .env("EASEL_BROWSER_OPENAI_KEY", API_KEY)
            .stdout(Stdio::null())
            .stderr(log)
            .kill_on_drop(true)
            .spawn()
            .expect("start easel");
        let site = Site {
            url,
            telegram,
            _openai: openai,
            child,
            dir,
        };
        let signin = format!("{}/signin", site.url);
        let client = reqwest::Client::new();
        poll_until_async("easel to serve /signin", || {
            let request = client.get(&signin).send();
            async move { request.await.ok().filter(|r| r.status().is_success()) }
        })
        .await;
        site
    }

    /// Runs `tests/web/scenarios/<name>` with Node and fails the test with
    /// its output unless it exits 0. The scenario gets `BASE_URL`,
    /// `ADMIN_TOKEN`, `CHROMIUM`, `SCREENSHOTS` and `vars`.
    pub(crate) async fn scenario(&self, name: &str, vars: &[(&str, &str)]) {
        assert!(
            Path::new(CHROMIUM).exists(),
            "{CHROMIUM} is missing: apt-get install chromium (the browser tests drive Debian's chromium)"
        );
        let _turn = ONE_BROWSER.lock().await;
        let modules = node_modules().await;
        let script = repo().join("tests/web/scenarios").join(name);
        let output = Command::new("node")
            .arg(&script)
            .env("NODE_PATH", &modules)
            .env("BASE_URL", &self.url)
            .env("ADMIN_TOKEN", ADMIN_TOKEN)
            .env("CHROMIUM", CHROMIUM)
            .env("SCREENSHOTS", repo().join("docs/screenshots"))
            .env("USER_DATA_ROOT", self.dir.path())
            .envs(vars.iter().copied())
            .output()
            .await
            .expect("run node (is Node.js installed?)");
        let log = std::fs::read_to_string(self.dir.path().join("easel.log")).unwrap_or_default();
        assert!(
            output.status.success(),
            "scenario {name} failed:\n{}\n{}\n--- easel log ---\n{log}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr),
        );
        // The log must never carry the admin token or a link token.
        assert!(
            !log.contains(ADMIN_TOKEN),
            "the admin token reached the log"
        );
        assert!(
            !log.contains("/web/link?t="),
            "a sign-in link reached the log"
        );
    }
}

impl Drop for Site {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
    }
}

/// The repository root (this crate is `bot/`).
fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the bot crate sits in the repository")
        .to_path_buf()
}

/// `tests/web/setup.sh`: `npm ci` of the pinned playwright-core into a cache.
async fn node_modules() -> String {
    let output = Command::new("sh")
        .arg(repo().join("tests/web/setup.sh"))
        .output()
        .await
        .expect("run tests/web/setup.sh");
    assert!(
        output.status.success(),
        "tests/web/setup.sh failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

/// A port nothing listens on right now.
fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("addr").port()
}
