//! Records admins read and write: access codes, usage, audit, spend. They
//! cross the wire between a bot and a standalone gateway.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::ids::{RequestId, UnixMillis, UserKey};

/// Who made a change: an admin user, the admin HTTP API, or Easel itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Actor {
    /// An admin acting from a chat.
    Admin(UserKey),
    /// A call to the admin HTTP API.
    Api,
    /// Easel itself (reaper, code redemption).
    System,
}

impl fmt::Display for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Actor::Admin(u) => write!(f, "{u}"),
            Actor::Api => f.write_str("api"),
            Actor::System => f.write_str("system"),
        }
    }
}

impl FromStr for Actor {
    type Err = crate::ids::IdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "api" => Ok(Actor::Api),
            "system" => Ok(Actor::System),
            other => other.parse().map(Actor::Admin),
        }
    }
}

impl Serialize for Actor {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Actor {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

/// What a batch of access codes grants and how they may be used.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeSpec {
    /// Prepaid credits added on redemption.
    pub credits: u64,
    /// A plan assigned on redemption, for `plan_days` days.
    pub plan: Option<String>,
    /// Days of the plan (extends the same plan if the user already has it). 0 = forever.
    pub plan_days: u32,
    /// How many different users may redeem the code.
    pub max_uses: u32,
    /// After this instant the code is refused.
    pub redeem_by: Option<UnixMillis>,
    /// A free-text note for admins (who it was sold to, ...).
    pub note: String,
}

/// A freshly minted code: the plaintext exists only in this value.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MintedCode {
    /// Short public id for listing and revoking (not enough to redeem).
    pub id: String,
    /// The code to hand to the user. Never stored.
    pub code: String,
}

/// An access code as admins see it in a listing.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeInfo {
    /// Short public id.
    pub id: String,
    /// What it grants.
    pub spec: CodeSpec,
    /// How many users redeemed it.
    pub uses: u32,
    /// Revoked codes are refused.
    pub revoked: bool,
    /// When it was minted.
    pub created_at: UnixMillis,
    /// Who minted it.
    pub created_by: Actor,
}

/// The result of a redemption attempt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Redemption {
    /// The grant was applied.
    Redeemed {
        /// Credits added.
        credits: u64,
        /// The plan now in effect, if the code assigned one.
        plan: Option<String>,
        /// When that plan lapses (`None`: never).
        plan_expires_at: Option<UnixMillis>,
    },
    /// This user already redeemed this code.
    AlreadyRedeemed,
    /// No such code (typo, wrong check character, never minted).
    Invalid,
    /// The code's redeem-by date has passed.
    Expired,
    /// Every use of the code is taken.
    UsedUp,
    /// An admin revoked the code.
    Revoked,
    /// The code's plan is not better than the plan the user holds, which it
    /// would cut short: refused, and the code's use is not taken (redeem it
    /// after `until`).
    PlanHeld {
        /// The plan the user holds now.
        plan: String,
        /// When that plan ends (`None`: never).
        until: Option<UnixMillis>,
    },
}

/// How a request ended, as recorded in the usage log.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UsageOutcome {
    /// All images delivered.
    Delivered,
    /// Fewer images than asked; the rest refunded.
    Partial,
    /// Nothing delivered; fully refunded.
    Failed,
    /// The worker vanished; the reaper refunded the reservation.
    Expired,
}

/// One finished request in a user's usage log.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsageEntry {
    /// The request.
    pub id: RequestId,
    /// When it finished.
    pub at: UnixMillis,
    /// Images delivered.
    pub images: u32,
    /// Credits finally charged.
    pub credits: u32,
    /// What it cost the operator, in micro-dollars.
    pub cost_micros: u64,
    /// How it ended.
    pub outcome: UsageOutcome,
}

/// A row of the top-users list.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TopEntry {
    /// The user.
    pub user: UserKey,
    /// Credits charged in the period.
    pub credits: u64,
}

/// What an admin changed, kept for the audit trail.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// When.
    pub at: UnixMillis,
    /// Who.
    pub actor: Actor,
    /// Whose account (`None` for deployment-wide changes such as minting codes).
    pub user: Option<UserKey>,
    /// What, e.g. `grant`, `deduct`, `plan`, `ban`, `unban`, `mint`, `revoke`, `redeem`.
    pub action: String,
    /// Details: amounts, plan and days, code id.
    pub detail: String,
    /// The reason the admin gave.
    pub reason: String,
}

/// Today's spend against the daily cap.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpendStatus {
    /// UTC day number.
    pub day: i64,
    /// Micro-dollars reserved or spent today (running jobs count at their estimate).
    pub spent_micros: u64,
    /// The cap (0: none).
    pub cap_micros: u64,
    /// Spend by backend name.
    pub by_backend: BTreeMap<String, u64>,
}

/// One UTC day of the deployment's totals, for the dashboard's charts.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DaySpend {
    /// UTC day number (days since 1970-01-01).
    pub day: i64,
    /// Micro-dollars spent (running jobs count at their estimate).
    pub cost_micros: u64,
    /// Images delivered for the requests reserved that day.
    #[serde(default)]
    pub images: u64,
    /// Credits charged for the requests reserved that day.
    pub credits: u64,
}

/// Who asks for an admin operation, and on what authority. The gateway
/// decides against its configuration; the frontend only reports facts.
// Adjacently tagged: an internally tagged newtype variant holding a string
// (`User(UserKey)`) cannot be serialized, and actors cross the wire to a
// remote gateway.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "by", content = "actor", rename_all = "snake_case")]
pub enum AdminActor {
    /// A user, admin if listed in `access.admins`.
    User(UserKey),
    /// A Discord member, admin if one of their `roles` in `guild` is listed
    /// for that guild in `discord.admin_roles` (or if listed in `access.admins`).
    GuildMember {
        /// Who.
        user: UserKey,
        /// The guild the interaction came from.
        guild: u64,
        /// The member's roles there, from the interaction.
        roles: Vec<u64>,
    },
}

