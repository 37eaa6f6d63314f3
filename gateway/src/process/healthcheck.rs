//! The `healthcheck` subcommand of both binaries: asks the running process's
//! HTTP server whether it answers `/healthz`, so a container runtime (Docker's
//! `HEALTHCHECK`, compose) can probe it without a curl in the image.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use easel_shared::config::HttpConfig;

/// How long one probe may take, connect included. The runtime probes every
/// few seconds; a process that cannot answer `/healthz` within this is stuck.
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(3);

/// Why the process is not healthy (or cannot be checked).
#[derive(Debug, thiserror::Error)]
pub enum HealthError {
    /// `http.listen` is empty: there is no `/healthz` to ask.
    #[error(
        "http.listen is empty, so the HTTP server (and its /healthz) is disabled; \
         set http.listen or EASEL_LISTEN to check health"
    )]
    Disabled,
    /// `http.listen` names no port to connect to.
    #[error("http.listen {0:?} is not an address with a port")]
    BadListen(String),
    /// The HTTP client could not be built.
    #[error("cannot build the HTTP client: {0}")]
    Client(reqwest::Error),
    /// Nothing answered in time.
    #[error("no answer from {url}: {reason}")]
    Unreachable {
        /// The URL probed.
        url: String,
        /// What went wrong (connection refused, timed out, ...).
        reason: String,
    },
    /// The server answered, but not with success.
    #[error("{url} answered HTTP {status}")]
    Unhealthy {
        /// The URL probed.
        url: String,
        /// The status it answered.
        status: u16,
    },
}

/// The `/healthz` URL of a server listening on `listen`. A wildcard address
/// (`0.0.0.0`, `[::]`) is not somewhere to connect to: it becomes the
/// loopback address of the same family, which the server also accepts.
pub fn healthz_url(listen: &str) -> Result<String, HealthError> {
    let listen = listen.trim();
    if listen.is_empty() {
        return Err(HealthError::Disabled);
    }
    if let Ok(mut addr) = listen.parse::<SocketAddr>() {
        if addr.ip().is_unspecified() {
            addr.set_ip(match addr.ip() {
                IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::LOCALHOST),
                IpAddr::V6(_) => IpAddr::V6(Ipv6Addr::LOCALHOST),
            });
        }
        return Ok(format!("http://{addr}/healthz"));
    }
    // A host name (`localhost:8787`), as the server's bind also accepts.
    match listen.rsplit_once(':') {
        Some((host, port)) if !host.is_empty() && port.parse::<u16>().is_ok() => {
            Ok(format!("http://{host}:{port}/healthz"))
        }
        _ => Err(HealthError::BadListen(listen.to_owned())),
    }
}

/// Probes `/healthz` of the server `http` configures; returns the URL that
/// answered with success.
pub async fn probe(http: &HttpConfig) -> Result<String, HealthError> {
    let url = healthz_url(&http.listen)?;
    // No proxy: a proxy set for the providers must not see a loopback probe.
    let client = reqwest::Client::builder()
        .timeout(PROBE_TIMEOUT)
        .no_proxy()
        .build()
        .map_err(HealthError::Client)?;
    let response = client
        .get(&url)
        .send()
        .await
        .map_err(|e| HealthError::Unreachable {
            url: url.clone(),
            reason: reason(&e),
        })?;
    let status = response.status();
    if status.is_success() {
        Ok(url)
    } else {
        Err(HealthError::Unhealthy {
            url,
            status: status.as_u16(),
        })
    }
}

/// reqwest's own message is "error sending request"; the cause says why.
fn reason(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        return format!("timed out after {}s", PROBE_TIMEOUT.as_secs());
    }
    let mut words = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        words.push_str(": ");
        words.push_str(&cause.to_string());
        source = cause.source();
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_become_loopback_of_the_same_family() {
        let url = |l: &str| healthz_url(l).unwrap();
        assert_eq!(url("0.0.0.0:8787"), "http://127.0.0.1:8787/healthz");
        assert_eq!(url("[::]:8787"), "http://[::1]:8787/healthz");
        assert_eq!(url("10.1.2.3:80"), "http://10.1.2.3:80/healthz");
        assert_eq!(url("[::1]:9000"), "http://[::1]:9000/healthz");
        assert_eq!(url("localhost:8787"), "http://localhost:8787/healthz");
    }

    #[test]
    fn an_address_without_a_port_is_refused_and_empty_is_disabled() {
        assert!(matches!(healthz_url(""), Err(HealthError::Disabled)));
        assert!(matches!(healthz_url("  "), Err(HealthError::Disabled)));
        for bad in ["localhost", ":8787", "host:http", "0.0.0.0:99999"] {
            assert!(
                matches!(healthz_url(bad), Err(HealthError::BadListen(_))),
                "{bad}"
            );
        }
    }
}
