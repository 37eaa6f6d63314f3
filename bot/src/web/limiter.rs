//! Sign-in attempts: at most `web.signin_per_client` a minute from one
//! client address and `web.signin_global` a minute from everyone, so the
//! admin token cannot be guessed quickly from one address or from many.
//!
//! governor, in this process, like the gateway's burst limiters
//! (`admission/burst.rs`): with N replicas an attacker gets N times the
//! attempts, still far too few against a long token. Every attempt takes a
//! cell, right or wrong, before the token is compared. The rules follow the
//! config: a reload with other numbers starts fresh limiters.

use std::net::{IpAddr, Ipv4Addr};
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use governor::clock::Clock as _;
use governor::{DefaultDirectRateLimiter, DefaultKeyedRateLimiter, Quota};

/// Client keys kept before resting ones are dropped (bounds memory).
const TIDY_ABOVE: usize = 10_000;

/// The sign-in limiter. Cheap to clone; clones share their counts.
#[derive(Clone, Default)]
pub struct SignInLimiter {
    built: Arc<Mutex<Option<Built>>>,
}

struct Built {
    rule: (u32, u32),
    clients: Arc<DefaultKeyedRateLimiter<IpAddr>>,
    all: Arc<DefaultDirectRateLimiter>,
}

impl SignInLimiter {
    /// Takes one attempt for `client` (`None`: the address is unknown, and
    /// all such callers share one allowance) under `per_client` and
    /// `global` attempts a minute. `Err(wait)`: refused, retry after `wait`.
    pub fn check(
        &self,
        client: Option<IpAddr>,
        per_client: u32,
        global: u32,
    ) -> Result<(), Duration> {
        let (clients, all) = self.limiters((per_client.max(1), global.max(1)));
        let key = client.unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
        clients
            .check_key(&key)
            .map_err(|not_until| not_until.wait_time_from(clients.clock().now()))?;
        all.check()
            .map_err(|not_until| not_until.wait_time_from(all.clock().now()))?;
        if clients.len() > TIDY_ABOVE {
            clients.retain_recent();
            clients.shrink_to_fit();
        }
        Ok(())
    }

    fn limiters(
        &self,
        rule: (u32, u32),
    ) -> (
        Arc<DefaultKeyedRateLimiter<IpAddr>>,
        Arc<DefaultDirectRateLimiter>,
    ) {
        let mut built = self.built.lock().unwrap_or_else(PoisonError::into_inner);
        match built.as_ref() {
            Some(b) if b.rule == rule => (b.clients.clone(), b.all.clone()),
            _ => {
                let per_minute =
                    |n: u32| Quota::per_minute(NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN));
                let fresh = Built {
                    rule,
                    clients: Arc::new(DefaultKeyedRateLimiter::keyed(per_minute(rule.0))),
                    all: Arc::new(DefaultDirectRateLimiter::direct(per_minute(rule.1))),
                };
                let pair = (fresh.clients.clone(), fresh.all.clone());
                *built = Some(fresh);
                pair
            }
        }
    }
}

/// The client's address as the server saw the connection (`None` when the
/// server was started without connection info, as in `oneshot` tests).
/// Behind a reverse proxy this is the proxy: all clients then share one
/// allowance, which errs on the safe side.
#[derive(Debug, Clone, Copy)]
pub struct ClientAddr(pub Option<IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let addr = parts
            .extensions
            .get::<ConnectInfo<std::net::SocketAddr>>()
            .map(|ConnectInfo(addr)| addr.ip());
        Ok(ClientAddr(addr))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_address_is_limited_without_limiting_the_others() {
        let limiter = SignInLimiter::default();
        let a = Some(IpAddr::from([10, 0, 0, 1]));
        let b = Some(IpAddr::from([10, 0, 0, 2]));
        for _ in 0..3 {
            assert_eq!(limiter.check(a, 3, 100), Ok(()));
        }
        let wait = limiter
            .check(a, 3, 100)
            .expect_err("the fourth attempt in a minute");
        assert!(
            wait > Duration::ZERO && wait <= Duration::from_secs(20),
            "{wait:?}"
        );
        assert_eq!(limiter.check(b, 3, 100), Ok(()));
    }

    #[test]
    fn many_addresses_together_meet_the_global_limit() {
        let limiter = SignInLimiter::default();
        for i in 0..4u8 {
            assert_eq!(
                limiter.check(Some(IpAddr::from([10, 0, 1, i])), 5, 4),
                Ok(())
            );
        }
        assert!(
            limiter
                .check(Some(IpAddr::from([10, 0, 1, 9])), 5, 4)
                .is_err()
        );
    }
}
