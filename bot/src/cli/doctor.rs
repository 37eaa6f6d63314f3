//! `easel doctor`: loads the config exactly as the server does, runs
//! independent checks (config, quota store, backends, chat platforms) and
//! prints a checklist: one line per check, and for anything not ok, what to
//! change, naming the config key or environment variable.
//!
//! Each check returns [`Check`] values and knows nothing of the others, so
//! a new one is a function and one line in [`check`].

mod backends;
mod config;
mod discord;
mod gateway;
mod models;
mod store;
mod telegram;

use std::io::{self, Write};
use std::path::Path;

use easel_gateway::process::EXIT_CONFIG;
use easel_gateway::settings::{self, Env, NAMED_VARS};
use easel_shared::config::Config;

use super::{EXIT_FAILED, scrub};

/// How one check went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Nothing to do.
    Ok,
    /// Works, but probably not as the operator wants.
    Warn,
    /// Will not work: `easel doctor` exits non-zero.
    Fail,
}

impl Status {
    fn label(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Warn => "warn",
            Status::Fail => "FAIL",
        }
    }
}

/// One line of the checklist.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    /// What was checked: the config key at stake where there is one
    /// (`discord.application_id`), so the line says where to look.
    pub name: String,
    /// How it went.
    pub status: Status,
    /// What was found.
    pub detail: String,
    /// What to change when not ok.
    pub fix: Option<String>,
}

impl Check {
    /// A check that passed.
    pub fn ok(name: impl Into<String>, detail: impl Into<String>) -> Self {
        Self::new(name, Status::Ok, detail, None)
    }

    /// A check that passed with a caveat, and how to remove it.
    pub fn warn(
        name: impl Into<String>,
        detail: impl Into<String>,
        fix: impl Into<String>,
    ) -> Self {
        Self::new(name, Status::Warn, detail, Some(fix.into()))
    }

    /// A check that failed, and how to fix it.
    pub fn fail(
        name: impl Into<String>,
        detail: impl Into<String>,
        fix: impl Into<String>,
    ) -> Self {
        Self::new(name, Status::Fail, detail, Some(fix.into()))
    }

    fn new(
        name: impl Into<String>,
        status: Status,
        detail: impl Into<String>,
        fix: Option<String>,
    ) -> Self {
        Self {
            name: name.into(),
            status,
            detail: detail.into(),
            fix,
        }
    }
}

/// Every check's outcome, in the order printed.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// The checklist.
    pub checks: Vec<Check>,
}

impl Report {
    /// Whether any check failed.
    pub fn failed(&self) -> bool {
        self.checks.iter().any(|c| c.status == Status::Fail)
    }

    /// The checks named `name` (tests and callers look results up by key).
    pub fn named(&self, name: &str) -> Vec<&Check> {
        self.checks.iter().filter(|c| c.name == name).collect()
    }

    /// Prints the checklist and a summary; every secret in `secrets` is
    /// replaced by `***` wherever a client library quoted it.
    pub fn write_to(&self, out: &mut dyn Write, secrets: &[&str]) -> io::Result<()> {
        for c in &self.checks {
            let line = format!("{:<4}  {}: {}", c.status.label(), c.name, c.detail);
            writeln!(out, "{}", scrub(&line, secrets))?;
            if let Some(fix) = &c.fix {
                writeln!(out, "      fix: {}", scrub(fix, secrets))?;
            }
        }
        let count = |s: Status| self.checks.iter().filter(|c| c.status == s).count();
        let (failed, warned) = (count(Status::Fail), count(Status::Warn));
        if failed == 0 && warned == 0 {
            writeln!(out, "all {} checks passed", self.checks.len())
        } else {
            writeln!(out, "{failed} failed, {warned} warnings")
        }
    }
}

/// What doctor concluded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// No check failed (warnings allowed).
    Healthy,
    /// At least one check failed.
    Failed,
    /// The config itself does not parse; nothing else was checked.
    Unreadable,
}

impl Verdict {
    /// The process exit code: 0, 1, or 64 (the config does not parse).
    pub fn exit_code(self) -> u8 {
        match self {
            Verdict::Healthy => 0,
            Verdict::Failed => EXIT_FAILED,
            Verdict::Unreadable => EXIT_CONFIG,
        }
    }
}

