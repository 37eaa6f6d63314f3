//! Keeps each chat frontend running: a platform that cannot be reached (at
//! start-up or later) is retried with exponential backoff while everything
//! else (the other frontend, the admin API, running jobs) keeps serving. A
//! token the platform rejects is not retried: it stops the process (exit 64).
//!
//! Backoff waits on the gateway's [`Clock`], so tests move it with the
//! manual clock instead of waiting.

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use easel_gateway::ledger::Clock;
use easel_gateway::readiness::{Check, CheckFuture};
use tokio_util::sync::CancellationToken;

/// The first wait after a failure; doubled per failure up to [`MAX_BACKOFF`].
pub const FIRST_BACKOFF: Duration = Duration::from_secs(1);

/// The longest wait between attempts.
pub const MAX_BACKOFF: Duration = Duration::from_secs(60);

/// How a frontend run ended, as the supervisor acts on it.
#[derive(Debug)]
pub enum Outcome {
    /// Stopped because shutdown was asked.
    Stopped,
    /// The platform could not be reached or dropped us: try again later.
    Unreachable(String),
    /// The platform refused the token: a configuration error, not retried.
    TokenRejected(String),
    /// Anything else that retrying cannot fix (a bad key, a port in use).
    Fatal(String),
}

/// Why a supervised frontend gave up.
#[derive(Debug, thiserror::Error)]
pub enum GaveUp {
    /// The platform refused the token (exit 64).
    #[error("{platform}: the platform rejected the token: {reason}")]
    TokenRejected {
        /// `telegram` or `discord`.
        platform: &'static str,
        /// What the platform said (never the token).
        reason: String,
    },
    /// Retrying cannot help.
    #[error("{platform}: {reason}")]
    Fatal {
        /// `telegram` or `discord`.
        platform: &'static str,
        /// What went wrong.
        reason: String,
    },
}

/// A frontend's link state as readiness sees it. Cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct Link {
    /// `Some(why)` while waiting to retry.
    retrying: Arc<Mutex<Option<String>>>,
}

impl Link {
    fn set(&self, state: Option<String>) {
        *self.retrying.lock().unwrap_or_else(|e| e.into_inner()) = state;
    }

    /// Why the frontend is down and waiting to retry, if it is.
    pub fn retrying(&self) -> Option<String> {
        self.retrying
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// A readiness check: fails while retrying, else asks the platform
    /// with `live` (so an outage after start-up shows too).
    pub fn check<F, Fut>(&self, live: F) -> Check
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), String>> + Send + 'static,
    {
        let link = self.clone();
        Arc::new(move || -> CheckFuture {
            match link.retrying() {
                Some(why) => Box::pin(async move { Err(format!("retrying: {why}")) }),
                None => Box::pin(live()),
            }
        })
    }
}

/// Runs `run` until it stops on `stop` or fails for good; an unreachable
/// platform is retried after 1 s, 2 s, 4 s ... up to [`MAX_BACKOFF`] on
/// `clock`. A run that lasted longer than the longest backoff resets it.
pub async fn supervise<F, Fut>(
    platform: &'static str,
    clock: Clock,
    link: Link,
    stop: CancellationToken,
    mut run: F,
) -> Result<(), GaveUp>
where
    F: FnMut(CancellationToken) -> Fut,
    Fut: Future<Output = Outcome>,
{
    let mut backoff = FIRST_BACKOFF;
    loop {
        let started = clock.now();
        let outcome = run(stop.clone()).await;
        if stop.is_cancelled() {
            return Ok(());
        }
        let why = match outcome {
            Outcome::Stopped => "stopped unexpectedly".to_owned(),
            Outcome::Unreachable(why) => why,
            Outcome::TokenRejected(reason) => {
                return Err(GaveUp::TokenRejected { platform, reason });
            }
            Outcome::Fatal(reason) => return Err(GaveUp::Fatal { platform, reason }),
        };
        if clock.now().0 - started.0 > MAX_BACKOFF.as_millis() as i64 {
            backoff = FIRST_BACKOFF;
        }
        // The deadline is fixed before the state is published, so a test
        // that sees "retrying" and advances the clock always reaches it.
        let deadline = clock.now().plus(backoff);
        tracing::warn!(platform, error = %why, retry_in = ?backoff, "platform unreachable: retrying; everything else keeps serving");
        link.set(Some(why));
        tokio::select! {
            () = stop.cancelled() => return Ok(()),
            () = clock.sleep_until(deadline) => {}
        }
        link.set(None);
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

/// Aborts a frontend's background task (its admin-notice forwarder) when
/// the run that started it ends, so a retried frontend never forwards twice.
#[derive(Debug)]
pub struct TaskGuard(pub tokio::task::JoinHandle<()>);

impl Drop for TaskGuard {
    fn drop(&mut self) {
        self.0.abort();
    }
}
