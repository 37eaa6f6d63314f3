//! The reliability layer: an ordered chain of backends, each behind its own
//! circuit breaker, with per-attempt timeouts and retries. The chain is
//! itself an [`ImageBackend`], so the job runner sees one backend, and it
//! never talks to the ledger: every attempt and fallback runs inside the one
//! reservation the job already holds. What every attempt cost (failed ones
//! that reported usage included) is summed and reported with the outcome
//! ([`ImageBackend::generate_billed`]), so the spend counts the whole bill.
//! A job's continuation reaches only the backend it names.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use easel_shared::config::{BreakerConfig, RetryConfig};
use easel_shared::notice::{AdminNotice, ModelRef};
use easel_shared::render::{Shape, SizeRefusal};
use tokio::sync::mpsc;
use tracing::Instrument;

use super::breaker::{Breaker, BreakerState};
use super::retry::{Backoff, Verdict, verdict};
use super::{
    BackendError, BackendEvent, BackendOutput, Billed, Capabilities, ImageBackend, ImageJob,
};
use crate::metrics::Metrics;
use crate::notices::AdminNotices;

/// How long a backend whose model is gone stays out, unless the daily
/// model check finds the model again first.
pub const MODEL_GONE_OUT_FOR: Duration = Duration::from_secs(36 * 3600);

/// One backend and its breaker.
struct Link {
    backend: Arc<dyn ImageBackend>,
    breaker: Breaker,
    /// Its model and config key, for admin notices.
    model: ModelRef,
    /// Whether the admins were told its model is gone (once per outage).
    gone_told: Arc<AtomicBool>,
}

/// Backends in fallback order, with retries and breakers around each.
pub struct BackendChain {
    links: Vec<Link>,
    retry: RetryConfig,
    notices: AdminNotices,
    /// Where each attempt's latency, error and cost are counted.
    metrics: Metrics,
}

impl std::fmt::Debug for BackendChain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.links.iter().map(|l| l.backend.name()).collect();
        f.debug_struct("BackendChain")
            .field("backends", &names)
            .field("retry", &self.retry)
            .finish()
    }
}

impl BackendChain {
    /// A chain over `backends`; the first is the primary.
    pub fn new(
        backends: Vec<Arc<dyn ImageBackend>>,
        retry: RetryConfig,
        breaker: BreakerConfig,
    ) -> Self {
        let links = backends
            .into_iter()
            .enumerate()
            .map(|(i, backend)| Link {
                model: ModelRef {
                    backend: backend.name().to_owned(),
                    config_key: format!("backends.chain[{i}].model"),
                    model: String::new(),
                },
                backend,
                breaker: Breaker::new(breaker.clone()),
                gone_told: Arc::default(),
            })
            .collect();
        Self {
            links,
            retry,
            notices: AdminNotices::new(),
            metrics: Metrics::new(),
        }
    }

    /// Names each backend's model (in chain order) for admin notices.
    pub fn with_models(mut self, models: impl IntoIterator<Item = String>) -> Self {
        for (link, model) in self.links.iter_mut().zip(models) {
            link.model.model = model;
        }
        self
    }

    /// Raises admin notices (a model gone) on `notices`.
    pub fn with_notices(mut self, notices: AdminNotices) -> Self {
        self.notices = notices;
        self
    }

    /// Counts each attempt on `metrics` (a private registry otherwise).
    pub fn with_metrics(mut self, metrics: Metrics) -> Self {
        self.metrics = metrics;
        self
    }

    /// The backends in chain order.
    pub fn backends(&self) -> impl Iterator<Item = &Arc<dyn ImageBackend>> {
        self.links.iter().map(|l| &l.backend)
    }

    /// Takes backend `i` out because its model is gone (a `model_not_found`
    /// answer or the model check): its breaker is forced open, and the
    /// admins are told once, with the image models its key can use.
    pub fn take_out(&self, i: usize) {
        let Some(link) = self.links.get(i) else {
            return;
        };
        link.breaker.force_open(MODEL_GONE_OUT_FOR);
        if link.gone_told.swap(true, Ordering::SeqCst) {
            return;
        }
        tracing::error!(backend = %link.model.backend, model = %link.model.model,
            key = %link.model.config_key, "the provider says this model does not exist: \
            skipping this backend; configure a current model");
        let (backend, notices, model) = (
            link.backend.clone(),
            self.notices.clone(),
            link.model.clone(),
        );
        // Listing is a network call: never on the job's path.
        tokio::spawn(async move {
            let usable = backend.list_image_models().await.unwrap_or_default();
            notices.send(AdminNotice::ModelGone { model, usable });
        });
    }

