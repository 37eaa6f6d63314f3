//! The ledger load: `ops` reserve+settle pairs over 10,000 users, all admitted,
//! at a fixed concurrency; latencies per reserve and per pair.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use easel_gateway::ledger::{Admission, Ledger, SettleOutcome, Settlement};
use easel_tests::ledger::{req, user};

/// Distinct users the load is spread over.
pub(crate) const USERS: u64 = 10_000;

/// Measured numbers of one run.
#[derive(Debug)]
pub(crate) struct LoadReport {
    pub(crate) ops: usize,
    pub(crate) concurrency: usize,
    pub(crate) elapsed: Duration,
    pub(crate) reserve: Percentiles,
    pub(crate) pair: Percentiles,
}

/// Latency percentiles in microseconds.
#[derive(Debug)]
pub(crate) struct Percentiles {
    pub(crate) p50: u128,
    pub(crate) p99: u128,
    pub(crate) max: u128,
}

impl Percentiles {
    fn of(mut v: Vec<Duration>) -> Self {
        v.sort_unstable();
        let at = |q: f64| {
            let i = ((v.len() as f64 * q).ceil() as usize).clamp(1, v.len()) - 1;
            v[i].as_micros()
        };
        Self {
            p50: at(0.50),
            p99: at(0.99),
            max: v.last().map_or(0, Duration::as_micros),
        }
    }
}

impl LoadReport {
    /// Reserve+settle pairs per second.
    pub(crate) fn rate(&self) -> f64 {
        self.ops as f64 / self.elapsed.as_secs_f64()
    }
}

/// Runs `ops` pairs with ids `<tag>-<i>` at `concurrency`.
pub(crate) async fn run(
    ledger: Arc<dyn Ledger>,
    tag: &str,
    ops: usize,
    concurrency: usize,
) -> Result<LoadReport> {
    let next = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let tasks: Vec<_> = (0..concurrency)
        .map(|_| {
            let ledger = ledger.clone();
            let next = next.clone();
            let tag = tag.to_owned();
            tokio::spawn(async move {
                let mut lat = Vec::new();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= ops {
                        break;
                    }
                    // A multiplicative spread so consecutive ops hit different users.
                    let u = user((i as u64).wrapping_mul(7919) % USERS + 1);
                    let r = req(u, &format!("{tag}-{i}"), 1);
                    let t0 = Instant::now();
                    let admitted = ledger.reserve(&r).await?;
                    let t1 = Instant::now();
                    if !matches!(admitted, Admission::Admitted(_)) {
                        bail!("{} not admitted: {admitted:?}", r.id);
                    }
                    let how = Settlement::Delivered {
                        images: 1,
                        cost_micros: 900,
                    };
                    let settled = ledger.settle(u, &r.id, how).await?;
                    if !matches!(settled, SettleOutcome::Settled { .. }) {
                        bail!("{} not settled: {settled:?}", r.id);
                    }
                    lat.push((t1 - t0, t1.elapsed() + (t1 - t0)));
                }
                Ok(lat)
            })
        })
        .collect();
    let mut reserve = Vec::with_capacity(ops);
    let mut pair = Vec::with_capacity(ops);
    for t in tasks {
        for (r, p) in t.await?? {
            reserve.push(r);
            pair.push(p);
        }
    }
    let elapsed = start.elapsed();
    Ok(LoadReport {
        ops,
        concurrency,
        elapsed,
        reserve: Percentiles::of(reserve),
        pair: Percentiles::of(pair),
    })
}
