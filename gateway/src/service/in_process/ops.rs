//! The in-process gateway's operations surface: its metrics, the result
//! store for readiness, and the graceful drain at shutdown.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use super::{GatewayError, InProcessGateway};
use crate::metrics::Metrics;
use crate::results::ResultStore;
use crate::runner::DrainReport;

impl InProcessGateway {
    /// The result store (for the readiness check).
    pub fn result_store(&self) -> Arc<dyn ResultStore> {
        self.results.clone()
    }

    /// The metrics this gateway records (served on `/metrics`).
    pub fn metrics(&self) -> Metrics {
        self.metrics.clone()
    }

    /// Graceful shutdown, step one: refuse new requests (`Denial::Restarting`,
    /// nothing charged), refund waiting jobs, let running ones finish within
    /// `grace`, then stop and refund the rest. Frontends keep serving
    /// meanwhile so finished jobs reach their users.
    pub async fn drain(&self, grace: std::time::Duration) -> DrainReport {
        self.draining.store(true, Ordering::SeqCst);
        let report = self.runner.drain(grace).await;
        tracing::info!(?report, "jobs drained");
        report
    }

    /// Whether [`InProcessGateway::drain`] has begun.
    pub fn is_draining(&self) -> bool {
        self.draining.load(Ordering::SeqCst)
    }

    /// Counts a refused admission by its denial kind.
    pub(super) fn count_denial(&self, e: &GatewayError) {
        if let GatewayError::Denied(refusal) = e {
            self.metrics.admission(Some(&refusal.denial));
        }
    }
}
