//! Quota mode: a fixed workload (every key sends `--requests-per-key`
//! requests in turn, all keys at once) over one or several base URLs, so two
//! deployments can be compared answer for answer as well as for speed.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use serde_json::json;

use super::{Args, percentile};

/// Runs the workload and prints one JSON line.
pub(crate) async fn run(a: &Args, keys_file: &str) -> Result<()> {
    let keys: Vec<String> = std::fs::read_to_string(keys_file)
        .with_context(|| format!("read {keys_file}"))?
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect();
    let urls: Vec<String> = a
        .url
        .split(',')
        .map(|u| format!("{}/images/generations", u.trim().trim_end_matches('/')))
        .collect();
    if keys.is_empty() || a.requests_per_key == 0 {
        bail!("{keys_file} holds no key, or --requests-per-key is 0");
    }
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(keys.len())
        .timeout(Duration::from_secs(600))
        .build()?;
    let body = json!({
        "model": a.model, "prompt": "a lighthouse at dusk, watercolour",
        "n": 1, "size": "1024x1024", "quality": "low"
    });
    let start = Instant::now();
    let tasks: Vec<_> = keys
        .iter()
        .enumerate()
        .map(|(i, key)| {
            let (client, body, key, urls) =
                (client.clone(), body.clone(), key.clone(), urls.clone());
            let per_key = a.requests_per_key;
            tokio::spawn(async move {
                let mut out = Vec::with_capacity(per_key);
                for r in 0..per_key {
                    let sent = Instant::now();
                    let status = match client
                        .post(&urls[(i + r) % urls.len()])
                        .bearer_auth(&key)
                        .json(&body)
                        .send()
                        .await
                    {
                        Ok(res) => {
                            let status = res.status().as_u16();
                            res.bytes().await.map_or(0, |_| status)
                        }
                        Err(_) => 0,
                    };
                    out.push((i, status, sent.elapsed().as_micros() as u64));
                }
                out
            })
        })
        .collect();
    let mut samples = Vec::new();
    for t in tasks {
        samples.extend(t.await?);
    }
    let elapsed = start.elapsed().as_secs_f64();
    let mut statuses: BTreeMap<String, u64> = BTreeMap::new();
    let mut ok_per_key: BTreeMap<u64, u64> = BTreeMap::new();
    let mut ok_by_key = vec![0u64; keys.len()];
    let mut ok: Vec<u64> = Vec::new();
    for (key, status, micros) in &samples {
        *statuses.entry(status.to_string()).or_default() += 1;
        if *status == 200 {
            ok.push(*micros);
            ok_by_key[*key] += 1;
        }
    }
    for n in ok_by_key {
        *ok_per_key.entry(n).or_default() += 1;
    }
    ok.sort_unstable();
    let report = json!({
        "label": a.label,
        "keys": keys.len(),
        "requests_per_key": a.requests_per_key,
        "urls": urls.len(),
        "requests": samples.len(),
        "ok": ok.len(),
        "statuses": statuses,
        "keys_by_ok_count": ok_per_key.iter().map(|(k, v)| (k.to_string(), *v)).collect::<BTreeMap<_, _>>(),
        "elapsed_s": elapsed,
        "jobs_per_sec": ok.len() as f64 / elapsed,
        "p50_ms": percentile(&ok, 50.0),
        "p99_ms": percentile(&ok, 99.0),
        "max_ms": ok.last().map(|m| *m as f64 / 1000.0),
    });
    println!("{report}");
    Ok(())
}
