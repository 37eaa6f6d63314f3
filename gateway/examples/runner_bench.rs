//! Load generator for the job runner's added latency (docs/bench/runner.md).
//!
//! Open loop: submissions are scheduled at fixed intervals for the offered
//! rate, whatever the system does (a late tick fires at once, so the offered
//! rate holds). Each job is admitted (ledger reserve), submitted to the
//! runner, served by a zero-latency backend returning one 64x64 PNG, settled
//! and answered with `Done` (which includes a quota read). Pacing is lifted.
//! Recorded per job: submit -> Done (the runner's added latency, since the
//! upstream takes ~0) and scheduled -> Done (admission included).
//!
//! Run: `cargo run --release -p easel-gateway --example runner_bench -- --help`

use std::io::Cursor;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use arc_swap::ArcSwap;
use async_trait::async_trait;
use bytes::Bytes;
use clap::Parser;
use easel_gateway::admission::{AdmitRequest, Gatekeeper};
use easel_gateway::backend::{
    BackendError, BackendEvent, BackendOutput, Capabilities, ImageBackend, ImageData, ImageJob,
};
use easel_gateway::ledger::embedded::EmbeddedLedger;
use easel_gateway::ledger::outbox::SettleOutbox;
use easel_gateway::ledger::redis::RedisLedger;
use easel_gateway::ledger::{Clock, Ledger, SharedConfig};
use easel_gateway::runner::JobRunner;
use easel_shared::config::{Config, PlanConfig, WindowConfig};
use easel_shared::job::JobEvent;
use easel_shared::render::RenderOptions;
use easel_shared::{RequestId, UserKey};
use tokio::sync::mpsc;

#[derive(Parser, Debug)]
#[command(about = "Open-loop latency benchmark of the job runner")]
struct Args {
    /// Offered rates to run, jobs per second, one run each.
    #[arg(long, value_delimiter = ',', default_value = "1000")]
    rates: Vec<u32>,
    /// Seconds per run (after a 1 s warm-up at the same rate).
    #[arg(long, default_value_t = 10)]
    secs: u64,
    /// Distinct users the jobs are spread over.
    #[arg(long, default_value_t = 10_000)]
    users: u64,
    /// Runner concurrency cap.
    #[arg(long, default_value_t = 64)]
    concurrency: u32,
    /// `embedded` (a redb file in a temp dir) or a `redis://` URL.
    #[arg(long, default_value = "embedded")]
    ledger: String,
    /// Where the embedded ledger's temp dir goes (e.g. /dev/shm to take the
    /// disk's fsync out of the measurement).
    #[arg(long, default_value = "/tmp")]
    dir: std::path::PathBuf,
}

/// Answers at once with the same small PNG: the upstream's own time is ~0.
struct ZeroBackend {
    png: Bytes,
}

#[async_trait]
impl ImageBackend for ZeroBackend {
    fn name(&self) -> &str {
        "zero"
    }
    fn capabilities(&self) -> Capabilities {
        Capabilities {
            max_inputs: 0,
            mask: false,
            transparent: true,
            streaming: false,
            input_long_side: 1024,
        }
    }
    fn estimate_micros(&self, _: &ImageJob) -> u64 {
        1
    }
    async fn generate(
        &self,
        _: &ImageJob,
        _: &mpsc::Sender<BackendEvent>,
    ) -> Result<BackendOutput, BackendError> {
        Ok(BackendOutput {
            images: vec![ImageData {
                bytes: self.png.clone(),
                mime: "image/png".into(),
            }],
            cost_micros: 1,
            usage: None,
            backend: "zero".into(),
            continuation: None,
        })
    }
}

fn small_png() -> anyhow::Result<Bytes> {
    let img = image::RgbaImage::from_fn(64, 64, |x, y| {
        image::Rgba([x as u8 * 4, y as u8 * 4, 128, 255])
    });
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png)?;
    Ok(Bytes::from(out.into_inner()))
}

