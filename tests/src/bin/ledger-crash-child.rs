//! The child process of the embedded ledger's crash test: opens the ledger at
//! a path and hammers it with reserves, settles and grants from many tasks,
//! printing one line per ACKNOWLEDGED operation (flushed at once) until it is
//! killed. The parent kills it with SIGKILL and checks that every printed
//! operation survived. Usage: `ledger-crash-child <path> <tasks>`.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use easel_gateway::ledger::{Admission, Clock, Ledger, Settlement};
use easel_shared::admin::Actor;
use easel_tests::ledger::config::{HOUR, one_window};
use easel_tests::ledger::{T0, open_embedded, req, rid, shared, user};

/// Users the load is spread over.
pub const USERS: u64 = 16;

fn ack(line: &str) -> Result<()> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{line}")?;
    out.flush()?;
    Ok(())
}

async fn worker(ledger: std::sync::Arc<dyn Ledger>, task: u64) -> Result<()> {
    for k in 0u64.. {
        let u = user((task + k) % USERS);
        let id = format!("t{task}-{k}");
        match ledger.reserve(&req(u, &id, 2)).await? {
            Admission::Admitted(r) => ack(&format!("R {} {id} {}", u.id, r.from_windows))?,
            denied => bail!("{id} denied: {denied:?}"),
        }
        let how = Settlement::Delivered {
            images: 1,
            cost_micros: 1,
        };
        ledger.settle(u, &rid(&id), how).await?;
        ack(&format!("S {} {id}", u.id))?;
        if k % 5 == 0 {
            let balance = ledger
                .adjust_credits(u, 1, "crash test", Actor::Api)
                .await?;
            ack(&format!("C {} {balance}", u.id))?;
        }
    }
    Ok(())
}

#[tokio::main]
async fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let path = PathBuf::from(
        args.next()
            .context("usage: ledger-crash-child <path> <tasks>")?,
    );
    let tasks: u64 = args.next().context("tasks")?.parse().context("tasks")?;
    let config = shared(one_window(1_000_000, 24 * HOUR));
    let ledger: std::sync::Arc<dyn Ledger> =
        std::sync::Arc::new(open_embedded(&path, config, Clock::manual(T0)).await?);
    ack("READY")?;
    let handles: Vec<_> = (0..tasks)
        .map(|t| tokio::spawn(worker(ledger.clone(), t)))
        .collect();
    for h in handles {
        h.await??;
    }
    Ok(())
}
