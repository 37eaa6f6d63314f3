//! The pre-check: everything admission can refuse from a read of the
//! user's quota, run before the frontend downloads or the gateway decodes a
//! single input image. The final, atomic decision stays
//! [`Ledger::reserve`](crate::ledger::Ledger::reserve) at submit; this is a
//! read plus cheap checks, never a second source of truth.
//!
//! Order (cheapest and least consuming first, as in `admit`): ban -> access
//! (no plan and no credits) -> plan policy (n, quality, editing, inputs
//! against the plan and the backend) -> safety cooldown -> in-flight cap ->
//! room in the windows or credits for this request's cost -> burst.
//!
//! Burst: the cell is taken HERE, once per request id, and remembered as a
//! pass in the [`Limits`](super::Limits) store (Redis when the ledger is, so
//! another replica's `admit` sees it); `admit` skips the limiter for a
//! request whose cell is paid. A frontend that never
//! pre-checks still gets limited at `admit` (the gateway's own `submit`
//! pre-checks too, so the usual path pays exactly one cell either way).

use easel_shared::config::PlanConfig;
use easel_shared::request::Precheck;
use easel_shared::{Denial, QuotaStatus, RequestId};

use super::{AdmitError, Gatekeeper, effective_plan, policy};

/// What a pre-check decided, for [`Gatekeeper::admit_checked`] in the same
/// process: the submit that follows moments later does not read the user's
/// quota, the cooldown or the burst limiter again (the reserve decides ban,
/// plan policy and room again, atomically, either way).
#[derive(Debug, Clone)]
pub struct Checked {
    /// The go-ahead the frontend would get.
    pub pass: Pass,
    /// Whose request it was.
    pub(super) user: easel_shared::UserKey,
}

/// The gateway's go-ahead for one request: its inputs may now be
/// downloaded and decoded. Submit the request with the same id; the burst
/// cell paid for it is honoured there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pass {
    /// The request it was given for.
    pub id: RequestId,
    /// Most input images the request may carry (plan and backend).
    pub max_inputs: usize,
}

impl Gatekeeper {
    /// Decides whether `check` could be admitted, without reserving
    /// anything. `backend_max_inputs` is the backend chain's
    /// `Capabilities::max_inputs`. Takes the request's burst cell (once per
    /// id) on success; every refusal is free.
    pub async fn precheck(
        &self,
        check: &Precheck,
        backend_max_inputs: usize,
    ) -> Result<Pass, AdmitError> {
        Ok(self.check(check, backend_max_inputs).await?.pass)
    }

    /// [`Gatekeeper::precheck`], keeping what it read for
    /// [`Gatekeeper::admit_checked`].
    pub async fn check(
        &self,
        check: &Precheck,
        backend_max_inputs: usize,
    ) -> Result<Checked, AdmitError> {
        let inner = &*self.inner;
        // Three independent reads, sent together (one round trip on Redis);
        // their answers are judged in the order below.
        let (admitted, status, cooldown) = futures::try_join!(
            inner.ledger.admitted(check.user, &check.id),
            inner.ledger.status(check.user),
            inner.safety.cooldown_until(check.user),
        )?;
        if admitted {
            return Err(AdmitError::Replayed(check.id.clone()));
        }
        let config = inner.config.load_full();
        if status.banned {
            return Err(AdmitError::denied(Denial::Banned));
        }
        let plan = effective_plan(&config, &status);
        let Some((name, plan)) = plan else {
            return Err(AdmitError::denied(no_access(&config)));
        };
        policy::check(plan, &check.options, check.is_edit()).map_err(AdmitError::denied)?;
        let max_inputs = usize::try_from(plan.max_inputs)
            .unwrap_or(usize::MAX)
            .min(backend_max_inputs);
        if check.inputs > max_inputs {
            return Err(AdmitError::denied(too_many_inputs(max_inputs)));
        }
        if let Some(until) = cooldown {
            return Err(AdmitError::denied(Denial::Cooldown { until }));
        }
        let per_image = config
            .costs
            .credits_per_image(check.options.quality, check.options.shape);
        fits(&status, plan, u32::from(check.options.n), per_image).map_err(AdmitError::denied)?;
        if let Some(burst) = plan.burst {
            inner.take_burst(name, burst, check.user, &check.id).await?;
        }
        Ok(Checked {
            pass: Pass {
                id: check.id.clone(),
                max_inputs,
            },
            user: check.user,
        })
    }
}

