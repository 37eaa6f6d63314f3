//! The `easel` binary at start-up: a bad config value, or a backend without
//! its API key, stops it with exit code 64 and says which key, before any
//! store is opened or a platform is contacted.

use std::path::PathBuf;
use std::process::{Command, Output};

/// A directory of this test's own (no dev-dependency needed for one dir).
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("easel-process-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs `easel` in `dir` with an empty environment and the config `toml`.
fn start(dir: &PathBuf, toml: &str) -> Output {
    let path = dir.join("easel.toml");
    std::fs::write(&path, toml).unwrap();
    Command::new(env!("CARGO_BIN_EXE_easel"))
        .env_clear()
        .current_dir(dir)
        .arg("--config")
        .arg(&path)
        .output()
        .unwrap()
}

#[test]
fn a_bad_value_exits_64_and_names_the_key() {
    let dir = scratch("bad-value");
    let out = start(&dir, "[spend]\ndaily_cap_micros = \"lots\"\n");
    assert_eq!(out.status.code(), Some(64));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("spend.daily_cap_micros"), "{stderr}");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_backend_without_its_key_exits_64_before_opening_stores() {
    let dir = scratch("no-key");
    let toml = "[[backends.chain]]\nname = \"openai\"\nkind = \"openai\"\n\
                model = \"gpt-image-2\"\napi_key_env = \"OPENAI_API_KEY\"\n";
    let out = start(&dir, toml);
    assert_eq!(out.status.code(), Some(64));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("OPENAI_API_KEY is not set"), "{stderr}");
    assert!(
        !dir.join("easel-ledger.redb").exists(),
        "no store was created"
    );
    let _ = std::fs::remove_dir_all(dir);
}
