//! Admission: whether a request may run, decided before anything costs money.
//!
//! [`Gatekeeper::admit`] checks, cheapest and least consuming first:
//! 1. the plan's policy (max images, qualities, editing; the user's effective
//!    plan comes from [`Ledger::status`]) -> `Denial::PlanForbids`;
//! 2. the safety cooldown ([`SafetyCooldown`]) -> `Denial::Cooldown`;
//! 3. the in-flight cap and the room in the windows and credits, from the
//!    same read -> `Denial::InFlight` / `Denial::Quota`;
//! 4. the plan's burst limiter ([`Limits::take`]) -> `Denial::Burst`;
//! 5. [`Ledger::reserve`] (windows, in-flight cap, credits, spend cap: one atomic step).
//!
//! The burst limiter runs last because a burst cell cannot be refunded: a
//! request refused for any other reason must not use one up.
//!
//! On a ledger that keeps the limits itself (Redis: [`Ledger::shared_limits`])
//! all of that is ONE step: a guarded reserve ([`ReserveRequest::guard`])
//! decides ban, plan policy, cooldown, in-flight cap, room and then the burst
//! cell atomically, in one round trip, so no race can spend a cell on a
//! refused request ([`Gatekeeper::admits_in_one_step`]).
//!
//! [`Gatekeeper::precheck`] (`precheck.rs`) runs the same checks from a read
//! of the user's quota BEFORE any input is downloaded or decoded, and takes
//! the request's burst cell there (a pass, `passes.rs`): `admit` never takes
//! a second cell for a request id whose cell is paid.
//! [`Gatekeeper::admit_checked`] is `admit` for a request pre-checked in
//! this process ([`Gatekeeper::check`]) moments before: it goes straight to
//! the reserve (the reserve decides ban, plan policy, windows and credits
//! atomically either way, and the cooldown and burst were decided by the
//! pre-check).
//! [`Gatekeeper::redeem`] wraps [`Ledger::redeem`] in a per-user attempt limiter.
//!
//! Burst cells, passes, redeem attempts and safety blocks live in a
//! [`Limits`] store (`limits.rs`): in the ledger's Redis when the ledger is
//! on Redis, so N replicas admit exactly what one would, and a pass taken by
//! one replica's pre-check is honoured by another's admit; else in this
//! process. A background task tidies the in-process state every minute and
//! stops when the `Gatekeeper` is dropped.

pub mod burst;
pub mod limits;
pub mod passes;
pub mod policy;
mod precheck;
pub mod safety;

use std::sync::Arc;
use std::time::Duration;

use easel_shared::admin::Redemption;
use easel_shared::config::{Config, PlanConfig};
use easel_shared::render::RenderOptions;
use easel_shared::{Denial, QuotaStatus, Refusal, RequestId, UserKey};

pub use burst::KeyedLimiters;
pub use limits::{BlockRule, Bucket, Limits, LocalLimits, Rate, Take};
pub use passes::BurstPasses;
pub use precheck::{Checked, Pass};
pub use safety::SafetyCooldown;

use crate::ledger::{
    Admission, Clock, KeyClaim, Ledger, LedgerError, Reservation, ReserveRequest, SharedConfig,
};

/// How often in-process limiter state is tidied.
const TIDY_EVERY: Duration = Duration::from_secs(60);

/// How long a claimed platform event is remembered: far longer than
/// Telegram or Discord redeliver an event.
pub const EVENT_CLAIM_TTL: Duration = Duration::from_secs(24 * 3600);

/// One request asking to be admitted.
#[derive(Debug, Clone)]
pub struct AdmitRequest {
    /// Derived from the platform event, so a redelivery is the same request.
    pub id: RequestId,
    /// Who asks and pays.
    pub user: UserKey,
    /// What is asked for (n, quality, shape...).
    pub options: RenderOptions,
    /// Whether it edits input images (plans may forbid editing).
    pub is_edit: bool,
    /// The backend expected to serve it (per-backend spend).
    pub backend: String,
    /// The backend's cost estimate, held against the daily spend cap.
    pub est_cost_micros: u64,
    /// The API key it came with, matched to `user` from memory: checked in
    /// the reserve's own step ([`ReserveRequest::key`]).
    pub key: Option<KeyClaim>,
}

/// An admitted request: the reservation to settle, plus what the job runner
/// needs to queue it fairly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ticket {
    /// The ledger's hold. If `replayed` is true the request was admitted
    /// before (a redelivered event): do not run it a second time.
    pub reservation: Reservation,
    /// Credits held (images x credits per image): the job's weight in the fair queue.
    pub credits: u32,
    /// The plan's queue priority (higher gets a larger share).
    pub priority: u8,
}