/// What a user without a plan or credits is told: the ledger's answer.
fn no_access(config: &easel_shared::config::Config) -> Denial {
    match config.access.mode {
        easel_shared::config::AccessMode::Code => Denial::NeedsCode,
        _ => Denial::NotAllowed,
    }
}

/// The plan (or the backend) takes fewer input images than were sent.
fn too_many_inputs(max: usize) -> Denial {
    if max == 0 {
        return Denial::PlanForbids {
            what: "edit".to_owned(),
            max: None,
        };
    }
    Denial::PlanForbids {
        what: "inputs".to_owned(),
        max: Some(u32::try_from(max).unwrap_or(u32::MAX)),
    }
}

/// Whether `status` has a free in-flight slot under `plan` and room for
/// `images` at `per_image` credits ([`room`]).
pub(super) fn fits(
    status: &QuotaStatus,
    plan: &PlanConfig,
    images: u32,
    per_image: u32,
) -> Result<(), Denial> {
    if plan.max_in_flight > 0 && status.in_flight >= plan.max_in_flight {
        return Err(Denial::InFlight {
            limit: plan.max_in_flight,
        });
    }
    room(status, plan, images, per_image)
}

/// Whether the windows' room plus prepaid credits cover `images` at
/// `per_image` credits, as the ledger's reserve would count them. A refusal
/// says how many images fit now and the earliest moment the request could
/// fit (the oldest charge of every short window aged out; reserve gives the
/// exact time when it is tried then), or `None` if a window can never hold it.
fn room(
    status: &QuotaStatus,
    plan: &PlanConfig,
    images: u32,
    per_image: u32,
) -> Result<(), Denial> {
    let cost = u64::from(images) * u64::from(per_image);
    let windows = status.windows.iter().map(|w| w.remaining()).min();
    let windows = u64::from(windows.unwrap_or(0));
    if windows + status.credits >= cost {
        return Ok(());
    }
    let fits = match u64::from(per_image) {
        0 => images,
        per => u32::try_from(((windows + status.credits) / per).min(u64::from(images)))
            .unwrap_or(images),
    };
    let need = cost.saturating_sub(status.credits);
    let never = plan.windows.iter().any(|w| u64::from(w.limit) < need);
    let retry_at = if never || plan.windows.is_empty() {
        None
    } else {
        status
            .windows
            .iter()
            .filter(|w| u64::from(w.remaining()) < need)
            .filter_map(|w| w.next_free_at)
            .max()
            .or(Some(status.now))
    };
    Err(Denial::Quota { fits, retry_at })
}

#[cfg(test)]
mod tests {
    use easel_shared::{UnixMillis, WindowStatus};

    use super::*;

    fn status(used: u32, credits: u64) -> QuotaStatus {
        QuotaStatus {
            plan: Some("free".into()),
            plan_expires_at: None,
            windows: vec![WindowStatus {
                limit: 10,
                period_secs: 3600,
                used,
                next_free_at: (used > 0).then_some(UnixMillis(5_000)),
            }],
            credits,
            in_flight: 0,
            banned: false,
            now: UnixMillis(1_000),
        }
    }

    fn plan() -> PlanConfig {
        PlanConfig {
            windows: vec![easel_shared::config::WindowConfig {
                limit: 10,
                period: std::time::Duration::from_secs(3600),
            }],
            ..PlanConfig::default()
        }
    }

    #[test]
    fn room_counts_windows_then_credits_like_reserve() {
        assert_eq!(room(&status(8, 0), &plan(), 2, 1), Ok(()));
        assert_eq!(room(&status(10, 2), &plan(), 2, 1), Ok(()));
        assert_eq!(
            room(&status(9, 0), &plan(), 2, 1),
            Err(Denial::Quota {
                fits: 1,
                retry_at: Some(UnixMillis(5_000))
            })
        );
        // 12 credits can never fit a 10-credit window without prepaid credits.
        assert_eq!(
            room(&status(0, 0), &plan(), 4, 3),
            Err(Denial::Quota {
                fits: 3,
                retry_at: None
            })
        );
    }

    #[test]
    fn no_inputs_allowed_reads_as_no_editing() {
        assert_eq!(
            too_many_inputs(0),
            Denial::PlanForbids {
                what: "edit".into(),
                max: None
            }
        );
        assert_eq!(
            too_many_inputs(3),
            Denial::PlanForbids {
                what: "inputs".into(),
                max: Some(3)
            }
        );
    }
}
