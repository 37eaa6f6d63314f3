//! Prometheus metrics: one [`Metrics`] made at start-up and handed to the
//! pieces that record (admission in the service, the runner, the backend
//! chain, the reaper). No global registry: a clone shares the same series,
//! so tests make their own and read them back.
//!
//! Names (all prefixed `easel_`): see [`Metrics::new`]. Label values come
//! from closed sets (denial kinds, error kinds, configured backend and model
//! names), never from user input, so the series count stays bounded.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use easel_shared::admin::{BackendErrorCount, SpendStatus};
use easel_shared::{Denial, UnixMillis};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use crate::backend::BackendError;

/// `outcome` of an admission: `admitted` or `denied`, and the denial's kind.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct AdmissionLabels {
    outcome: &'static str,
    reason: &'static str,
}

/// How a reservation ended.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ReservationLabels {
    outcome: &'static str,
}

/// Which upstream: the backend's name and its configured model.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct UpstreamLabels {
    backend: String,
    model: String,
}

/// An upstream failure: backend, model and the error's kind.
#[derive(Debug, Clone, Hash, PartialEq, Eq, PartialOrd, Ord, EncodeLabelSet)]
struct UpstreamErrorLabels {
    backend: String,
    model: String,
    kind: &'static str,
}

/// How a reservation ended, as [`Metrics::reservation`] counts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReservationOutcome {
    /// Settled as delivered (the user was charged).
    Settled,
    /// Refunded by the runner (failure, cancel, shutdown, queue cap).
    Refunded,
    /// Refunded by the reaper after its worker vanished.
    Reaped,
}

/// Every series Easel exports, behind one registry. Cheap to clone.
#[derive(Clone)]
pub struct Metrics {
    registry: Arc<Registry>,
    admissions: Family<AdmissionLabels, Counter>,
    reservations: Family<ReservationLabels, Counter>,
    queue_depth: Gauge,
    queue_wait: Histogram,
    upstream_latency: Family<UpstreamLabels, Histogram>,
    upstream_errors: Family<UpstreamErrorLabels, Counter>,
    /// The label sets `upstream_errors` has seen: a `Family` cannot be
    /// iterated, and the dashboard reads the counts back through this index.
    error_labels: Arc<Mutex<BTreeSet<UpstreamErrorLabels>>>,
    cost: Family<UpstreamLabels, Counter>,
    spend_today: Gauge,
    spend_cap: Gauge,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

/// Seconds buckets from 50 ms to ~7 min: queue waits and image calls both
/// range from instant to minutes.
fn seconds_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.05, 2.0, 14))
}

