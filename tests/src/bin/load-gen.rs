//! A load generator for `POST /v1/images/generations` (a benchmark tool,
//! not a test): `--concurrency` workers send the same small generation
//! request back to back for `--seconds`, through one pooled HTTP client,
//! and it reports the latency distribution and throughput of the answers.
//! Point it at the fake upstream directly for the baseline, then at a proxy
//! in front of the same fake (Easel's `/v1`, LiteLLM): the difference of the
//! two is the latency the proxy adds. Used by docs/bench/proxy-compare.sh;
//! results in docs/bench/proxy-compare.md.
//!
//! Usage: `load-gen --url BASE --key KEY [--model M] [--concurrency C]
//! [--seconds S] [--warmup-seconds W] [--label NAME]`, BASE like
//! `http://127.0.0.1:4000/v1`. Prints one JSON line (label, requests, ok,
//! errors by status, req/s, p50/p90/p99/max in ms) on stdout.
//!
//! Quota mode (`--keys-file FILE --requests-per-key R`, docs/bench/replicas.sh):
//! a fixed workload instead of a timed one: every key in FILE (one per
//! line, one user each) sends R requests one after the other, all keys at
//! once; `--url` may list several base URLs (comma-separated) and key i's
//! request r goes to URL (i + r) mod count. It reports the same JSON plus
//! the answers per status, so runs against 1 and 3 replicas can be held
//! side by side (same quota outcomes), and jobs per second over the run.

#[path = "load-gen/quota.rs"]
mod quota;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use serde_json::json;

struct Args {
    url: String,
    key: String,
    model: String,
    concurrency: usize,
    seconds: f64,
    warmup_seconds: f64,
    label: String,
    /// Quota mode: one key per line.
    keys_file: Option<String>,
    /// Quota mode: requests each key sends.
    requests_per_key: usize,
}

fn parse_args() -> Result<Args> {
    let mut a = Args {
        url: String::new(),
        key: String::new(),
        model: "gpt-image-2".into(),
        concurrency: 16,
        seconds: 10.0,
        warmup_seconds: 2.0,
        label: "run".into(),
        keys_file: None,
        requests_per_key: 1,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().with_context(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--url" => a.url = value,
            "--key" => a.key = value,
            "--model" => a.model = value,
            "--concurrency" => a.concurrency = value.parse()?,
            "--seconds" => a.seconds = value.parse()?,
            "--warmup-seconds" => a.warmup_seconds = value.parse()?,
            "--label" => a.label = value,
            "--keys-file" => a.keys_file = Some(value),
            "--requests-per-key" => a.requests_per_key = value.parse()?,
            other => bail!("unknown flag {other}"),
        }
    }
    if a.url.is_empty() || (a.key.is_empty() && a.keys_file.is_none()) || a.concurrency == 0 {
        bail!("usage: load-gen --url BASE --key KEY [--concurrency C] [--seconds S]");
    }
    Ok(a)
}

/// One answer: how long it took, and its status (0: no answer at all).
struct Sample {
    micros: u64,
    status: u16,
}

/// Sends requests back to back until `until`, keeping answers that started
/// after `measure_from`.
async fn worker(
    client: reqwest::Client,
    endpoint: Arc<str>,
    body: Arc<serde_json::Value>,
    key: Arc<str>,
    measure_from: Instant,
    until: Instant,
) -> Vec<Sample> {
    let mut out = Vec::new();
    while Instant::now() < until {
        let start = Instant::now();
        let status = match client
            .post(&*endpoint)
            .bearer_auth(&*key)
            .json(&*body)
            .send()
            .await
        {
            // The whole body is read: the client sees the image only then.
            Ok(res) => {
                let status = res.status().as_u16();
                match res.bytes().await {
                    Ok(_) => status,
                    Err(_) => 0,
                }
            }
            Err(_) => 0,
        };
        if start >= measure_from {
            out.push(Sample {
                micros: start.elapsed().as_micros() as u64,
                status,
            });
        }
    }
    out
}

pub(crate) fn percentile(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1] as f64 / 1000.0
}

#[tokio::main]
async fn main() -> Result<()> {
    let a = parse_args()?;
    if let Some(file) = &a.keys_file {
        return quota::run(&a, file).await;
    }
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(a.concurrency)
        .timeout(Duration::from_secs(60))
        .build()?;
    let endpoint: Arc<str> = format!("{}/images/generations", a.url.trim_end_matches('/')).into();
    let body = Arc::new(json!({
        "model": a.model, "prompt": "a lighthouse at dusk, watercolour",
        "n": 1, "size": "1024x1024", "quality": "low"
    }));
    let key: Arc<str> = a.key.clone().into();
    let start = Instant::now();
    let measure_from = start + Duration::from_secs_f64(a.warmup_seconds);
    let until = measure_from + Duration::from_secs_f64(a.seconds);
    let workers: Vec<_> = (0..a.concurrency)
        .map(|_| {
            tokio::spawn(worker(
                client.clone(),
                endpoint.clone(),
                body.clone(),
                key.clone(),
                measure_from,
                until,
            ))
        })
        .collect();
    let mut samples = Vec::new();
    for w in workers {
        samples.extend(w.await?);
    }
    let mut statuses: BTreeMap<u16, u64> = BTreeMap::new();
    for s in &samples {
        *statuses.entry(s.status).or_default() += 1;
    }
    let mut ok: Vec<u64> = samples
        .iter()
        .filter(|s| s.status == 200)
        .map(|s| s.micros)
        .collect();
    ok.sort_unstable();
    let report = json!({
        "label": a.label,
        "concurrency": a.concurrency,
        "seconds": a.seconds,
        "requests": samples.len(),
        "ok": ok.len(),
        "statuses": statuses.iter().map(|(k, v)| (k.to_string(), *v)).collect::<BTreeMap<_, _>>(),
        "ok_per_sec": ok.len() as f64 / a.seconds,
        "p50_ms": percentile(&ok, 50.0),
        "p90_ms": percentile(&ok, 90.0),
        "p99_ms": percentile(&ok, 99.0),
        "max_ms": ok.last().map(|m| *m as f64 / 1000.0),
    });
    println!("{report}");
    Ok(())
}