    /// Brings backend `i` back (the model check found its model again).
    pub fn bring_back(&self, i: usize) {
        if let Some(link) = self.links.get(i)
            && link.gone_told.swap(false, Ordering::SeqCst)
        {
            link.breaker.reset();
            tracing::info!(backend = %link.model.backend, "model found again: backend back in the chain");
        }
    }

    /// The breaker state of the backend called `name`, if it is in the chain.
    pub fn breaker_state(&self, name: &str) -> Option<BreakerState> {
        self.links
            .iter()
            .find(|l| l.backend.name() == name)
            .map(|l| l.breaker.state())
    }

    /// Runs the job on one backend with retries, adding each attempt's
    /// cost to `billed`; `Err` carries the verdict so the caller knows
    /// whether to fall back.
    async fn run_link(
        &self,
        index: usize,
        link: &Link,
        job: &ImageJob,
        events: &mpsc::Sender<BackendEvent>,
        backoff: &mut Backoff,
        billed: &mut u64,
    ) -> Result<BackendOutput, (Verdict, BackendError)> {
        let name = link.backend.name();
        // A continuation is only for the backend it names: any other one
        // (a fallback) edits the stored image as for a fresh request.
        let stripped;
        let job = match &job.continuation {
            Some(c) if c.backend() != name => {
                stripped = ImageJob {
                    continuation: None,
                    ..job.clone()
                };
                &stripped
            }
            _ => job,
        };
        let mut tries = 0u32;
        let mut bad_responses = 0u32;
        let mut last_err = None;
        loop {
            let Some(permit) = link.breaker.try_acquire() else {
                tracing::warn!(backend = name, "circuit open: skipping this backend");
                // If our own failures just opened it, that failure is the news.
                let err =
                    last_err.map_or(BackendError::CircuitOpen, |e| with_hint(e, backoff, tries));
                return Err((Verdict::Fallback, err));
            };
            tries += 1;
            let span = tracing::info_span!("backend_attempt", backend = name, attempt = tries);
            let call = link.backend.generate_billed(job, events).instrument(span);
            let started = tokio::time::Instant::now();
            // A timed-out attempt reports nothing: its cost, if any, is unknown.
            let (result, cost) = match tokio::time::timeout(self.retry.attempt_timeout, call).await
            {
                Ok(attempt) => {
                    *billed = billed.saturating_add(attempt.cost_micros);
                    (attempt.result, attempt.cost_micros)
                }
                Err(_) => (Err(BackendError::Timeout(self.retry.attempt_timeout)), 0),
            };
            let (model, took) = (&link.model.model, started.elapsed());
            self.metrics
                .upstream(name, model, took, result.as_ref().err(), cost);
            let err = match result {
                Ok(mut out) => {
                    permit.success();
                    out.backend = name.to_owned();
                    // The whole job's bill, earlier failed attempts included.
                    out.cost_micros = *billed;
                    tracing::info!(
                        backend = name,
                        attempt = tries,
                        images = out.images.len(),
                        cost_micros = out.cost_micros,
                        "backend call succeeded"
                    );
                    return Ok(out);
                }
                Err(err) => err,
            };
            match err {
                // The request, not the backend, is at fault.
                BackendError::Blocked { .. } | BackendError::Rejected(_) => permit.neutral(),
                BackendError::ModelGone(_) => {
                    permit.neutral();
                    self.take_out(index);
                }
                _ => permit.failure(),
            }
            if matches!(err, BackendError::BadResponse(_)) {
                bad_responses += 1;
            }
            let v = verdict(&err, bad_responses);
            log_failure(name, tries, &err, v);
            if v != Verdict::Retry {
                return Err((v, err));
            }
            // A garbled answer earns its one retry even at the attempt limit.
            let is_bad = matches!(err, BackendError::BadResponse(_));
            if tries >= self.retry.max_attempts && !is_bad {
                return Err((Verdict::Final, with_hint(err, backoff, tries)));
            }
            let hint = match &err {
                BackendError::Busy { retry_after, .. } => *retry_after,
                _ => None,
            };
            let Some(wait) = backoff.next_wait(tries, hint) else {
                tracing::warn!(backend = name, attempt = tries, "retry budget spent");
                return Err((Verdict::Final, with_hint(err, backoff, tries)));
            };
            // Progress is best effort: a lagging or closed receiver never stalls the job.
            let _ = events.try_send(BackendEvent::Retrying {
                attempt: tries + 1,
                after: wait,
            });
            tokio::time::sleep(wait).await;
            last_err = Some(err);
        }
    }
}

