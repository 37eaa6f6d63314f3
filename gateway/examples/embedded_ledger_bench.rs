//! Rough throughput of EmbeddedLedger: reserve+settle pairs per second.
//! Usage: embedded_ledger_bench <tasks> <pairs-per-task> [dir]
use std::sync::Arc;
use std::time::{Duration, Instant};

use arc_swap::ArcSwap;
use easel_gateway::ledger::embedded::EmbeddedLedger;
use easel_gateway::ledger::{Admission, Clock, Ledger, ReserveRequest, Settlement};
use easel_shared::config::{Config, PlanConfig, WindowConfig};
use easel_shared::{RequestId, UserKey};

#[tokio::main(flavor = "multi_thread")]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let tasks: u64 = args.get(1).map_or(Ok(64), |a| a.parse())?;
    let pairs: u64 = args.get(2).map_or(Ok(200), |a| a.parse())?;
    let dir = tempfile::tempdir_in(args.get(3).map_or("/tmp", String::as_str))?;
    let mut config = Config::default();
    config.plans.insert(
        "free".into(),
        PlanConfig {
            windows: vec![
                WindowConfig {
                    limit: 1_000_000,
                    period: Duration::from_secs(3 * 3600),
                },
                WindowConfig {
                    limit: 1_000_000,
                    period: Duration::from_secs(24 * 3600),
                },
            ],
            max_in_flight: 0,
            ..PlanConfig::default()
        },
    );
    config.spend.daily_cap_micros = u64::MAX / 2;
    let ledger = Arc::new(EmbeddedLedger::open(
        &dir.path().join("bench.redb"),
        Arc::new(ArcSwap::from_pointee(config)),
        Clock::real(),
    )?);
    let start = Instant::now();
    let handles: Vec<_> = (0..tasks)
        .map(|t| {
            let ledger = ledger.clone();
            tokio::spawn(async move {
                for i in 0..pairs {
                    // 100 users per task: per-user logs grow like a busy day.
                    let user = UserKey::telegram(t * 100 + i % 100);
                    let id = RequestId::new(format!("t{t}-{i}"))?;
                    let req = ReserveRequest {
                        id: id.clone(),
                        user,
                        images: 2,
                        credits_per_image: 1,
                        est_cost_micros: 40_000,
                        backend: "openai".into(),
                        quality: easel_shared::render::Quality::Auto,
                        edit: false,
                        guard: false,
                        key: None,
                    };
                    let Admission::Admitted(_) = ledger.reserve(&req).await? else {
                        anyhow::bail!("denied");
                    };
                    ledger
                        .settle(
                            user,
                            &id,
                            Settlement::Delivered {
                                images: 2,
                                cost_micros: 39_000,
                            },
                        )
                        .await?;
                }
                anyhow::Ok(())
            })
        })
        .collect();
    for h in handles {
        h.await??;
    }
    let secs = start.elapsed().as_secs_f64();
    let total = tasks * pairs;
    println!(
        "tasks={tasks} pairs={total} secs={secs:.2} pairs_per_sec={:.0} ops_per_sec={:.0}",
        total as f64 / secs,
        2.0 * total as f64 / secs
    );
    // Linux: bytes this process made the kernel write to disk (fsync'd pages).
    if let Ok(io) = std::fs::read_to_string("/proc/self/io") {
        let written = io
            .lines()
            .find(|l| l.starts_with("write_bytes:"))
            .unwrap_or("");
        println!("{written} ({} per pair)", io_per_pair(written, total));
    }
    Ok(())
}

fn io_per_pair(line: &str, pairs: u64) -> u64 {
    let bytes: u64 = line
        .split_whitespace()
        .nth(1)
        .and_then(|b| b.parse().ok())
        .unwrap_or(0);
    bytes / pairs.max(1)
}
