//! The start-up check of the Redis server's settings, on every master of a
//! cluster (each one holds part of the quota state).

use std::collections::BTreeMap;

use redis::FromRedisValue;

use super::RedisLedger;

/// The settings read, in this order.
const SETTINGS: [&str; 3] = ["maxmemory-policy", "appendonly", "save"];

/// A server setting that can silently lose quota state (see
/// [`RedisLedger::server_risks`]). Displays as the warning the start-up logs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServerRisk {
    /// `maxmemory-policy` is not `noeviction`: ledger keys can be evicted.
    Evicts {
        /// The configured policy, e.g. `allkeys-lru`.
        policy: String,
        /// The master's address on a cluster; empty for a single node.
        node: String,
    },
    /// Neither AOF nor RDB snapshots: a restart loses everything.
    NotPersisted {
        /// The master's address on a cluster; empty for a single node.
        node: String,
    },
    /// The settings could not be read (e.g. `CONFIG` is disabled).
    Unchecked {
        /// Why, with any password in the URL scrubbed.
        reason: String,
    },
}

/// " (on host:port)" for a cluster's master; nothing for a single node.
fn on(node: &str) -> String {
    if node.is_empty() {
        String::new()
    } else {
        format!(" (on {node})")
    }
}

impl std::fmt::Display for ServerRisk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ServerRisk::Evicts { policy, node } => write!(
                f,
                "Redis maxmemory-policy is `{policy}`{}: evicting ledger keys silently resets \
                 quotas and credits; set it to noeviction",
                on(node)
            ),
            ServerRisk::NotPersisted { node } => write!(
                f,
                "Redis persistence is off (appendonly no, save \"\"){}: a restart loses every \
                 credit balance and reservation; enable AOF",
                on(node)
            ),
            ServerRisk::Unchecked { reason } => write!(
                f,
                "could not check the Redis settings (CONFIG GET failed: {reason}); make sure \
                 maxmemory-policy is noeviction and persistence is on"
            ),
        }
    }
}

/// The risky settings of every master `l` talks to.
pub(super) async fn check(l: &RedisLedger) -> Vec<ServerRisk> {
    let nodes = match read(l).await {
        Ok(nodes) => nodes,
        Err(e) => {
            return vec![ServerRisk::Unchecked {
                reason: l.redactor.scrub(&e.to_string()),
            }];
        }
    };
    let mut risks = Vec::new();
    for (node, [policy, aof, save]) in nodes {
        if policy != "noeviction" {
            risks.push(ServerRisk::Evicts {
                policy,
                node: node.clone(),
            });
        }
        if aof != "yes" && save.trim().is_empty() {
            risks.push(ServerRisk::NotPersisted { node });
        }
    }
    risks
}

/// Each master's values of [`SETTINGS`], by address (`""` for a single node).
async fn read(l: &RedisLedger) -> redis::RedisResult<BTreeMap<String, [String; 3]>> {
    let mut nodes: BTreeMap<String, [String; 3]> = BTreeMap::new();
    for (i, name) in SETTINGS.iter().enumerate() {
        let mut get = redis::cmd("CONFIG");
        get.arg("GET").arg(*name);
        for (node, reply) in l.con.on_every_master(&get).await? {
            let pair = Vec::<String>::from_redis_value(reply)?;
            nodes.entry(node).or_default()[i] = pair.get(1).cloned().unwrap_or_default();
        }
    }
    Ok(nodes)
}
