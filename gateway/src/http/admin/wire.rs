//! The admin API's own request bodies, query strings and answers (the
//! ledger's records come from `easel_shared::admin`). Each derives its
//! OpenAPI schema from the same serde attributes that shape the wire.

use easel_shared::UnixMillis;
use easel_shared::admin::CodeSpec;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::http::error::AppError;

/// Body of `POST /users/{user}/credits`: positive grants, negative deducts.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CreditsBody {
    /// Credits to add (positive) or remove (negative); never 0, at most
    /// [`MAX_DELTA`] either way.
    #[schema(minimum = -1_000_000_000, maximum = 1_000_000_000)]
    pub delta: i64,
    /// Why, for the audit trail.
    #[serde(default)]
    pub reason: String,
}

/// The largest grant or deduction one call may make: far above any real
/// one, and far below where the ledger's arithmetic could overflow.
pub const MAX_DELTA: i64 = 1_000_000_000;

/// A user's prepaid credits after a change.
#[derive(Debug, Serialize, ToSchema)]
pub struct Balance {
    /// The new balance.
    pub credits: u64,
}

/// Body of `PUT /users/{user}/plan`: `plan: null` returns the user to the default.
#[derive(Debug, Deserialize, ToSchema)]
pub struct PlanBody {
    /// A plan named in the config, or `null` for the default plan.
    pub plan: Option<String>,
    /// How many days the plan lasts; 0 = forever.
    #[serde(default)]
    pub days: u32,
    /// Why, for the audit trail.
    #[serde(default)]
    pub reason: String,
}

/// When the plan just set lapses.
#[derive(Debug, Serialize, ToSchema)]
pub struct PlanAnswer {
    /// `null`: it does not.
    pub expires_at: Option<UnixMillis>,
}

/// Body of `PUT /users/{user}/ban`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct BanBody {
    /// `true` bans, `false` lifts the ban.
    pub banned: bool,
    /// Why, for the audit trail.
    #[serde(default)]
    pub reason: String,
}

/// The ban state just set.
#[derive(Debug, Serialize, ToSchema)]
pub struct BanAnswer {
    /// Whether the user is banned now.
    pub banned: bool,
}

/// `?limit=` for listings, capped so one call stays cheap.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Limit {
    /// How many entries, newest first (default 50).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u32>,
}

impl Limit {
    /// The limit asked for (default 50), or a 400 outside 1..=1000.
    pub fn get(&self) -> Result<usize, AppError> {
        in_range("limit", self.limit.unwrap_or(50), 1, 1000)
    }
}

/// `?days=&limit=` for the top list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TopQuery {
    /// Days back from today, UTC (default 1).
    #[param(minimum = 1, maximum = 31)]
    pub days: Option<u32>,
    /// How many users (default 20).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u32>,
}

/// `value` if it is within `min..=max` (the range the document states),
/// else a 400 naming the parameter: the document and the checks agree.
pub(super) fn in_range(name: &str, value: u32, min: u32, max: u32) -> Result<usize, AppError> {
    if (min..=max).contains(&value) {
        Ok(value as usize)
    } else {
        Err(AppError::Rejected {
            status: axum::http::StatusCode::BAD_REQUEST,
            code: "invalid_query",
            message: format!("{name} must be {min}..={max}"),
        })
    }
}

/// Body of `POST /codes`: what each code grants and how many to mint.
#[derive(Debug, Deserialize, ToSchema)]
pub struct MintBody {
    /// What every code of the batch grants.
    #[serde(flatten)]
    pub spec: CodeSpec,
    /// How many codes to mint.
    #[schema(minimum = 1, maximum = 1000)]
    pub count: u32,
}

/// A code just revoked.
#[derive(Debug, Serialize, ToSchema)]
pub struct RevokeAnswer {
    /// Its public id.
    pub revoked: String,
}

/// A configuration reload that took effect.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReloadAnswer {
    /// Always `true` (a failed reload is an error).
    pub reloaded: bool,
    /// The plans now configured, by name.
    pub plans: Vec<String>,
}
