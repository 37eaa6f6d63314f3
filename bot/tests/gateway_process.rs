//! The `easel-gateway` binary at start-up: a bad value in the config file
//! or the environment stops it with exit code 64, naming the key, before it
//! opens anything.

use std::process::{Command, Output};

/// Runs the binary with only `env` set and the config file `toml` (if any).
fn start(toml: Option<&str>, env: &[(&str, &str)]) -> Output {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_easel-gateway"));
    cmd.env_clear().envs(env.iter().copied());
    if let Some(toml) = toml {
        let path = dir.path().join("easel.toml");
        std::fs::write(&path, toml).unwrap();
        cmd.arg("--config").arg(path);
    }
    cmd.output().unwrap()
}

#[test]
fn a_bad_value_in_the_file_exits_64_and_names_the_key() {
    let out = start(
        Some("[plans.free]\nwindows = [{ limit = 3, period = \"soon\" }]\n"),
        &[],
    );
    assert_eq!(out.status.code(), Some(64));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("plans.free.windows[0].period"), "{stderr}");
}

#[test]
fn a_bad_value_in_the_environment_exits_64_and_names_the_key() {
    let out = start(None, &[("EASEL__LEDGER__LEASE", "1s")]);
    assert_eq!(out.status.code(), Some(64));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("ledger.lease"), "{stderr}");
}