/// A final `Busy` always carries a "try again in" hint for the user.
fn with_hint(err: BackendError, backoff: &Backoff, tries: u32) -> BackendError {
    match err {
        BackendError::Busy {
            status,
            retry_after: None,
        } => BackendError::Busy {
            status,
            retry_after: Some(backoff.step(tries + 1)),
        },
        other => other,
    }
}

fn log_failure(backend: &str, attempt: u32, err: &BackendError, v: Verdict) {
    match err {
        // Operators must act (key, billing, config): shout.
        BackendError::Unavailable(_) => {
            tracing::error!(backend, attempt, error = %err, "backend unavailable: check its key and billing");
        }
        BackendError::Blocked { .. } => {
            tracing::warn!(backend, attempt, error = %err, "blocked by provider safety system");
        }
        _ => tracing::warn!(backend, attempt, error = %err, verdict = ?v, "backend attempt failed"),
    }
}

/// Whether `caps` can serve `job` at all (a fallback may support less).
fn fits(caps: &Capabilities, job: &ImageJob) -> bool {
    job.inputs.len() <= caps.max_inputs && (job.mask.is_none() || caps.mask)
}

#[async_trait]
impl ImageBackend for BackendChain {
    fn name(&self) -> &str {
        "chain"
    }

    /// The primary's capabilities: requests are shaped for it, and
    /// fallbacks that cannot serve a job are skipped.
    fn capabilities(&self) -> Capabilities {
        self.links
            .first()
            .map(|l| l.backend.capabilities())
            .unwrap_or(Capabilities {
                max_inputs: 0,
                mask: false,
                transparent: false,
                streaming: false,
                input_long_side: 0,
            })
    }

    /// The primary decides: requests are shaped for it.
    fn check_shape(&self, shape: Shape) -> Result<(), SizeRefusal> {
        self.links
            .first()
            .map_or(Ok(()), |l| l.backend.check_shape(shape))
    }

    /// The dearest estimate of the chain: any backend may end up serving.
    fn estimate_micros(&self, job: &ImageJob) -> u64 {
        self.links
            .iter()
            .map(|l| l.backend.estimate_micros(job))
            .max()
            .unwrap_or(0)
    }

    async fn generate(
        &self,
        job: &ImageJob,
        events: &mpsc::Sender<BackendEvent>,
    ) -> Result<BackendOutput, BackendError> {
        self.generate_billed(job, events).await.result
    }

    async fn generate_billed(&self, job: &ImageJob, events: &mpsc::Sender<BackendEvent>) -> Billed {
        // Nested in the job runner's span (request id); the key is never a field.
        let span = tracing::info_span!("backend_job", user = %job.user_tag,
            n = job.options.n, inputs = job.inputs.len());
        let mut cost_micros = 0;
        let result = self
            .run_chain(job, events, &mut cost_micros)
            .instrument(span)
            .await;
        Billed {
            result,
            cost_micros,
        }
    }
}

impl BackendChain {
    async fn run_chain(
        &self,
        job: &ImageJob,
        events: &mpsc::Sender<BackendEvent>,
        billed: &mut u64,
    ) -> Result<BackendOutput, BackendError> {
        let mut backoff = Backoff::new(self.retry.clone());
        let mut last: Option<BackendError> = None;
        let mut fitting = 0usize;
        for (index, link) in self.links.iter().enumerate() {
            if !fits(&link.backend.capabilities(), job) {
                tracing::debug!(
                    backend = link.backend.name(),
                    "backend cannot serve this job"
                );
                continue;
            }
            fitting += 1;
            match self
                .run_link(index, link, job, events, &mut backoff, billed)
                .await
            {
                Ok(out) => return Ok(out),
                Err((Verdict::Fallback, err)) => {
                    // A real failure says more than "circuit open" elsewhere.
                    if last.is_none() || !matches!(err, BackendError::CircuitOpen) {
                        last = Some(err);
                    }
                }
                Err((_, err)) => return Err(err),
            }
        }
        if fitting == 0 {
            // The job was shaped beyond every backend: say so, not "circuit open".
            return Err(BackendError::Rejected(format!(
                "no backend accepts {} input image(s){}",
                job.inputs.len(),
                if job.mask.is_some() {
                    " with a mask"
                } else {
                    ""
                }
            )));
        }
        Err(last.unwrap_or(BackendError::CircuitOpen))
    }
}
