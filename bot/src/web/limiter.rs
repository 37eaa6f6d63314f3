//! Sign-in attempts: at most `web.signin_per_client` per `web.signin_window`
//! from one client address and `web.signin_global` from everyone, so the
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

/// Per client, in all, and the window both count in.
type Rule = (u32, u32, Duration);

type Clients = Arc<DefaultKeyedRateLimiter<IpAddr>>;
type All = Arc<DefaultDirectRateLimiter>;

/// The sign-in limiter. Cheap to clone; clones share their counts.
#[derive(Clone, Default)]
pub struct SignInLimiter {
    built: Arc<Mutex<Option<(Rule, Clients, All)>>>,
}

impl SignInLimiter {
    /// Takes one attempt for `client` (`None`: the address is unknown, and
    /// all such callers share one allowance) under `per_client` and
    /// `global` attempts per `window`. `Err(wait)`: refused, retry after `wait`.
    pub fn check(
        &self,
        client: Option<IpAddr>,
        per_client: u32,
        global: u32,
        window: Duration,
    ) -> Result<(), Duration> {
        let rule = (
            per_client.max(1),
            global.max(1),
            window.max(Duration::from_secs(1)),
        );
        let (clients, all) = self.limiters(rule);
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

    fn limiters(&self, rule: Rule) -> (Clients, All) {
        let mut built = self.built.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((was, clients, all)) = built.as_ref()
            && *was == rule
        {
            return (clients.clone(), all.clone());
        }
        let clients: Clients = Arc::new(DefaultKeyedRateLimiter::keyed(quota(rule.0, rule.2)));
        let all: All = Arc::new(DefaultDirectRateLimiter::direct(quota(rule.1, rule.2)));
        *built = Some((rule, clients.clone(), all.clone()));
        (clients, all)
    }
}

/// `n` attempts at once, then one back every `window / n`.
fn quota(n: u32, window: Duration) -> Quota {
    let burst = NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN);
    Quota::with_period(window / burst.get())
        .unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN))
        .allow_burst(burst)
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

    const HOUR: Duration = Duration::from_secs(3600);

    #[test]
    fn one_address_is_limited_without_limiting_the_others() {
        let limiter = SignInLimiter::default();
        let a = Some(IpAddr::from([10, 0, 0, 1]));
        let b = Some(IpAddr::from([10, 0, 0, 2]));
        for _ in 0..3 {
            assert_eq!(limiter.check(a, 3, 100, HOUR), Ok(()));
        }
        // An hour's window of 3: the next attempt comes back in ~20 minutes.
        let wait = limiter
            .check(a, 3, 100, HOUR)
            .expect_err("the fourth attempt in the window");
        assert!(wait > Duration::from_secs(600), "{wait:?}");
        assert_eq!(limiter.check(b, 3, 100, HOUR), Ok(()));
    }

    #[test]
    fn many_addresses_together_meet_the_global_limit() {
        let limiter = SignInLimiter::default();
        for i in 0..4u8 {
            let client = Some(IpAddr::from([10, 0, 1, i]));
            assert_eq!(limiter.check(client, 5, 4, HOUR), Ok(()));
        }
        let late = Some(IpAddr::from([10, 0, 1, 9]));
        assert!(limiter.check(late, 5, 4, HOUR).is_err());
    }
}
