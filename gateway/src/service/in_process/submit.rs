//! The submit path of the in-process gateway: screen, pre-check (where a
//! request has inputs to decode or admission is not one step), decode,
//! admit, queue, then pass the job's events on, storing the result before
//! `Done` goes out.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use easel_shared::job::JobEvent;
use easel_shared::notice::AdminNotice;
use easel_shared::render::RenderOptions;
use easel_shared::request::{Precheck, Request};
use easel_shared::{Denial, Refusal, UserKey};
use sha2::{Digest, Sha256};
use tokio::sync::mpsc;

use super::{GatewayError, InProcessGateway, JobStream, continuation, inputs};
use crate::admission::{AdmitRequest, Checked};
use crate::backend::ImageJob;
use crate::ledger::KeyClaim;
use crate::results::{NewResult, ResultStore, ResultStoreError};
use crate::runner::{JobHandle, SubmitError};

impl InProcessGateway {
    /// Whether `request` goes to admission without a pre-check: it has
    /// nothing to decode first, and the ledger admits in one step.
    pub(super) fn admits_directly(&self, request: &Request) -> bool {
        request.inputs.is_empty() && request.mask.is_none() && self.gatekeeper.admits_in_one_step()
    }

    /// The pre-check: draining, the size, then the gatekeeper's checks
    /// (kept for the admit of a submit that follows).
    pub(super) async fn check(&self, check: &Precheck) -> Result<Checked, GatewayError> {
        self.screen(&check.options)?;
        let max_inputs = self.backend.capabilities().max_inputs;
        Ok(self.gatekeeper.check(check, max_inputs).await?)
    }

    /// Submits `request`; with `key`, the admission refuses it as
    /// `KeyRevoked` unless that API key is still the user's (`keys.rs`).
    pub(super) async fn submit_claimed(
        &self,
        request: Request,
        key: Option<KeyClaim>,
    ) -> Result<JobStream, GatewayError> {
        let caps = self.backend.capabilities();
        // Nothing is decoded for a request that would be refused (its size
        // included); the burst cell is taken once per request id (a
        // frontend's pre-check counts). A request with nothing to decode,
        // on a ledger that admits in one step, skips the pre-check: its
        // admission below decides everything in one round trip.
        let checked = if self.admits_directly(&request) {
            self.screen(&request.options)
                .inspect_err(|e| self.count_denial(e))?;
            None
        } else {
            let checked = self
                .check(&Precheck::of(&request, 0))
                .await
                .inspect_err(|e| self.count_denial(e))?;
            Some(checked)
        };
        let gate = &self.decodes;
        let mut inputs =
            inputs::resolve(&request.inputs, &self.results, caps.input_long_side, gate).await?;
        if let (Some(bytes), Some(first)) = (request.mask.clone(), inputs.prepared.first()) {
            inputs.mask = Some(inputs::mask(bytes, first, gate).await?);
        }
        let inputs_bytes = inputs.prepared.iter().map(|i| i.bytes.len()).sum();
        let continuation = continuation::resume(&self.results, &request, inputs_bytes).await;
        let job = ImageJob {
            prompt: request.prompt.clone(),
            options: request.options.clone(),
            inputs: inputs.prepared,
            mask: inputs.mask,
            user_tag: self.user_tag(request.user),
            continuation,
        };
        let admit = AdmitRequest {
            id: request.id.clone(),
            user: request.user,
            options: request.options.clone(),
            is_edit: request.is_edit(),
            backend: self.backend.name().to_owned(),
            est_cost_micros: self.backend.estimate_micros(&job),
            key,
        };
        let admitted = match checked {
            Some(checked) => self.gatekeeper.admit_checked(&admit, checked).await,
            None => self.gatekeeper.admit(&admit).await,
        };
        let ticket = match admitted {
            // A redelivery is the duplicate it is, not a new admission.
            Ok(ticket) if ticket.reservation.replayed => {
                return Err(GatewayError::Duplicate(request.id));
            }
            Ok(ticket) => ticket,
            Err(e) => {
                let e = GatewayError::from(e);
                self.count_denial(&e);
                if let GatewayError::Denied(Refusal {
                    notify_admins: true,
                    ..
                }) = e
                {
                    let cap_micros = self.config.load().spend.daily_cap_micros;
                    self.notices.send(AdminNotice::BudgetReached { cap_micros });
                }
                return Err(e);
            }
        };
        self.metrics.admission(None);
        let handle = self.runner.submit(ticket, job).await.map_err(|e| match e {
            SubmitError::Replayed(id) | SubmitError::Duplicate(id) => GatewayError::Duplicate(id),
        })?;
        let (tx, rx) = mpsc::unbounded_channel();
        let record = NewResult {
            user: request.user,
            request: request.id,
            prompt: request.prompt,
            options: request.options,
            inputs: inputs.stored,
            parent: request.parent,
            outputs: Vec::new(),
            continuation: None,
        };
        let store = Store {
            results: self.results.clone(),
            not_stored: self.results_not_stored.clone(),
        };
        tokio::spawn(forward(handle, tx, store, record));
        Ok(rx)
    }

