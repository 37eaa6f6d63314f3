//! What a user has left (`QuotaStatus`) and why a request was refused
//! (`Denial`). Frontends render both in the user's language; every denial
//! carries what the user can do about it.

use serde::{Deserialize, Serialize};

use crate::ids::UnixMillis;
use crate::render::SizeRefusal;

/// One rolling window of a plan as the user sees it now.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WindowStatus {
    /// Credits the window allows per period.
    pub limit: u32,
    /// The window's length in seconds (e.g. 10800 for 3 h).
    pub period_secs: u64,
    /// Credits charged inside the window right now.
    pub used: u32,
    /// When the oldest charge ages out and frees credits (`None` if nothing is used).
    pub next_free_at: Option<UnixMillis>,
}

impl WindowStatus {
    /// Credits still available in this window.
    pub fn remaining(&self) -> u32 {
        self.limit.saturating_sub(self.used)
    }
}

/// Everything a user may want to know about their quota.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuotaStatus {
    /// The plan in effect (`None`: no access until a code is redeemed or an admin assigns one).
    pub plan: Option<String>,
    /// When an assigned plan lapses back to the default (`None`: it does not).
    pub plan_expires_at: Option<UnixMillis>,
    /// Each window of the plan, in the plan's order.
    pub windows: Vec<WindowStatus>,
    /// Prepaid credits, spent once the windows are exhausted.
    pub credits: u64,
    /// Requests admitted and not yet finished.
    pub in_flight: u32,
    /// Banned users are refused everything.
    pub banned: bool,
    /// The ledger's clock when this was read, so relative times render right.
    pub now: UnixMillis,
}

impl QuotaStatus {
    /// Credits usable right now: the tightest window's room plus prepaid credits.
    pub fn available(&self) -> u64 {
        let room = self
            .windows
            .iter()
            .map(WindowStatus::remaining)
            .min()
            .unwrap_or(0);
        u64::from(room) + self.credits
    }
}

/// A refusal as the gateway passes it on: the one shape of every `Denied`
/// (the ledger's `Admission`, admission's `AdmitError`, the port's
/// `GatewayError`). Nothing is ever charged for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refusal {
    /// Why, and when it can work.
    pub denial: Denial,
    /// True once per day when the spend cap is first hit: tell the admins.
    pub notify_admins: bool,
}

impl Refusal {
    /// A refusal the admins need not hear about (all but the daily budget one).
    pub fn quiet(denial: Denial) -> Self {
        Refusal {
            denial,
            notify_admins: false,
        }
    }
}

/// Why a request was refused. Nothing is ever charged for a denied request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum Denial {
    /// An admin banned the user.
    #[error("banned")]
    Banned,
    /// Access mode `code`: the user has no plan until they redeem an access code.
    #[error("no access: redeem an access code first")]
    NeedsCode,
    /// Access mode `allowlist`: the user is not on the list.
    #[error("not on the allowlist")]
    NotAllowed,
    /// The plan's windows and the prepaid credits cannot cover the request.
    #[error("quota exhausted: {fits} images fit now")]
    Quota {
        /// How many images of this kind would fit right now (0 if none).
        fits: u32,
        /// When the request as asked would fit (`None`: never, it exceeds a window's limit).
        retry_at: Option<UnixMillis>,
    },
    /// Too many of the user's requests are still running.
    #[error("{limit} requests already running")]
    InFlight {
        /// The plan's cap on concurrent requests.
        limit: u32,
    },
    /// Too many requests in a short time (the in-process burst limiter).
    #[error("slow down")]
    Burst {
        /// When the next request will be accepted.
        retry_at: UnixMillis,
    },
    /// The request's estimated cost is above `spend.max_request_micros`:
    /// fewer images, a lower quality or a smaller size may fit.
    #[error("the request costs more than one request may")]
    TooCostly,
    /// The deployment's daily spend cap is reached.
    #[error("daily budget reached")]
    Budget {
        /// The next UTC midnight, when the budget resets.
        resets_at: UnixMillis,
    },
    /// The plan does not allow what was asked (too many images, a quality, editing).
    #[error("the plan does not allow {what}")]
    PlanForbids {
        /// A message key naming what is not allowed, e.g. `n`, `quality`, `edit`.
        what: String,
        /// The most the plan allows, where a number applies (e.g. max n).
        max: Option<u32>,
    },
    /// Too many redemption attempts in a short time.
    #[error("too many redemption attempts")]
    RedeemRate {
        /// When the next attempt will be accepted.
        retry_at: UnixMillis,
    },
    /// The user is cooling down after repeated safety blocks.
    #[error("cooling down after repeated safety blocks")]
    Cooldown {
        /// When requests are accepted again.
        until: UnixMillis,
    },
    /// The model cannot draw the size asked for (`--size WxH`); checked
    /// before anything is sent upstream.
    #[error("{}x{} is not a size this model accepts", .0.width, .0.height)]
    Size(SizeRefusal),
    /// The process is shutting down (restart or deploy): it takes no new
    /// jobs. Nothing was charged; the same request works again shortly.
    #[error("restarting: try again shortly")]
    Restarting,
    /// The API key the request came with is no longer the user's (revoked
    /// since it was last looked up); checked in the same step as the quota.
    #[error("the API key was revoked")]
    KeyRevoked,
}
