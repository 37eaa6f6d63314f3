//! Benchmark for `imaging::prepare` on a 12-megapixel photo upload; see
//! docs/bench/imaging.md for the command, the Pillow counterpart and results.
//!
//! `prepare_bench write <path>` writes the workload JPEG;
//! `prepare_bench run <path> <iterations>` prepares it repeatedly and prints
//! per-iteration times (peak memory comes from `/usr/bin/time -v`).

use std::time::Instant;

use anyhow::{Context, bail};
use easel_gateway::imaging::{InputLimits, Target, prepare};
use jpeg_encoder::{ColorType, Encoder, SamplingFactor};

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["write", path] => write_workload(path),
        ["run", path, iterations] => run(path, iterations.parse().context("iterations")?),
        _ => bail!("usage: prepare_bench write <path> | run <path> <iterations>"),
    }
}

/// A 4000x3000 "photo": smooth gradients, a few shapes and sensor-like noise,
/// encoded like a phone camera does (q92, 4:2:0).
fn write_workload(path: &str) -> anyhow::Result<()> {
    let (w, h) = (4000u32, 3000u32);
    let mut seed: u32 = 0x1234_5678;
    let mut pixels = Vec::with_capacity((w * h * 3) as usize);
    for y in 0..h {
        for x in 0..w {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            let noise = (seed % 13) as f32 - 6.0;
            let (fx, fy) = (x as f32 / w as f32, y as f32 / h as f32);
            let sky = 1.0 - fy;
            let disc = ((fx - 0.6).powi(2) + (fy - 0.4).powi(2)).sqrt() < 0.15;
            let (r, g, b) = if disc {
                (230.0, 180.0 - 60.0 * fy, 60.0)
            } else {
                (
                    90.0 + 120.0 * sky * fx,
                    120.0 + 80.0 * (fx * 9.0).sin() * (fy * 7.0).cos(),
                    200.0 * sky + 30.0,
                )
            };
            let c = |v: f32| (v + noise).clamp(0.0, 255.0) as u8;
            pixels.extend_from_slice(&[c(r), c(g), c(b)]);
        }
    }
    let mut out = Vec::new();
    let mut encoder = Encoder::new(&mut out, 92);
    encoder.set_sampling_factor(SamplingFactor::R_4_2_0);
    encoder.encode(&pixels, w as u16, h as u16, ColorType::Rgb)?;
    std::fs::write(path, &out).with_context(|| format!("write {path}"))?;
    println!("wrote {path}: {w}x{h}, {} bytes", out.len());
    Ok(())
}

fn run(path: &str, iterations: usize) -> anyhow::Result<()> {
    let bytes = std::fs::read(path).with_context(|| format!("read {path}"))?;
    let limits = InputLimits::default();
    let target = Target::photo(1536);
    let mut times = Vec::with_capacity(iterations);
    let mut last = None;
    for _ in 0..iterations {
        let start = Instant::now();
        let prepared = prepare(&bytes, &limits, target)?;
        times.push(start.elapsed().as_secs_f64() * 1000.0);
        last = Some(prepared);
    }
    if let Some(p) = last {
        println!(
            "rust prepare: {} bytes in -> {}x{} {} {} bytes out",
            bytes.len(),
            p.image.width,
            p.image.height,
            p.image.mime,
            p.image.bytes.len()
        );
    }
    report("rust", &mut times);
    Ok(())
}

fn report(name: &str, times: &mut [f64]) {
    if times.is_empty() {
        return;
    }
    times.sort_by(f64::total_cmp);
    let mean = times.iter().sum::<f64>() / times.len() as f64;
    println!(
        "{name}: n={} min={:.1} ms median={:.1} ms mean={:.1} ms max={:.1} ms",
        times.len(),
        times[0],
        times[times.len() / 2],
        mean,
        times[times.len() - 1]
    );
}