fn bench_config(concurrency: u32) -> Config {
    let mut config = Config::default();
    config.plans.insert(
        "free".into(),
        PlanConfig {
            windows: vec![WindowConfig {
                limit: 1_000_000,
                period: Duration::from_secs(3 * 3600),
            }],
            max_in_flight: 0,
            burst: None,
            ..PlanConfig::default()
        },
    );
    config.runner.concurrency = concurrency;
    config.runner.images_per_minute = 0;
    config.runner.max_queued_per_user = 0;
    config
}

async fn open_ledger(
    which: &str,
    config: SharedConfig,
    dir: &tempfile::TempDir,
) -> anyhow::Result<Arc<dyn Ledger>> {
    if which == "embedded" {
        let path = dir.path().join("bench.redb");
        return Ok(Arc::new(EmbeddedLedger::open(
            &path,
            config,
            Clock::real(),
        )?));
    }
    anyhow::ensure!(
        which.starts_with("redis://"),
        "--ledger: `embedded` or a redis:// URL"
    );
    // A fresh prefix per run: no earlier run's state, nobody else's keys.
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_nanos();
    let prefix = format!("easel-bench:{nanos:x}:");
    Ok(Arc::new(
        RedisLedger::connect(which, &prefix, config, Clock::real()).await?,
    ))
}

