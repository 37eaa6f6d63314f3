//! Checks of where quota state lives: Redis (reachable with the URL's
//! credentials, no eviction, persistence on; the ledger's own start-up
//! check) or, without Redis, that the embedded stores' files can be written.

use std::fs::OpenOptions;
use std::path::Path;
use std::sync::Arc;

use easel_gateway::ledger::redis::{RedisLedger, ServerRisk};
use easel_gateway::ledger::{Clock, LedgerError};
use easel_shared::config::Config;

use super::{Check, key_or_env};

/// The quota store checks.
pub(super) async fn checks(config: &Config) -> Vec<Check> {
    if config.ledger.redis_url.is_empty() {
        vec![
            writable("ledger.path", Path::new(&config.ledger.path)),
            writable("results.path", Path::new(&config.results.path)),
        ]
    } else {
        redis(config).await
    }
}

async fn redis(config: &Config) -> Vec<Check> {
    let shared = Arc::new(arc_swap::ArcSwap::from_pointee(config.clone()));
    let ledger = match RedisLedger::connect(
        &config.ledger.redis_url,
        &config.ledger.key_prefix,
        shared,
        Clock::real(),
    )
    .await
    {
        Ok(ledger) => ledger,
        Err(LedgerError::Refused(why)) => {
            return vec![Check::fail(
                "ledger.key_prefix",
                why,
                format!("change {}", key_or_env("ledger.key_prefix")),
            )];
        }
        // The ledger's error already hides a password in the URL.
        Err(e) => {
            return vec![Check::fail(
                "ledger.redis_url",
                e.to_string(),
                format!(
                    "check host, port and password in {}",
                    key_or_env("ledger.redis_url")
                ),
            )];
        }
    };
    let risks = ledger.server_risks().await;
    let mut out = vec![Check::ok("ledger.redis_url", "Redis answers")];
    if let Some(reason) = risks.iter().find_map(|r| match r {
        ServerRisk::Unchecked { reason } => Some(reason),
        _ => None,
    }) {
        out.push(Check::warn(
            "redis settings",
            format!("could not be read ({reason})"),
            "make sure maxmemory-policy is noeviction and AOF or RDB persistence is on",
        ));
        return out;
    }
    out.push(
        match risks.iter().find_map(|r| match r {
            ServerRisk::Evicts { policy, .. } => Some(policy),
            _ => None,
        }) {
            Some(policy) => Check::fail(
                "redis maxmemory-policy",
                format!(
                    "`{policy}`: Redis may evict ledger keys, silently resetting quotas and credits"
                ),
                "CONFIG SET maxmemory-policy noeviction, and set it in redis.conf",
            ),
            None => Check::ok("redis maxmemory-policy", "noeviction"),
        },
    );
    out.push(
        if risks
            .iter()
            .any(|r| matches!(r, ServerRisk::NotPersisted { .. }))
        {
            Check::warn(
                "redis persistence",
                "off (appendonly no, save \"\"): a restart loses every balance and reservation",
                "CONFIG SET appendonly yes, and set it in redis.conf",
            )
        } else {
            Check::ok("redis persistence", "on")
        },
    );
    out
}

/// Whether the store file at `file` can be written: the file itself if it
/// exists, else a new file in its directory.
fn writable(key: &str, file: &Path) -> Check {
    let dir = file
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let probe = if file.exists() {
        // Opened for writing without truncating: the store is untouched.
        OpenOptions::new().write(true).open(file).map(drop)
    } else {
        let probe = dir.join(format!(".easel-doctor-{}", std::process::id()));
        OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&probe)
            .and_then(|_| std::fs::remove_file(&probe))
    };
    match probe {
        Ok(()) => Check::ok(key, format!("{} is writable", file.display())),
        Err(e) => Check::fail(
            key,
            format!("cannot write {} in {}: {e}", file.display(), dir.display()),
            format!(
                "create the directory and let this user write it, or point {} elsewhere",
                key_or_env(key)
            ),
        ),
    }
}
