//! The start-up check of the Redis server's settings.

use super::RedisLedger;

/// Warnings about settings that silently lose quota state (see
/// [`RedisLedger::check_server`]).
pub(super) async fn check(l: &RedisLedger) -> Vec<String> {
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
            return vec![format!(
                "could not check the Redis settings (CONFIG GET failed: {}); make sure \
                     maxmemory-policy is noeviction and persistence is on",
                l.redactor.scrub(&e.to_string())
            )];
        }
    };
    let mut warnings = Vec::new();
    if policy != "noeviction" {
        warnings.push(format!(
            "Redis maxmemory-policy is `{policy}`: evicting ledger keys silently resets \
                 quotas and credits; set it to noeviction"
        ));
    }
    if aof != "yes" && save.trim().is_empty() {
        warnings.push(
            "Redis persistence is off (appendonly no, save \"\"): a restart loses every \
                 credit balance and reservation; enable AOF"
                .to_owned(),
        );
    }
    warnings
}