/// One job's measurements, in microseconds.
struct Sample {
    submit_to_started: u64,
    submit_to_done: u64,
    scheduled_to_done: u64,
    ok: bool,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let png = small_png()?;
    println!(
        "runner_bench: ledger={} dir={} users={} concurrency={} secs={} png={}B cores={}",
        args.ledger,
        args.dir.display(),
        args.users,
        args.concurrency,
        args.secs,
        png.len(),
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    for (run, &rate) in args.rates.iter().enumerate() {
        let dir = tempfile::tempdir_in(&args.dir).context("temp dir")?;
        let config: SharedConfig = Arc::new(ArcSwap::from_pointee(bench_config(args.concurrency)));
        let ledger = open_ledger(&args.ledger, config.clone(), &dir).await?;
        let keeper = Arc::new(Gatekeeper::new(
            ledger.clone(),
            config.clone(),
            Clock::real(),
        ));
        let backend = Arc::new(ZeroBackend { png: png.clone() });
        let outbox = SettleOutbox::open(&dir.path().join("settles.redb"), ledger.clone())
            .context("outbox")?;
        let runner = Arc::new(JobRunner::start(
            ledger,
            Arc::new(outbox),
            backend,
            config,
            None,
            Clock::real(),
        ));
        // Warm-up (not recorded), then the measured run.
        offer(&keeper, &runner, rate, 1, args.users, &format!("w{run}")).await;
        let started = Instant::now();
        let samples = offer(
            &keeper,
            &runner,
            rate,
            args.secs,
            args.users,
            &format!("r{run}"),
        )
        .await;
        report(rate, args.secs, started.elapsed(), samples);
    }
    Ok(())
}

/// Offers `rate` jobs/s for `secs` seconds and waits for every answer.
async fn offer(
    keeper: &Arc<Gatekeeper>,
    runner: &Arc<JobRunner>,
    rate: u32,
    secs: u64,
    users: u64,
    tag: &str,
) -> Vec<Sample> {
    let total = u64::from(rate) * secs;
    let interval = Duration::from_nanos(1_000_000_000 / u64::from(rate.max(1)));
    let (tx, mut rx) = mpsc::unbounded_channel();
    let start = tokio::time::Instant::now();
    for i in 0..total {
        let scheduled = start + interval * i as u32;
        tokio::time::sleep_until(scheduled).await;
        let (keeper, runner, tx) = (keeper.clone(), runner.clone(), tx.clone());
        let id = format!("{tag}-{i}");
        tokio::spawn(async move {
            let sample = one_job(&keeper, &runner, id, UserKey::telegram(i % users)).await;
            let done = Instant::now();
            let _ = tx.send(sample.map(|(submitted, started, ok)| Sample {
                submit_to_started: (started - submitted).as_micros() as u64,
                submit_to_done: (done - submitted).as_micros() as u64,
                scheduled_to_done: (done - scheduled.into_std()).as_micros() as u64,
                ok,
            }));
        });
    }
    drop(tx);
    let mut samples = Vec::with_capacity(total as usize);
    while let Some(sample) = rx.recv().await {
        if let Some(sample) = sample {
            samples.push(sample);
        }
    }
    samples
}

/// Admits and runs one job; returns when it was submitted, when it
/// started, and whether it ended `Done`.
async fn one_job(
    keeper: &Gatekeeper,
    runner: &JobRunner,
    id: String,
    user: UserKey,
) -> Option<(Instant, Instant, bool)> {
    let request = AdmitRequest {
        id: RequestId::new(id).ok()?,
        user,
        options: RenderOptions::default(),
        is_edit: false,
        backend: "zero".into(),
        est_cost_micros: 1,
        key: None,
    };
    let ticket = keeper.admit(&request).await.ok()?;
    let job = ImageJob {
        prompt: "bench".into(),
        options: RenderOptions::default(),
        inputs: Vec::new(),
        mask: None,
        user_tag: "bench".into(),
        continuation: None,
    };
    let submitted = Instant::now();
    let mut handle = runner.submit(ticket, job).await.ok()?;
    let mut started = submitted;
    while let Some(event) = handle.events.recv().await {
        if event == JobEvent::Started {
            started = Instant::now();
        }
        if event.is_final() {
            return Some((submitted, started, matches!(event, JobEvent::Done { .. })));
        }
    }
    Some((submitted, started, false))
}

fn report(rate: u32, secs: u64, elapsed: Duration, mut samples: Vec<Sample>) {
    let offered = u64::from(rate) * secs;
    let done = samples.iter().filter(|s| s.ok).count();
    let achieved = done as f64 / elapsed.as_secs_f64();
    let pct = |v: &mut Vec<u64>, p: f64| -> f64 {
        if v.is_empty() {
            return f64::NAN;
        }
        v.sort_unstable();
        let i = ((v.len() as f64 * p).ceil() as usize).clamp(1, v.len()) - 1;
        v[i] as f64 / 1000.0
    };
    let mut dispatch: Vec<u64> = samples.iter().map(|s| s.submit_to_started).collect();
    let mut runner: Vec<u64> = samples.iter().map(|s| s.submit_to_done).collect();
    let mut e2e: Vec<u64> = samples.drain(..).map(|s| s.scheduled_to_done).collect();
    println!(
        "rate={rate}/s offered={offered} done={done} wall={:.2}s achieved={achieved:.0}/s",
        elapsed.as_secs_f64()
    );
    println!(
        "  submit->Started ms: p50={:.3} p90={:.3} p99={:.3} p99.9={:.3} max={:.3}",
        pct(&mut dispatch, 0.50),
        pct(&mut dispatch, 0.90),
        pct(&mut dispatch, 0.99),
        pct(&mut dispatch, 0.999),
        pct(&mut dispatch, 1.0)
    );
    println!(
        "  submit->Done ms: p50={:.3} p90={:.3} p99={:.3} p99.9={:.3} max={:.3}",
        pct(&mut runner, 0.50),
        pct(&mut runner, 0.90),
        pct(&mut runner, 0.99),
        pct(&mut runner, 0.999),
        pct(&mut runner, 1.0)
    );
    println!(
        "  scheduled->Done ms (incl. admission): p50={:.3} p90={:.3} p99={:.3} p99.9={:.3} max={:.3}",
        pct(&mut e2e, 0.50),
        pct(&mut e2e, 0.90),
        pct(&mut e2e, 0.99),
        pct(&mut e2e, 0.999),
        pct(&mut e2e, 1.0)
    );
}
