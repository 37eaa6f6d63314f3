//! The `[web]` section: the browser pages (sign-in, dashboard, playground)
//! served on `http.listen`, and the links users reach them by.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::ConfigError;

/// The web pages.
///
/// ```toml
/// [http]
/// public_url = "https://easel.example.org"   # links and Secure cookies
///
/// [web]
/// enabled = true
/// session_ttl = "12h"
/// link_ttl = "10m"
/// signin_per_client = 5      # sign-in attempts per window per client address
/// signin_global = 60         # sign-in attempts per window in all
/// signin_window = "1m"
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WebConfig {
    /// Serve the pages (only where `http.listen` is set).
    pub enabled: bool,
    /// How long a browser stays signed in.
    #[serde(with = "humantime_serde")]
    pub session_ttl: Duration,
    /// How long an unused `/web` sign-in link works.
    #[serde(with = "humantime_serde")]
    pub link_ttl: Duration,
    /// Sign-in attempts per window from one client address (>= 1).
    pub signin_per_client: u32,
    /// Sign-in attempts per window from everyone together (>= 1), so many
    /// addresses cannot guess the admin token faster.
    pub signin_global: u32,
    /// The window both sign-in limits count in (attempts come back
    /// evenly over it).
    #[serde(with = "humantime_serde")]
    pub signin_window: Duration,
}

impl Default for WebConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            session_ttl: Duration::from_secs(12 * 3600),
            link_ttl: Duration::from_secs(10 * 60),
            signin_per_client: 5,
            signin_global: 60,
            signin_window: Duration::from_secs(60),
        }
    }
}

impl WebConfig {
    /// Checks the limits and lifetimes are usable.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let err = |key: &str, problem: &str| ConfigError {
            key: format!("web.{key}"),
            problem: problem.to_owned(),
        };
        if self.session_ttl < Duration::from_secs(60) {
            return Err(err("session_ttl", "must be at least 1m"));
        }
        if self.link_ttl < Duration::from_secs(10) || self.link_ttl > Duration::from_secs(86_400) {
            return Err(err("link_ttl", "must be between 10s and 24h"));
        }
        if self.signin_per_client == 0 {
            return Err(err("signin_per_client", "must be at least 1"));
        }
        if self.signin_window < Duration::from_secs(1) {
            return Err(err("signin_window", "must be at least 1s"));
        }
        if self.signin_global == 0 {
            return Err(err("signin_global", "must be at least 1"));
        }
        Ok(())
    }
}

/// Checks `http.public_url`: empty, or an absolute http(s) URL without a
/// query or fragment (links are built by appending paths to it).
pub(super) fn validate_public_url(url: &str) -> Result<(), ConfigError> {
    if url.is_empty() {
        return Ok(());
    }
    let err = |problem: &str| ConfigError {
        key: "http.public_url".to_owned(),
        problem: problem.to_owned(),
    };
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or_else(|| err("must start with https:// (or http:// for a private network)"))?;
    if rest.is_empty() || rest.starts_with('/') {
        return Err(err("names no host"));
    }
    if rest.contains(['?', '#', ' ']) {
        return Err(err("must not contain a query, a fragment or spaces"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_urls_are_checked() {
        for ok in [
            "",
            "https://easel.example.org",
            "http://10.0.0.2:8787/easel/",
        ] {
            assert_eq!(validate_public_url(ok), Ok(()), "{ok}");
        }
        for bad in ["easel.example.org", "https://", "https://x/?a=1", "ftp://x"] {
            let e = validate_public_url(bad).expect_err(bad);
            assert_eq!(e.key, "http.public_url");
        }
    }

    #[test]
    fn zero_limits_are_refused_by_name() {
        let web = WebConfig {
            signin_per_client: 0,
            ..WebConfig::default()
        };
        assert_eq!(web.validate().unwrap_err().key, "web.signin_per_client");
        assert_eq!(WebConfig::default().validate(), Ok(()));
    }
}