    /// The refusals that need no state: the gateway is draining, or the
    /// model would refuse the size. Cheapest first: they cost nothing, not
    /// even a download (frontends pre-check before they fetch).
    fn screen(&self, options: &RenderOptions) -> Result<(), GatewayError> {
        if self.is_draining() {
            return Err(GatewayError::Denied(Refusal::quiet(Denial::Restarting)));
        }
        self.backend
            .check_shape(options.shape)
            .map_err(|refusal| GatewayError::Denied(Refusal::quiet(Denial::Size(refusal))))
    }

    /// A stable tag for the provider's abuse reports that does not reveal
    /// the platform id (salted with the deployment's key prefix).
    fn user_tag(&self, user: UserKey) -> String {
        let salt = &self.config.load().ledger.key_prefix;
        let digest = Sha256::digest(format!("{salt}|{user}").as_bytes());
        crate::digest::hex(&digest[..12])
    }
}

/// Where [`forward`] stores a finished result and counts failures.
struct Store {
    results: Arc<dyn ResultStore>,
    not_stored: Arc<AtomicU64>,
}

/// Passes a job's events on, storing the result (with the backend's
/// continuation, for the next turn) before `Done` goes out so the
/// frontend's buttons can name it.
///
/// The runner sends `Done` only after the ledger settled, so storing is best
/// effort and can never block admission or settling: a store that is down
/// or full (its Redis at `maxmemory`) costs the user nothing. The images are
/// delivered with `result: None` (no buttons that need the record), and the
/// failure is logged and counted.
async fn forward(
    handle: JobHandle,
    tx: mpsc::UnboundedSender<JobEvent>,
    store: Store,
    mut record: NewResult,
) {
    let JobHandle {
        mut events,
        mut continuation,
        ..
    } = handle;
    while let Some(mut event) = events.recv().await {
        if let JobEvent::Done { images, result, .. } = &mut event {
            // The runner sends it before `Done`: it is there or there is none.
            record.continuation = continuation.try_recv().ok();
            record.outputs = images.clone();
            match store.results.save(record.clone()).await {
                Ok(saved) => *result = Some(saved.id),
                Err(e) => {
                    store.not_stored.fetch_add(1, Ordering::Relaxed);
                    if matches!(e, ResultStoreError::Full(_)) {
                        tracing::warn!(
                            request = %record.request,
                            "result not stored: the result store's Redis is full \
                             (maxmemory); give it an eviction policy such as allkeys-lru"
                        );
                    } else {
                        tracing::warn!(request = %record.request, error = %e, "result not stored");
                    }
                }
            }
        }
        if tx.send(event).is_err() {
            // The frontend went away; the job still settles in the runner.
            return;
        }
    }
}
