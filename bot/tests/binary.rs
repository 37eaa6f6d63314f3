//! The built `easel` binary run as a process: its terminal commands parse
//! their flags, read the environment and map outcomes to exit codes (0, 1,
//! 64) as documented. Nothing here needs a network: the endpoints named
//! are closed loopback ports, refused at once.

use std::path::PathBuf;
use std::process::{Command, Output};

/// A scratch directory for this test, removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("easel-bin-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }

    fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.0.join(name);
        std::fs::write(&path, text).unwrap();
        path
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `easel <args>` in `dir` with only the given variables set.
fn easel(dir: &Scratch, args: &[&str], vars: &[(&str, &str)]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_easel"))
        .args(args)
        .current_dir(&dir.0)
        .env_clear()
        .envs(vars.iter().copied())
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

const TOKEN: &str = "123456:bin-SECRET-token";

#[test]
fn doctor_exits_1_on_a_failed_check_and_prints_no_token() {
    let dir = Scratch::new("doctor");
    let config = dir.write(
        "easel.toml",
        "[telegram]\napi_url = \"http://127.0.0.1:1\"\n\
         [[backends.chain]]\nname = \"openai\"\nmodel = \"gpt-image-2\"\n\
         api_key_env = \"EASEL_BIN_TEST_KEY\"\n",
    );
    let out = easel(
        &dir,
        &["doctor", "--config", config.to_str().unwrap()],
        &[("EASEL_TELEGRAM_TOKEN", TOKEN)],
    );
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout
            .contains("FAIL  backends.chain[0]: `openai`: environment variable EASEL_BIN_TEST_KEY"),
        "{stdout}"
    );
    assert!(
        stdout.contains("FAIL  telegram.token: cannot reach"),
        "{stdout}"
    );
    let all = stdout + &text(&out.stderr);
    assert!(!all.contains("SECRET"), "{all}");
}

#[test]
fn doctor_exits_64_when_the_config_does_not_parse() {
    let dir = Scratch::new("doctor64");
    let config = dir.write("easel.toml", "[ledger\n");
    let out = easel(&dir, &["doctor", "-c", config.to_str().unwrap()], &[]);
    assert_eq!(out.status.code(), Some(64), "{}", text(&out.stdout));
    assert!(text(&out.stdout).contains("not valid TOML"));
}

#[test]
fn try_refuses_a_bad_flag_and_a_missing_backend_with_distinct_codes() {
    let dir = Scratch::new("try");
    // No backend at all: a configuration problem, like the server's.
    let out = easel(&dir, &["try", "a", "fox"], &[]);
    assert_eq!(out.status.code(), Some(64), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("configure at least one backend"));

    // A flag the chat would refuse: the chat's text, exit 1, nothing opened.
    let out = easel(&dir, &["try", "a", "fox", "--q", "ultra"], &[]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("ultra"), "{}", text(&out.stderr));
    assert!(!dir.0.join("easel-ledger.redb").exists());
}

#[tokio::test]
async fn try_saves_the_fakes_image_byte_for_byte_with_chat_flags() {
    use easel_tests::fake_openai::FakeOpenAi;

    let openai = FakeOpenAi::start_with_key("sk-bin-SECRET").await;
    let dir = Scratch::new("try-ok");
    let config = dir.write(
        "easel.toml",
        &format!(
            "[[backends.chain]]\nname = \"openai\"\nbase_url = {:?}\nmodel = \"gpt-image-2\"\n\
             api_key_env = \"EASEL_BIN_TEST_KEY\"\n",
            openai.base_url()
        ),
    );
    let out_path = dir.0.join("fox.png");
    let args = [
        "try",
        "--config",
        config.to_str().unwrap(),
        "a",
        "red",
        "fox",
        "--q",
        "low",
        "--ar",
        "3:2",
        "-o",
        out_path.to_str().unwrap(),
    ]
    .map(str::to_owned);
    let cwd = dir.0.clone();
    // The fake serves on this runtime; the process is waited for beside it.
    let out = tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_easel"))
            .args(args)
            .current_dir(cwd)
            .env_clear()
            .env("EASEL_BIN_TEST_KEY", "sk-bin-SECRET")
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert_eq!(
        std::fs::read(&out_path).unwrap(),
        FakeOpenAi::final_image(0)
    );
    assert!(stdout.contains("Quota left: 9/10"), "{stdout}");
    let sent = &openai.requests()[0];
    assert_eq!(sent.field("prompt").as_deref(), Some("a red fox"));
    assert_eq!(sent.field("quality").as_deref(), Some("low"));
    assert_eq!(sent.field("size").as_deref(), Some("1536x1024"));
    assert!(!(stdout + &stderr).contains("SECRET"));
}
