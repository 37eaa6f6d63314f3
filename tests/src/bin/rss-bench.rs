//! The upload-memory benchmark (a load generator, not a test): `USERS`
//! users each submit one large photo to the real in-process gateway at the
//! same moment, and the process's peak resident memory while those
//! requests are decoded and run is read from `/proc/self/status` (VmHWM,
//! reset through `/proc/self/clear_refs` once the uploads are in memory, so
//! the peak is the gateway's work, not the input generation). The fake
//! OpenAI server runs in the same process. Results and the command live in
//! docs/bench/upload-memory.md.
//!
//! Usage: `rss-bench [--users N] [--mb MB] [--format png|jpeg] [--decode-wait SECS]`
//! (`--decode-wait` sets `runner.decode_wait`; without it the default applies).

use std::io::Cursor;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use bytes::Bytes;
use easel_gateway::service::Gateway;
use easel_shared::job::JobEvent;
use easel_shared::render::RenderOptions;
use easel_shared::request::{InputImage, Request};
use easel_shared::{RequestId, UserKey};
use easel_tests::stack::Stack;

struct Args {
    users: u64,
    mb: f64,
    format: image::ImageFormat,
    decode_wait: Option<std::time::Duration>,
}

fn args() -> Result<Args> {
    let mut out = Args {
        users: 20,
        mb: 24.0,
        format: image::ImageFormat::Png,
        decode_wait: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().with_context(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--users" => out.users = value.parse()?,
            "--mb" => out.mb = value.parse()?,
            "--format" => {
                out.format = match value.as_str() {
                    "png" => image::ImageFormat::Png,
                    "jpeg" => image::ImageFormat::Jpeg,
                    other => bail!("unknown format {other}"),
                }
            }
            "--decode-wait" => {
                out.decode_wait = Some(std::time::Duration::from_secs(value.parse()?));
            }
            other => bail!("unknown flag {other}"),
        }
    }
    Ok(out)
}

/// A noisy RGB image `side` pixels square (noise keeps the file large).
fn encode(side: u32, format: image::ImageFormat) -> Result<Vec<u8>> {
    let mut state: u32 = 0x9e37_79b9;
    let img = image::RgbImage::from_fn(side, side, |_, _| {
        // xorshift: cheap noise that no encoder can squeeze.
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        let [a, b, c, _] = state.to_le_bytes();
        image::Rgb([a, b, c])
    });
    let mut out = Cursor::new(Vec::new());
    match format {
        image::ImageFormat::Jpeg => {
            let encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 95);
            img.write_with_encoder(encoder)?;
        }
        _ => img.write_to(&mut out, format)?,
    }
    Ok(out.into_inner())
}

/// A photo of about `mb` megabytes (sized from a small sample's bytes per pixel).
fn photo(mb: f64, format: image::ImageFormat) -> Result<Vec<u8>> {
    let sample = 512;
    let per_px = encode(sample, format)?.len() as f64 / f64::from(sample * sample);
    let side = ((mb * 1e6 / per_px).sqrt() as u32).max(16);
    encode(side, format)
}

/// `VmRSS` and `VmHWM` of this process, in KiB.
fn memory() -> Result<(u64, u64)> {
    let status = std::fs::read_to_string("/proc/self/status")?;
    let field = |name: &str| -> Result<u64> {
        let line = status
            .lines()
            .find(|l| l.starts_with(name))
            .with_context(|| format!("{name} missing"))?;
        let kib = line.split_whitespace().nth(1).context("no value")?;
        Ok(kib.parse()?)
    };
    Ok((field("VmRSS:")?, field("VmHWM:")?))
}

#[tokio::main]
async fn main() -> Result<()> {
    let args = args()?;
    let bytes = photo(args.mb, args.format)?;
    let (w, h) = image::ImageReader::new(Cursor::new(&bytes))
        .with_guessed_format()?
        .into_dimensions()?;
    println!(
        "workload: {} users x one {:?} of {} bytes ({w}x{h} px), submitted at once",
        args.users,
        args.format,
        bytes.len()
    );
    let stack = Stack::start(|c| {
        for plan in c.plans.values_mut() {
            plan.max_in_flight = 0;
            plan.windows.iter_mut().for_each(|w| w.limit = 1_000);
        }
        c.runner.max_queued_per_user = 0;
        if let Some(wait) = args.decode_wait {
            c.runner.decode_wait = wait;
        }
    })
    .await;
    // One copy per user, as each adapter downloads its own.
    let uploads: Vec<Bytes> = (0..args.users)
        .map(|_| Bytes::copy_from_slice(&bytes))
        .collect();
    drop(bytes);
    let (rss_before, _) = memory()?;
    // "5" resets VmHWM to the current RSS (Linux >= 4.0).
    std::fs::write("/proc/self/clear_refs", "5").context("reset VmHWM")?;
    let started = Instant::now();
    let mut tasks = Vec::new();
    for (user, upload) in (1..=args.users).zip(uploads) {
        let gateway = stack.gateway.clone();
        let request = Request {
            id: RequestId::new(format!("rss-{user}"))?,
            user: UserKey::telegram(user),
            prompt: "put it on a beach".into(),
            options: RenderOptions::default(),
            inputs: vec![InputImage::Upload { bytes: upload }],
            parent: None,
            mask: None,
        };
        tasks.push(tokio::spawn(async move {
            let mut events = gateway.submit(request).await.map_err(|e| e.to_string())?;
            while let Some(event) = events.recv().await {
                if let JobEvent::Done { .. } = event {
                    return Ok(());
                }
                if event.is_final() {
                    return Err(format!("{event:?}"));
                }
            }
            Err("stream ended".to_owned())
        }));
    }
    let (mut done, mut refused) = (0, Vec::new());
    for task in tasks {
        match task.await? {
            Ok(()) => done += 1,
            Err(why) => refused.push(why),
        }
    }
    let elapsed = started.elapsed();
    let (rss_after, hwm) = memory()?;
    println!(
        "done: {done}, not done: {} {:?}",
        refused.len(),
        refused.first()
    );
    println!("rss before submits: {rss_before} KiB");
    println!("peak rss during submits (VmHWM): {hwm} KiB");
    println!(
        "peak above the uploads in memory: {} KiB",
        hwm.saturating_sub(rss_before)
    );
    println!("rss after: {rss_after} KiB");
    println!("wall time: {:.2} s", elapsed.as_secs_f64());
    Ok(())
}
