//! Waiting for a condition without fixed sleeps: poll every 10 ms up to a
//! generous deadline, then fail the test saying what never happened.

use std::future::Future;
use std::time::Duration;

use super::WAIT;

/// Polls `check` every 10 ms until it yields `Some`, panicking with `what`
/// after [`WAIT`](super::WAIT). Shared by the tests that wait on other conditions.
pub async fn poll_until<T>(what: &str, mut check: impl FnMut() -> Option<T>) -> T {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        if let Some(found) = check() {
            return found;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Like [`poll_until`] for an async check.
pub async fn poll_until_async<T, F>(what: &str, mut check: impl FnMut() -> F) -> T
where
    F: Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        if let Some(found) = check().await {
            return found;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}