/// Loads the config at `path` (or defaults) with the environment `env`, as
/// the server does, runs every check and prints the checklist to `out`.
pub async fn run(path: Option<&Path>, env: &dyn Env, out: &mut dyn Write) -> io::Result<Verdict> {
    let source = path.map_or_else(
        || "no config file: defaults and environment".to_owned(),
        |p| format!("config {}", p.display()),
    );
    writeln!(out, "easel doctor ({source})")?;
    let config = match settings::read(path, env) {
        Ok(config) => config,
        Err(e) => {
            let report = Report {
                checks: vec![Check::fail(
                    "config",
                    e.to_string(),
                    "correct the file (the message names the key); nothing else was checked",
                )],
            };
            let secrets = secrets(None, env);
            report.write_to(out, &as_strs(&secrets))?;
            return Ok(Verdict::Unreadable);
        }
    };
    let report = check(&config, env).await;
    let secrets = secrets(Some(&config), env);
    report.write_to(out, &as_strs(&secrets))?;
    Ok(if report.failed() {
        Verdict::Failed
    } else {
        Verdict::Healthy
    })
}

/// Runs every check of a loaded config. They are independent: one failing
/// does not skip the others.
pub async fn check(config: &Config, env: &dyn Env) -> Report {
    let mut checks = config::checks(config);
    checks.extend(store::checks(config).await);
    checks.extend(backends::checks(&config.backends, env));
    checks.extend(models::checks(&config.backends, env).await);
    checks.extend(telegram::checks(&config.telegram).await);
    checks.extend(discord::checks(&config.discord).await);
    checks.extend(gateway::checks(&config.gateway).await);
    Report { checks }
}

/// An error with its causes, `a: b: c`: a client's top-level message
/// ("error sending request") rarely says why.
pub(crate) fn describe(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        // Some errors already repeat their source in their own message.
        let said = c.to_string();
        if !text.contains(&said) {
            text.push_str(": ");
            text.push_str(&said);
        }
        cause = c.source();
    }
    text
}

/// Where a key can be set: the key, and its environment variable when one
/// exists (a named one such as `EASEL_TELEGRAM_TOKEN`, else the generic form).
pub(crate) fn key_or_env(key: &str) -> String {
    if let Some((var, _)) = NAMED_VARS.iter().find(|(_, k)| *k == key) {
        return format!("{key} (or {var})");
    }
    if key.contains('[') {
        return key.to_owned();
    }
    let var = format!("EASEL__{}", key.to_ascii_uppercase().replace('.', "__"));
    format!("{key} (or {var})")
}

/// Every secret the configuration (when it loaded) and the environment
/// hold: the token variables and the variables backends read keys from.
fn secrets(config: Option<&Config>, env: &dyn Env) -> Vec<String> {
    let mut names: Vec<String> = NAMED_VARS
        .iter()
        .filter(|(var, _)| var.ends_with("TOKEN") || var.ends_with("SECRET"))
        .map(|(var, _)| (*var).to_owned())
        .collect();
    names.extend(
        env.vars()
            .into_iter()
            .map(|(k, _)| k)
            .filter(|k| k.ends_with("_API_KEY") || k.ends_with("_TOKEN")),
    );
    let mut out: Vec<String> = names.iter().filter_map(|n| env.var(n)).collect();
    if let Some(config) = config {
        out.extend(
            [
                &config.telegram.token,
                &config.telegram.webhook_secret,
                &config.discord.token,
                &config.http.admin_token,
                &config.gateway.token,
            ]
            .into_iter()
            .chain(config.backends.chain.iter().map(|b| &b.api_key))
            .map(|s| s.expose().to_owned()),
        );
        out.extend(url_passwords(&config.ledger.redis_url));
    }
    out.retain(|s| !s.is_empty());
    out
}

/// The passwords a Redis URL may carry: `redis://user:PASS@host` and
/// `redis+unix:///path?pass=PASS`.
fn url_passwords(url: &str) -> Vec<String> {
    let Ok(url) = reqwest::Url::parse(url) else {
        return Vec::new();
    };
    let mut out: Vec<String> = url.password().map(str::to_owned).into_iter().collect();
    out.extend(
        url.query_pairs()
            .filter(|(k, _)| k == "pass" || k == "password")
            .map(|(_, v)| v.into_owned()),
    );
    out
}

fn as_strs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}