impl Metrics {
    /// A fresh registry with every series registered (at zero).
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("easel");
        let admissions = Family::<AdmissionLabels, Counter>::default();
        registry.register(
            "admissions",
            "Submitted requests by admission outcome (admitted, or denied and why)",
            admissions.clone(),
        );
        let reservations = Family::<ReservationLabels, Counter>::default();
        registry.register(
            "reservations",
            "Reservations ended: settled (charged), refunded, or reaped after a crash",
            reservations.clone(),
        );
        let queue_depth = Gauge::default();
        registry.register(
            "queue_depth",
            "Admitted jobs waiting for an upstream slot",
            queue_depth.clone(),
        );
        let queue_wait = seconds_histogram();
        registry.register(
            "queue_wait_seconds",
            "Time from admission to the start of the upstream call",
            queue_wait.clone(),
        );
        let upstream_latency = Family::<UpstreamLabels, Histogram>::new_with_constructor(
            seconds_histogram as fn() -> _,
        );
        registry.register(
            "upstream_latency_seconds",
            "Duration of each upstream attempt, by backend and model",
            upstream_latency.clone(),
        );
        let upstream_errors = Family::<UpstreamErrorLabels, Counter>::default();
        registry.register(
            "upstream_errors",
            "Failed upstream attempts by backend, model and error kind",
            upstream_errors.clone(),
        );
        let cost = Family::<UpstreamLabels, Counter>::default();
        registry.register(
            "upstream_cost_micros",
            "Provider cost reported by upstream attempts, in micro-dollars",
            cost.clone(),
        );
        let spend_today = Gauge::default();
        registry.register(
            "spend_today_micros",
            "Micro-dollars reserved or spent today (UTC), read from the ledger at scrape",
            spend_today.clone(),
        );
        let spend_cap = Gauge::default();
        registry.register(
            "spend_cap_micros",
            "The daily spend cap in micro-dollars (0: none)",
            spend_cap.clone(),
        );
        Self {
            registry: Arc::new(registry),
            admissions,
            reservations,
            queue_depth,
            queue_wait,
            upstream_latency,
            upstream_errors,
            error_labels: Arc::default(),
            cost,
            spend_today,
            spend_cap,
        }
    }

    /// Counts one admission decision: `None` admitted, else the denial.
    pub fn admission(&self, denial: Option<&Denial>) {
        let labels = match denial {
            None => AdmissionLabels {
                outcome: "admitted",
                reason: "",
            },
            Some(d) => AdmissionLabels {
                outcome: "denied",
                reason: denial_kind(d),
            },
        };
        self.admissions.get_or_create(&labels).inc();
    }

    /// Counts reservations that ended this way.
    pub fn reservation(&self, outcome: ReservationOutcome, count: u64) {
        let outcome = match outcome {
            ReservationOutcome::Settled => "settled",
            ReservationOutcome::Refunded => "refunded",
            ReservationOutcome::Reaped => "reaped",
        };
        let labels = ReservationLabels { outcome };
        self.reservations.get_or_create(&labels).inc_by(count);
    }

    /// Sets how many jobs wait in the queue.
    pub fn queue_depth(&self, waiting: usize) {
        self.queue_depth.set(waiting as i64);
    }

    /// Records how long a job waited (`queued` to `started`, ledger clock)
    /// before its upstream call started.
    pub fn queue_wait(&self, queued: UnixMillis, started: UnixMillis) {
        let waited_ms = started.0.saturating_sub(queued.0).max(0);
        self.queue_wait.observe(waited_ms as f64 / 1000.0);
    }

    /// Records one upstream attempt: its duration, its failure if any, and
    /// the cost the provider reported for it.
    pub fn upstream(
        &self,
        backend: &str,
        model: &str,
        took: Duration,
        error: Option<&BackendError>,
        cost_micros: u64,
    ) {
        let labels = UpstreamLabels {
            backend: backend.to_owned(),
            model: model.to_owned(),
        };
        self.upstream_latency
            .get_or_create(&labels)
            .observe(took.as_secs_f64());
        if cost_micros > 0 {
            self.cost.get_or_create(&labels).inc_by(cost_micros);
        }
        if let Some(error) = error {
            let labels = UpstreamErrorLabels {
                backend: labels.backend,
                model: labels.model,
                kind: error_kind(error),
            };
            self.upstream_errors.get_or_create(&labels).inc();
            self.error_labels
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(labels);
        }
    }

    /// Failed upstream attempts by backend and error kind (models of one
    /// backend summed), read from the registry's own counters.
    pub fn backend_errors(&self) -> Vec<BackendErrorCount> {
        let labels: Vec<UpstreamErrorLabels> = self
            .error_labels
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .cloned()
            .collect();
        let mut sums: BTreeMap<(String, &'static str), u64> = BTreeMap::new();
        for label in labels {
            let count = self.upstream_errors.get(&label).map_or(0, |c| c.get());
            *sums.entry((label.backend, label.kind)).or_default() += count;
        }
        sums.into_iter()
            .map(|((backend, kind), count)| BackendErrorCount {
                backend,
                kind: kind.to_owned(),
                count,
            })
            .collect()
    }

    /// Sets the spend gauges from the ledger's answer (read at scrape time,
    /// so every replica reports the deployment's shared figure).
    pub fn spend(&self, spend: &SpendStatus) {
        self.spend_today.set(spend.spent_micros as i64);
        self.spend_cap.set(spend.cap_micros as i64);
    }

    /// The text exposition format (OpenMetrics), as `/metrics` serves it.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}

/// A closed label value per denial kind.
pub fn denial_kind(denial: &Denial) -> &'static str {
    match denial {
        Denial::Banned => "banned",
        Denial::NeedsCode => "needs_code",
        Denial::NotAllowed => "not_allowed",
        Denial::Quota { .. } => "quota",
        Denial::InFlight { .. } => "in_flight",
        Denial::Burst { .. } => "burst",
        Denial::TooCostly => "too_costly",
        Denial::Budget { .. } => "budget",
        Denial::PlanForbids { .. } => "plan_forbids",
        Denial::RedeemRate { .. } => "redeem_rate",
        Denial::Cooldown { .. } => "cooldown",
        Denial::Size(_) => "size",
        Denial::Restarting => "restarting",
        Denial::KeyRevoked => "key_revoked",
    }
}

/// A closed label value per upstream error kind.
pub fn error_kind(error: &BackendError) -> &'static str {
    match error {
        BackendError::Busy { .. } => "busy",
        BackendError::Unavailable(_) => "unavailable",
        BackendError::Blocked { .. } => "blocked",
        BackendError::BadResponse(_) => "bad_response",
        BackendError::Rejected(_) => "rejected",
        BackendError::Timeout(_) => "timeout",
        BackendError::CircuitOpen => "circuit_open",
        BackendError::ModelGone(_) => "model_gone",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backend_errors_sum_the_models_of_a_backend_by_kind() {
        let m = Metrics::new();
        let busy = BackendError::Busy {
            status: 429,
            retry_after: None,
        };
        let timeout = BackendError::Timeout(Duration::from_secs(1));
        let took = Duration::from_millis(5);
        m.upstream("openai", "gpt-image-2", took, Some(&busy), 0);
        m.upstream("openai", "gpt-image-2-mini", took, Some(&busy), 0);
        m.upstream("openai", "gpt-image-2", took, Some(&timeout), 0);
        m.upstream("gemini", "g", took, None, 10);
        let rows: Vec<(String, String, u64)> = m
            .backend_errors()
            .into_iter()
            .map(|r| (r.backend, r.kind, r.count))
            .collect();
        assert_eq!(
            rows,
            [
                ("openai".into(), "busy".into(), 2),
                ("openai".into(), "timeout".into(), 1),
            ]
        );
    }
}
