//! The `[gateway]` section: running the gateway as its own service.
//!
//! Two sides read it. A bot process (`easel`) with `url` set talks to a
//! remote gateway over its frontend API instead of embedding one; the
//! gateway process (`easel-gateway`) accepts frontends whose token is in
//! `frontends`.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::secret::Secret;

/// The gateway as a service.
///
/// ```toml
/// [gateway]
/// url = "http://gateway.internal:8787"   # empty: embed the gateway
/// token = ""                             # better: EASEL_GATEWAY_TOKEN
///
/// [gateway.frontends]                    # on the gateway: who may connect
/// telegram = "a-long-random-token"
/// discord = "another-long-random-token"
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GatewayConfig {
    /// The remote gateway's base URL; empty embeds the gateway in `easel`.
    pub url: String,
    /// This bot's frontend token at the remote gateway (one entry of its
    /// `gateway.frontends`).
    pub token: Secret,
    /// On the gateway: each frontend's name and its bearer token. Empty
    /// disables the frontend API.
    pub frontends: BTreeMap<String, Secret>,
    /// How long a finished job's events stay readable, so a frontend whose
    /// connection dropped can resume and still get the end.
    #[serde(with = "humantime_serde")]
    pub events_grace: Duration,
}

impl Default for GatewayConfig {
    fn default() -> Self {
        Self {
            url: String::new(),
            token: Secret::default(),
            frontends: BTreeMap::new(),
            events_grace: Duration::from_secs(120),
        }
    }
}

impl GatewayConfig {
    /// Whether `easel` should talk to a remote gateway.
    pub fn is_remote(&self) -> bool {
        !self.url.is_empty()
    }
}