impl AdminActor {
    /// The user behind the request (audited as the actor).
    pub fn user(&self) -> UserKey {
        match self {
            AdminActor::User(user) | AdminActor::GuildMember { user, .. } => *user,
        }
    }
}

/// An admin operation with its users resolved, as a frontend hands it to the
/// gateway. The gateway checks that the actor is an admin before running it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum AdminOp {
    /// A user's quota status.
    Status {
        /// Whose.
        user: UserKey,
    },
    /// Add prepaid credits.
    Grant {
        /// Whose account.
        user: UserKey,
        /// How many.
        credits: u64,
        /// Why (audited).
        reason: String,
    },
    /// Remove prepaid credits (refused beyond the balance).
    Deduct {
        /// Whose account.
        user: UserKey,
        /// How many.
        credits: u64,
        /// Why (audited).
        reason: String,
    },
    /// Assign a plan for `days` (0: until changed), or `None` for the default.
    Plan {
        /// Whose plan.
        user: UserKey,
        /// The plan's name.
        plan: Option<String>,
        /// Days (0: no expiry).
        days: u32,
    },
    /// Ban (`true`) or unban.
    Ban {
        /// Who.
        user: UserKey,
        /// Ban or lift.
        banned: bool,
        /// Why (audited).
        reason: String,
    },
    /// Mint access codes.
    MintCodes {
        /// What each grants.
        spec: CodeSpec,
        /// How many (1..=100 from chat).
        count: u32,
    },
    /// List access codes.
    ListCodes,
    /// Revoke a code by its short id.
    RevokeCode {
        /// The short id.
        id: String,
    },
    /// A user's recent requests.
    Usage {
        /// Whose.
        user: UserKey,
        /// How many entries.
        limit: usize,
    },
    /// Top users by credits over the last `days` days.
    Top {
        /// Days, today included.
        days: u32,
        /// How many users.
        limit: usize,
    },
    /// Today's spend against the daily cap.
    Stats,
    /// The live queue: waiting and running jobs.
    Queue,
    /// Cancel a waiting job of any user (full refund).
    CancelJob {
        /// The job's request id, from [`AdminOp::Queue`].
        id: RequestId,
    },
    /// Upstream errors by backend and kind since the process started.
    BackendErrors,
}

/// What an admin operation produced.
// Adjacently tagged: internally tagged newtype variants holding a list
// (`Minted`, `Codes`, `Top`) cannot be serialized.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "reply", content = "data", rename_all = "snake_case")]
pub enum AdminReply {
    /// A user's status.
    Status(crate::quota::QuotaStatus),
    /// The new prepaid balance after a grant or deduction.
    Credits {
        /// Whose.
        user: UserKey,
        /// Balance now.
        balance: u64,
    },
    /// A plan was set.
    Plan {
        /// Whose.
        user: UserKey,
        /// The plan (None: default).
        plan: Option<String>,
        /// When it lapses.
        expires_at: Option<UnixMillis>,
    },
    /// A ban changed.
    Banned {
        /// Who.
        user: UserKey,
        /// Whether banned now.
        banned: bool,
    },
    /// Freshly minted codes (plaintext shown once).
    Minted(Vec<MintedCode>),
    /// The code listing.
    Codes(Vec<CodeInfo>),
    /// A revocation.
    Revoked {
        /// The short id.
        id: String,
        /// False if there was no such code.
        found: bool,
    },
    /// A user's usage log.
    Usage {
        /// Whose.
        user: UserKey,
        /// Newest first.
        entries: Vec<UsageEntry>,
    },
    /// The top list.
    Top(Vec<TopEntry>),
    /// Today's spend.
    Stats(SpendStatus),
    /// The live queue.
    Queue(crate::job::QueueSnapshot),
    /// What an admin cancel did.
    JobCancelled {
        /// The job.
        id: RequestId,
        /// Cancelled, already started, or unknown.
        outcome: crate::job::CancelOutcome,
    },
    /// Upstream errors counted since start.
    BackendErrors(Vec<BackendErrorCount>),
}

/// Upstream attempts that failed, by backend and error kind, since the
/// process started (read from the metrics registry).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackendErrorCount {
    /// The backend's configured name.
    pub backend: String,
    /// The error kind, e.g. `rate_limited`, `timeout`.
    pub kind: String,
    /// How many attempts ended so.
    pub count: u64,
}

#[cfg(test)]
mod wire_tests {
    use super::*;

    /// Regression: internally tagged, `AdminActor::User(UserKey)` and the
    /// list replies (`Minted`, `Codes`, `Top`) failed to serialize at all,
    /// so they could not cross the wire to a remote gateway.
    #[test]
    fn actors_and_replies_round_trip_through_json() {
        let actors = [
            AdminActor::User(UserKey::telegram(9)),
            AdminActor::GuildMember {
                user: UserKey::discord(1),
                guild: 2,
                roles: vec![3],
            },
        ];
        for actor in actors {
            let json = serde_json::to_string(&actor).unwrap();
            assert_eq!(serde_json::from_str::<AdminActor>(&json).unwrap(), actor);
        }
        let replies = [
            AdminReply::Codes(Vec::new()),
            AdminReply::Top(Vec::new()),
            AdminReply::Banned {
                user: UserKey::telegram(9),
                banned: true,
            },
        ];
        for reply in replies {
            let json = serde_json::to_string(&reply).unwrap();
            assert_eq!(serde_json::from_str::<AdminReply>(&json).unwrap(), reply);
        }
    }
}
