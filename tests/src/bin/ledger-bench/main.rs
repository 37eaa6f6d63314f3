//! The ledger benchmark (a load generator, not a test): reserve+settle
//! throughput and latency against the Redis ledger and the embedded store at
//! concurrency 1 and 64, `redis-benchmark` running the reserve script as the
//! reference, and governor's memory per active key. Build with `--release`;
//! results and the command live in docs/bench/ledger.md.
//!
//! Usage: `ledger-bench [--ops-1 N] [--ops-64 N] [--gov-keys N] [--rounds N] [--skip-redis]
//! [--skip-embedded] [--skip-governor]`. Uses REDIS_URL (default
//! redis://127.0.0.1:6379) with a unique key prefix and deletes its keys after.

mod load;
mod memory;
mod redis_bench;

use std::sync::Arc;

use anyhow::{Context, Result};
use easel_gateway::ledger::{Clock, Ledger};
use easel_tests::ledger::config::{HOUR, one_window};
use easel_tests::ledger::{connect_redis, open_embedded, redis_url, shared, unique_prefix};

struct Args {
    ops_1: usize,
    ops_64: usize,
    gov_keys: u64,
    rounds: usize,
    redis: bool,
    embedded: bool,
    governor: bool,
}

fn args() -> Result<Args> {
    let mut a = Args {
        ops_1: 5_000,
        ops_64: 50_000,
        gov_keys: 1_000_000,
        rounds: 3,
        redis: true,
        embedded: true,
        governor: true,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut num = || -> Result<u64> {
            it.next()
                .with_context(|| format!("{flag} needs a number"))?
                .parse()
                .with_context(|| format!("{flag} needs a number"))
        };
        match flag.as_str() {
            "--ops-1" => a.ops_1 = usize::try_from(num()?)?,
            "--ops-64" => a.ops_64 = usize::try_from(num()?)?,
            "--gov-keys" => a.gov_keys = num()?,
            "--rounds" => a.rounds = usize::try_from(num()?)?,
            "--skip-redis" => a.redis = false,
            "--skip-embedded" => a.embedded = false,
            "--skip-governor" => a.governor = false,
            other => anyhow::bail!("unknown flag {other}"),
        }
    }
    Ok(a)
}

fn main() -> Result<()> {
    let args = args()?;
    println!("# ledger-bench");
    println!(
        "workload: reserve(1 image) then settle(delivered) per op, {} users (op i -> user i*7919 mod {}), \
         plan 1,000,000 per 24 h, no in-flight cap, no spend cap, real clock",
        load::USERS,
        load::USERS
    );
    // Before the runtime exists, so no other thread allocates meanwhile.
    if args.governor {
        let m = memory::measure(args.gov_keys)?;
        println!(
            "governor keyed (DashMap, UserKey, 1 per 15 s burst 2): {} keys -> {} bytes = {:.1} bytes/key; \
             after clock +45 s, retain_recent + shrink_to_fit: {} keys, {} bytes",
            m.keys,
            m.bytes_with_keys,
            m.per_key(),
            m.len_after_retain,
            m.bytes_after_retain
        );
    }
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(ledgers(&args))
}

async fn ledgers(args: &Args) -> Result<()> {
    let config = shared(one_window(1_000_000, 24 * HOUR));
    let url = redis_url();
    let prefix = unique_prefix("bench");
    if args.redis {
        let ledger: Arc<dyn Ledger> =
            Arc::new(connect_redis(&url, &prefix, config.clone(), Clock::real()).await?);
        load::run(ledger.clone(), "warm", 500, 16).await?;
        // The machine is shared: each ledger run is followed at once by its
        // redis-benchmark reference, and rounds repeat, so ratios compare
        // runs made under the same load.
        for round in 0..args.rounds {
            for (c, ops) in [(1, args.ops_1), (64, args.ops_64)] {
                let r = load::run(ledger.clone(), &format!("r{round}c{c}"), ops, c).await?;
                print_load("redis", &r);
                let rb_prefix = format!("{prefix}rb:");
                let b = redis_bench::run(&url, &rb_prefix, ops, c).await?;
                if round == 0 {
                    println!("$ {}", b.command);
                }
                print!("{}", b.csv);
                println!(
                    "redis-benchmark EVALSHA reserve c={c:<3} n={ops:<6} {:>8.0} req/s | p50 {:.3} ms p99 {:.3} ms \
                     | ledger pairs/s = {:.0}% of it",
                    b.rps,
                    b.p50_ms,
                    b.p99_ms,
                    100.0 * r.rate() / b.rps
                );
            }
        }
        let deleted = redis_bench::cleanup(&url, &prefix).await?;
        println!("cleanup: deleted {deleted} keys under {prefix}");
    }
    if args.embedded {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("bench.redb");
        let ledger: Arc<dyn Ledger> =
            Arc::new(open_embedded(&path, config.clone(), Clock::real()).await?);
        load::run(ledger.clone(), "warm", 500, 16).await?;
        for round in 0..args.rounds {
            for (c, ops) in [(1, args.ops_1), (64, args.ops_64)] {
                let r = load::run(ledger.clone(), &format!("r{round}c{c}"), ops, c).await?;
                print_load("embedded", &r);
            }
        }
    }
    Ok(())
}

fn print_load(name: &str, r: &load::LoadReport) {
    println!(
        "{name:8} c={:<3} ops={:<6} {:>8.0} reserve+settle/s | reserve p50 {} us p99 {} us max {} us | \
         pair p50 {} us p99 {} us max {} us | {:.2} s",
        r.concurrency,
        r.ops,
        r.rate(),
        r.reserve.p50,
        r.reserve.p99,
        r.reserve.max,
        r.pair.p50,
        r.pair.p99,
        r.pair.max,
        r.elapsed.as_secs_f64()
    );
}
