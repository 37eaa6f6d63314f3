//! The fake OpenAI Images API (`easel_tests::fake_openai`) as a process, for
//! benchmarks and tools that need an upstream on a port: it answers at once
//! (zero latency), refuses what OpenAI refuses, and forgets the requests it
//! records every second so a long load run stays small.
//!
//! Usage: `fake-openai [--key KEY] [--latency-ms MS]` (default: the tests'
//! `API_KEY`, no latency; `--latency-ms` makes every image answer take that
//! much longer, like a provider rendering). Prints
//! `base_url=http://127.0.0.1:PORT/v1` on stdout once it listens; stops on
//! Ctrl-C or SIGTERM.

use std::time::Duration;

use easel_tests::fake_openai::{API_KEY, FakeOpenAi};

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let mut key = API_KEY.to_owned();
    let mut latency = Duration::ZERO;
    while let Some(arg) = args.next() {
        match (arg.as_str(), args.next()) {
            ("--key", Some(k)) => key = k,
            ("--latency-ms", Some(ms)) if ms.parse::<u64>().is_ok() => {
                latency = Duration::from_millis(ms.parse().unwrap_or_default());
            }
            _ => {
                eprintln!("usage: fake-openai [--key KEY] [--latency-ms MS]");
                std::process::exit(64);
            }
        }
    }
    let fake = FakeOpenAi::start_with_key(&key).await;
    fake.set_latency(latency);
    println!("base_url={}", fake.base_url());
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .expect("SIGTERM handler");
    loop {
        tokio::select! {
            _ = tick.tick() => fake.clear_requests(),
            _ = tokio::signal::ctrl_c() => break,
            _ = term.recv() => break,
        }
    }
}
