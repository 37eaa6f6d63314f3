//! The `[gateway]` section: running the gateway as its own service.
//!
//! Two sides read it. A bot process (`easel`) with `url` set talks to a
//! remote gateway over its frontend API instead of embedding one; the
//! gateway process (`easel-gateway`) accepts frontends whose token is in
//! `frontends`.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::ConfigError;
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

    /// A remote gateway needs an http(s) URL and this bot's token; a
    /// frontend token must not be empty (it would let nobody in, silently).
    pub fn validate(&self) -> Result<(), ConfigError> {
        let err = |key: &str, problem: &str| ConfigError {
            key: format!("gateway.{key}"),
            problem: problem.to_owned(),
        };
        if self.is_remote() {
            if !(self.url.starts_with("http://") || self.url.starts_with("https://")) {
                return Err(err("url", "must start with http:// or https://"));
            }
            if self.token.is_empty() {
                return Err(err(
                    "token",
                    "a remote gateway needs this bot's token (EASEL_GATEWAY_TOKEN)",
                ));
            }
        }
        if let Some((name, _)) = self.frontends.iter().find(|(_, t)| t.is_empty()) {
            return Err(err(&format!("frontends.{name}"), "the token is empty"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_remote_gateway_needs_a_url_scheme_and_a_token() {
        let mut c = GatewayConfig::default();
        c.validate().unwrap();
        c.url = "gateway:8787".into();
        assert_eq!(c.validate().unwrap_err().key, "gateway.url");
        c.url = "http://gateway:8787".into();
        assert_eq!(c.validate().unwrap_err().key, "gateway.token");
        c.token = Secret::new("t");
        c.validate().unwrap();
        c.frontends.insert("telegram".into(), Secret::default());
        assert_eq!(c.validate().unwrap_err().key, "gateway.frontends.telegram");
    }
}
