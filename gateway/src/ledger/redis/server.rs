//! The start-up check of the Redis server's settings, on every master of a
//! cluster (each one holds part of the quota state).

use std::collections::BTreeMap;

use redis::FromRedisValue;

use super::RedisLedger;

/// The settings read, in this order.
const SETTINGS: [&str; 3] = ["maxmemory-policy", "appendonly", "save"];

/// Warnings about settings that silently lose quota state (see
/// [`RedisLedger::check_server`]).
pub(super) async fn check(l: &RedisLedger) -> Vec<String> {
    let nodes = match read(l).await {
        Ok(nodes) => nodes,
        Err(e) => {
            return vec![format!(
                "could not check the Redis settings (CONFIG GET failed: {}); make sure \
                     maxmemory-policy is noeviction and persistence is on",
                l.redactor.scrub(&e.to_string())
            )];
        }
    };
    let mut warnings = Vec::new();
    for (node, [policy, aof, save]) in nodes {
        // A single node is not named; a cluster's warnings say which master.
        let on = if node.is_empty() {
            String::new()
        } else {
            format!(" (on {node})")
        };
        if policy != "noeviction" {
            warnings.push(format!(
                "Redis maxmemory-policy is `{policy}`{on}: evicting ledger keys silently \
                     resets quotas and credits; set it to noeviction"
            ));
        }
        if aof != "yes" && save.trim().is_empty() {
            warnings.push(format!(
                "Redis persistence is off (appendonly no, save \"\"){on}: a restart loses \
                     every credit balance and reservation; enable AOF"
            ));
        }
    }
    warnings
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
