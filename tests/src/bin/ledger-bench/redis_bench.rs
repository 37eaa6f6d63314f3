//! The reference: `redis-benchmark` running the Redis ledger's own reserve
//! script by EVALSHA, with the same key spread and concurrency as the Rust
//! load. Each `__rand_int__` is replaced independently (`-r 10000`), so the
//! five KEYS of one call name different users and the record id takes two
//! placeholders to keep replays (a cheaper path) rare.

use std::process::Command;

use anyhow::{Context, Result, bail};

/// The reserve script exactly as the ledger sends it (clock + prelude + window sums + body).
const RESERVE: &str = concat!(
    include_str!("../../../../gateway/src/ledger/redis/lua/clock.lua"),
    include_str!("../../../../gateway/src/ledger/redis/lua/prelude.lua"),
    include_str!("../../../../gateway/src/ledger/redis/lua/windows.lua"),
    include_str!("../../../../gateway/src/ledger/redis/lua/reserve.lua"),
);

/// One redis-benchmark run.
#[derive(Debug)]
pub(crate) struct RedisBenchReport {
    pub(crate) command: String,
    pub(crate) csv: String,
    pub(crate) rps: f64,
    pub(crate) p50_ms: f64,
    pub(crate) p99_ms: f64,
}

/// `host`, `port` of a `redis://host:port[/db]` URL.
pub(crate) fn host_port(url: &str) -> Result<(String, u16)> {
    let rest = url
        .strip_prefix("redis://")
        .context("redis-benchmark needs a redis://host:port URL")?;
    let rest = rest.rsplit_once('@').map_or(rest, |(_, r)| r);
    let hostport = rest.split('/').next().unwrap_or(rest);
    let (host, port) = hostport.rsplit_once(':').unwrap_or((hostport, "6379"));
    Ok((host.to_owned(), port.parse().context("port")?))
}

/// Loads the script and runs `requests` EVALSHA calls at `concurrency`.
pub(crate) async fn run(
    url: &str,
    prefix: &str,
    requests: usize,
    concurrency: usize,
) -> Result<RedisBenchReport> {
    let client = redis::Client::open(url)?;
    let mut con = client.get_multiplexed_async_connection().await?;
    let sha: String = redis::cmd("SCRIPT")
        .arg("LOAD")
        .arg(RESERVE)
        .query_async(&mut con)
        .await?;
    let (host, port) = host_port(url)?;
    let user = format!("{prefix}{{u:tg:__rand_int__}}:");
    // ARGV as the ledger passes them for a plan of 1,000,000 per 24 h, mode open.
    let args: Vec<String> = [
        "-h",
        &host,
        "-p",
        &port.to_string(),
        "-c",
        &concurrency.to_string(),
        "-n",
        &requests.to_string(),
        "-r",
        "10000",
        "--csv",
        "EVALSHA",
        &sha,
        "5",
        &format!("{user}meta"),
        &format!("{user}log"),
        &format!("{user}pend"),
        &format!("{user}r:__rand_int__-__rand_int__"),
        &format!("{user}win"),
        "",
        "__rand_int__-__rand_int__",
        "1",
        "1",
        "1000",
        "fake",
        r#"{"free":{"e":true,"f":0,"n":4,"p":0,"q":{},"w":[[1000000,86400000]]}}"#,
        "free",
        "open",
        "0",
        "120000",
        "86400000",
        "172800000",
        "auto",
        "0",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let out = Command::new("redis-benchmark")
        .args(&args)
        .output()
        .context("run redis-benchmark")?;
    if !out.status.success() {
        bail!(
            "redis-benchmark failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let csv = String::from_utf8_lossy(&out.stdout).into_owned();
    let last = csv
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .context("no output")?;
    // The title may contain commas (the JSON); the 7 numbers are at the end.
    let fields: Vec<f64> = last
        .rsplitn(8, ',')
        .take(7)
        .map(|f| f.trim_matches('"').parse::<f64>())
        .collect::<Result<_, _>>()
        .with_context(|| format!("parse {last}"))?;
    // rsplitn is reversed: max, p99, p95, p50, min, avg, rps.
    let command = format!(
        "redis-benchmark {}",
        args.iter()
            .map(|a| if a.is_empty() || a.contains(['{', '"', ' ']) {
                format!("'{a}'")
            } else {
                a.clone()
            })
            .collect::<Vec<_>>()
            .join(" ")
    );
    Ok(RedisBenchReport {
        command,
        csv,
        rps: fields[6],
        p50_ms: fields[3],
        p99_ms: fields[1],
    })
}

/// Deletes every key under `prefix` (the bench never leaves data behind).
pub(crate) async fn cleanup(url: &str, prefix: &str) -> Result<usize> {
    let client = redis::Client::open(url)?;
    let mut con = client.get_multiplexed_async_connection().await?;
    let mut cursor: u64 = 0;
    let mut deleted = 0;
    loop {
        let (next, keys): (u64, Vec<String>) = redis::cmd("SCAN")
            .arg(cursor)
            .arg("MATCH")
            .arg(format!("{prefix}*"))
            .arg("COUNT")
            .arg(1000)
            .query_async(&mut con)
            .await?;
        if !keys.is_empty() {
            let n: usize = redis::cmd("UNLINK")
                .arg(&keys)
                .query_async(&mut con)
                .await?;
            deleted += n;
        }
        if next == 0 {
            return Ok(deleted);
        }
        cursor = next;
    }
}
