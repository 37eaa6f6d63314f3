//! Checks the remote gateway `easel` runs against when `gateway.url` is
//! set: that something answers there, that it accepts this bot's frontend
//! token, which release it runs and whether it serves jobs, and its
//! `/readyz` verdict where it serves one.

use std::time::Duration;

use easel_gateway::service::remote::wire::{BASE, GatewayInfo};
use easel_shared::config::GatewayConfig;
use reqwest::StatusCode;

use super::{Check, key_or_env};
use crate::cli::scrub;

/// How long one probe may take.
const PROBE_TIMEOUT: Duration = Duration::from_secs(10);

/// The remote gateway's checks (nothing when the gateway is embedded).
pub(super) async fn checks(g: &GatewayConfig) -> Vec<Check> {
    if !g.is_remote() {
        return Vec::new();
    }
    let token = g.token.expose();
    let base = g.url.trim_end_matches('/');
    let client = match reqwest::Client::builder().timeout(PROBE_TIMEOUT).build() {
        Ok(c) => c,
        Err(e) => {
            return vec![Check::fail(
                "gateway.url",
                format!("no HTTP client: {}", super::describe(&e)),
                "this is a bug in easel; report it",
            )];
        }
    };
    let info = client
        .get(format!("{base}{BASE}/info"))
        .bearer_auth(token)
        .send()
        .await;
    let resp = match info {
        Ok(resp) => resp,
        Err(e) => {
            return vec![Check::fail(
                "gateway.url",
                format!(
                    "cannot reach the gateway at {}: {}",
                    g.url,
                    scrub(&super::describe(&e), &[token])
                ),
                format!(
                    "start easel-gateway there, or correct {}",
                    key_or_env("gateway.url")
                ),
            )];
        }
    };
    let mut checks = Vec::new();
    match resp.status() {
        StatusCode::UNAUTHORIZED => {
            checks.push(Check::fail(
                "gateway.token",
                format!("the gateway at {} refused this bot's token", g.url),
                format!(
                    "set {} to this bot's entry in the gateway's gateway.frontends",
                    key_or_env("gateway.token")
                ),
            ));
            return checks;
        }
        s if s.is_success() => match resp.json::<GatewayInfo>().await {
            Ok(info) => {
                checks.push(Check::ok(
                    "gateway.token",
                    "the gateway accepts this bot's token",
                ));
                checks.push(version_check(&info));
            }
            Err(e) => checks.push(Check::fail(
                "gateway.url",
                format!(
                    "{} answered, but not as an easel gateway: {}",
                    g.url,
                    super::describe(&e)
                ),
                format!(
                    "point {} at easel-gateway's HTTP address",
                    key_or_env("gateway.url")
                ),
            )),
        },
        other => checks.push(Check::fail(
            "gateway.url",
            format!("the gateway at {} answered HTTP {}", g.url, other.as_u16()),
            format!(
                "point {} at easel-gateway's HTTP address (an easel-gateway older than this bot has no /info: upgrade it)",
                key_or_env("gateway.url")
            ),
        )),
    }
    checks.extend(readiness(&client, base, &g.url).await);
    checks
}

/// The gateway's release against this bot's, and whether it serves jobs.
fn version_check(info: &GatewayInfo) -> Check {
    let ours = env!("CARGO_PKG_VERSION");
    if !info.serves_jobs {
        return Check::fail(
            "gateway.version",
            format!(
                "easel-gateway {} runs without [[backends.chain]]: it cannot make images",
                info.version
            ),
            "configure [[backends.chain]] on the gateway",
        );
    }
    if info.version != ours {
        return Check::warn(
            "gateway.version",
            format!(
                "easel-gateway {} serves jobs; this bot is {ours}",
                info.version
            ),
            "run the same release on both sides (the wire format follows the release)",
        );
    }
    Check::ok(
        "gateway.version",
        format!("easel-gateway {} serves jobs", info.version),
    )
}

/// `/readyz` where the gateway serves it (a gateway behind a proxy may not).
async fn readiness(client: &reqwest::Client, base: &str, url: &str) -> Option<Check> {
    let resp = client.get(format!("{base}/readyz")).send().await.ok()?;
    match resp.status() {
        StatusCode::OK => Some(Check::ok("gateway.ready", "/readyz says ready")),
        StatusCode::SERVICE_UNAVAILABLE => {
            let body = resp.text().await.unwrap_or_default();
            Some(Check::fail(
                "gateway.ready",
                format!("the gateway at {url} is not ready: {body}"),
                "fix what the gateway's /readyz names (its Redis, its stores), then check again",
            ))
        }
        _ => None,
    }
}
