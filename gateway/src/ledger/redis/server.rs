//! The start-up check of the Redis server's settings.

use super::RedisLedger;

/// A server setting that can silently lose quota state (see
/// [`RedisLedger::server_risks`]). Displays as the warning the start-up logs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServerRisk {
    /// `maxmemory-policy` is not `noeviction`: ledger keys can be evicted.
    Evicts {
        /// The configured policy, e.g. `allkeys-lru`.
        policy: String,
    },
    /// Neither AOF nor RDB snapshots: a restart loses everything.
    NotPersisted,
    /// The settings could not be read (e.g. `CONFIG` is disabled).
    Unchecked {
        /// Why, with any password in the URL scrubbed.
        reason: String,
    },
}

impl std::fmt::Display for ServerRisk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ServerRisk::Evicts { policy } => write!(
                f,
                "Redis maxmemory-policy is `{policy}`: evicting ledger keys silently resets \
                 quotas and credits; set it to noeviction"
            ),
            ServerRisk::NotPersisted => f.write_str(
                "Redis persistence is off (appendonly no, save \"\"): a restart loses every \
                 credit balance and reservation; enable AOF",
            ),
            ServerRisk::Unchecked { reason } => write!(
                f,
                "could not check the Redis settings (CONFIG GET failed: {reason}); make sure \
                 maxmemory-policy is noeviction and persistence is on"
            ),
        }
    }
}

/// The risky settings of the server `l` talks to.
pub(super) async fn check(l: &RedisLedger) -> Vec<ServerRisk> {
    let mut con = l.con.clone();
    let mut get = async |name: &str| -> Result<String, redis::RedisError> {
        let pair: Vec<String> = redis::cmd("CONFIG")
            .arg("GET")
            .arg(name)
            .query_async(&mut con)
            .await?;
        Ok(pair.get(1).cloned().unwrap_or_default())
    };
    let checked = async {
        Ok::<_, redis::RedisError>((
            get("maxmemory-policy").await?,
            get("appendonly").await?,
            get("save").await?,
        ))
    };
    let (policy, aof, save) = match checked.await {
        Ok(v) => v,
        Err(e) => {
            return vec![ServerRisk::Unchecked {
                reason: l.redactor.scrub(&e.to_string()),
            }];
        }
    };
    let mut risks = Vec::new();
    if policy != "noeviction" {
        risks.push(ServerRisk::Evicts { policy });
    }
    if aof != "yes" && save.trim().is_empty() {
        risks.push(ServerRisk::NotPersisted);
    }
    risks
}