/// Why a request was not admitted. Nothing was charged in either case.
#[derive(Debug, thiserror::Error)]
pub enum AdmitError {
    /// Refused, with what the user can do.
    #[error("denied: {}", .0.denial)]
    Denied(Refusal),
    /// This request id was admitted already (a redelivered event): answer nothing.
    #[error("request {0} was already admitted")]
    Replayed(RequestId),
    /// The quota store could not answer: fail closed ("temporarily unavailable").
    #[error(transparent)]
    Ledger(#[from] LedgerError),
}

impl AdmitError {
    fn denied(denial: Denial) -> Self {
        AdmitError::Denied(Refusal::quiet(denial))
    }
}

/// The admission service: policy, cooldown, burst, then the ledger.
pub struct Gatekeeper {
    inner: Arc<Inner>,
    /// Stops the tidy task when the gatekeeper goes away.
    _tidy: Option<AbortOnDrop>,
}

struct Inner {
    ledger: Arc<dyn Ledger>,
    config: SharedConfig,
    /// Burst cells, passes and redeem attempts (shared by replicas on Redis).
    limits: Arc<dyn Limits>,
    safety: Arc<SafetyCooldown>,
    /// The ledger keeps `limits`: its guarded reserve checks the cooldown
    /// and takes the burst cell itself.
    one_step: bool,
}

impl Gatekeeper {
    /// A gatekeeper in front of `ledger`. `clock` should be the ledger's (so
    /// retry times agree in tests). Called inside a Tokio runtime it starts
    /// the minutely tidy task; outside one, state is only tidied on demand
    /// ([`Gatekeeper::tidy`]). Limits live where the ledger says
    /// ([`Ledger::shared_limits`]): in its Redis, else in this process.
    pub fn new(ledger: Arc<dyn Ledger>, config: SharedConfig, clock: Clock) -> Self {
        let shared = Arc::clone(&ledger).shared_limits();
        let one_step = shared.is_some();
        let limits =
            shared.unwrap_or_else(|| Arc::new(LocalLimits::new(clock.clone(), config.clone())));
        let safety = Arc::new(SafetyCooldown::new(config.clone(), Arc::clone(&limits)));
        let inner = Arc::new(Inner {
            ledger,
            config,
            limits,
            safety,
            one_step,
        });
        let tidy = tokio::runtime::Handle::try_current().ok().map(|rt| {
            let weak = Arc::downgrade(&inner);
            AbortOnDrop(rt.spawn(async move {
                let mut every = tokio::time::interval(TIDY_EVERY);
                every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                loop {
                    every.tick().await;
                    match weak.upgrade() {
                        Some(inner) => inner.tidy(),
                        None => break,
                    }
                }
            }))
        });
        Self { inner, _tidy: tidy }
    }

    /// The safety-block tracker, shared with the job runner which records blocks.
    pub fn safety(&self) -> Arc<SafetyCooldown> {
        Arc::clone(&self.inner.safety)
    }

    /// Whether [`Gatekeeper::admit`] decides everything in the ledger's one
    /// atomic step (one round trip on Redis). Then a request with nothing to
    /// download or decode gains nothing from a pre-check and can go straight
    /// to `admit`.
    pub fn admits_in_one_step(&self) -> bool {
        self.inner.one_step
    }

    /// Decides whether `req` may run; on success the credits are held. A
    /// redelivered request answers a replayed ticket (the first one's hold).
    pub async fn admit(&self, req: &AdmitRequest) -> Result<Ticket, AdmitError> {
        let inner = &*self.inner;
        let config = inner.config.load_full();
        if inner.one_step {
            return inner.reserve(req, &config).await;
        }
        let status = inner.ledger.status(req.user).await?;
        if status.banned {
            return Err(AdmitError::denied(Denial::Banned));
        }
        let plan = effective_plan(&config, &status);
        if let Some((_, plan)) = plan {
            policy::check(plan, &req.options, req.is_edit).map_err(AdmitError::denied)?;
        }
        if let Some(until) = inner.safety.cooldown_until(req.user).await? {
            return Err(AdmitError::denied(Denial::Cooldown { until }));
        }
        if let Some((name, plan)) = plan {
            // Refusals the read can tell, before a cell is spent (the
            // reserve decides them again, atomically).
            let per_image = config
                .costs
                .credits_per_image(req.options.quality, req.options.shape);
            precheck::fits(&status, plan, u32::from(req.options.n), per_image)
                .map_err(AdmitError::denied)?;
            // A cell the pre-check took for this request is not taken again.
            if let Some(burst) = plan.burst {
                inner.take_burst(name, burst, req.user, &req.id).await?;
            }
        }
        inner.reserve(req, &config).await
    }

    /// Admits `req`, pre-checked in this process by [`Gatekeeper::check`]
    /// (whose burst cell and cooldown check stand): only the reserve. A
    /// `checked` for another request or user is ignored (full `admit`).
    pub async fn admit_checked(
        &self,
        req: &AdmitRequest,
        checked: Checked,
    ) -> Result<Ticket, AdmitError> {
        if checked.pass.id != req.id || checked.user != req.user {
            return self.admit(req).await;
        }
        let config = self.inner.config.load_full();
        self.inner.reserve(req, &config).await
    }

    /// Redeems an access code, limited per user by `config.redeem` so codes
    /// cannot be guessed by brute force (`Denial::RedeemRate`).
    pub async fn redeem(&self, user: UserKey, code: &str) -> Result<Redemption, AdmitError> {
        let inner = &*self.inner;
        let rule = inner.config.load().redeem.clone();
        let rate = Rate {
            every: rule.every,
            burst: rule.burst,
        };
        if let Take::Refused { retry_at } =
            inner.limits.take(Bucket::Redeem, rate, user, None).await?
        {
            return Err(AdmitError::denied(Denial::RedeemRate { retry_at }));
        }
        Ok(inner.ledger.redeem(user, code).await?)
    }

    /// Claims platform event `event` for handling, once across replicas
    /// for [`EVENT_CLAIM_TTL`] (see [`Limits::claim_event`]).
    pub async fn claim_event(&self, event: &str) -> Result<bool, AdmitError> {
        Ok(self
            .inner
            .limits
            .claim_event(event, EVENT_CLAIM_TTL)
            .await?)
    }

    /// Drops idle limiter keys and aged-out safety blocks now (the background
    /// task does this every minute).
    pub fn tidy(&self) {
        self.inner.tidy();
    }

    /// Users holding limiter state in this process (for metrics and
    /// tests); `None` when the state lives in Redis.
    pub fn limiter_keys(&self) -> Option<usize> {
        self.inner.limits.local_keys()
    }
}

impl Inner {
    fn tidy(&self) {
        self.limits.tidy();
    }

    /// The ledger's atomic decision (its record is what lets a later
    /// pre-check recognise a redelivery of `req`: [`Ledger::admitted`]),
    /// guarded (cooldown and burst inside it) where the ledger keeps the
    /// limits; a pre-check's pass stands there too.
    async fn reserve(&self, req: &AdmitRequest, config: &Config) -> Result<Ticket, AdmitError> {
        let credits_per_image = config
            .costs
            .credits_per_image(req.options.quality, req.options.shape);
        let reserve = ReserveRequest {
            id: req.id.clone(),
            user: req.user,
            images: u32::from(req.options.n),
            credits_per_image,
            est_cost_micros: req.est_cost_micros,
            backend: req.backend.clone(),
            quality: req.options.quality,
            edit: req.is_edit,
            guard: self.one_step,
            key: req.key.clone(),
        };
        match self.ledger.reserve(&reserve).await? {
            Admission::Admitted(reservation) => Ok(Ticket {
                credits: reservation.from_windows + reservation.from_credits,
                priority: reservation.priority,
                reservation,
            }),
            Admission::Denied(refusal) => Err(AdmitError::Denied(refusal)),
        }
    }

    /// Takes the burst cell of request `id` (once per id: a pass already
    /// paid is honoured), or refuses with the time a cell is free.
    async fn take_burst(
        &self,
        plan: &str,
        burst: easel_shared::config::BurstConfig,
        user: UserKey,
        id: &RequestId,
    ) -> Result<(), AdmitError> {
        let rate = Rate {
            every: burst.every,
            burst: burst.burst,
        };
        match self
            .limits
            .take(Bucket::Burst(plan), rate, user, Some(id))
            .await?
        {
            Take::Granted => Ok(()),
            Take::Refused { retry_at } => Err(AdmitError::denied(Denial::Burst { retry_at })),
        }
    }
}

/// The plan whose rules apply to a user: their own, or, for a user without
/// one but with prepaid credits, the default plan. `None`: no access (the
/// ledger says why).
fn effective_plan<'c>(
    config: &'c Config,
    status: &QuotaStatus,
) -> Option<(&'c str, &'c PlanConfig)> {
    let name = match (&status.plan, status.credits) {
        (Some(name), _) => name.as_str(),
        (None, credits) if credits > 0 => config.access.default_plan.as_str(),
        (None, _) => return None,
    };
    config
        .plans
        .get_key_value(name)
        .map(|(name, plan)| (name.as_str(), plan))
}

/// Aborts a background task when dropped (the runner uses it too).
pub(crate) struct AbortOnDrop(pub(crate) tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}
