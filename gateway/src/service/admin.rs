//! Running an [`AdminOp`] against the ledger, the runner and the metrics on
//! behalf of an admin: the one function behind chat admin commands, the
//! admin HTTP API's queue routes and the web dashboard.

use easel_shared::admin::{Actor, AdminOp, AdminReply};

use super::GatewayError;
use crate::ledger::{Ledger, LedgerError};
use crate::metrics::Metrics;
use crate::runner::JobRunner;

/// What an admin operation can reach.
pub(super) struct Parts<'a> {
    pub(super) ledger: &'a dyn Ledger,
    pub(super) runner: &'a JobRunner,
    pub(super) metrics: &'a Metrics,
}

/// Runs `op`; the caller has already checked that `actor` is an admin.
pub(super) async fn run(
    parts: Parts<'_>,
    actor: Actor,
    op: AdminOp,
) -> Result<AdminReply, GatewayError> {
    let Parts {
        ledger,
        runner,
        metrics,
    } = parts;
    let reply = match op {
        AdminOp::Status { user } => AdminReply::Status(ledger.status(user).await?),
        AdminOp::Grant {
            user,
            credits,
            reason,
        } => {
            let balance = ledger
                .adjust_credits(user, signed(credits)?, &reason, actor)
                .await?;
            AdminReply::Credits { user, balance }
        }
        AdminOp::Deduct {
            user,
            credits,
            reason,
        } => {
            let balance = ledger
                .adjust_credits(user, -signed(credits)?, &reason, actor)
                .await?;
            AdminReply::Credits { user, balance }
        }
        AdminOp::Plan { user, plan, days } => {
            let expires_at = ledger
                .set_plan(user, plan.as_deref(), days, "", actor)
                .await?;
            AdminReply::Plan {
                user,
                plan,
                expires_at,
            }
        }
        AdminOp::Ban {
            user,
            banned,
            reason,
        } => {
            ledger.set_banned(user, banned, &reason, actor).await?;
            AdminReply::Banned { user, banned }
        }
        AdminOp::MintCodes { spec, count } => {
            AdminReply::Minted(ledger.mint_codes(&spec, count, actor).await?)
        }
        AdminOp::ListCodes => AdminReply::Codes(ledger.list_codes().await?),
        AdminOp::RevokeCode { id } => {
            let found = ledger.revoke_code(&id, actor).await?;
            AdminReply::Revoked { id, found }
        }
        AdminOp::Usage { user, limit } => AdminReply::Usage {
            user,
            entries: ledger.usage(user, limit).await?,
        },
        AdminOp::Top { days, limit } => AdminReply::Top(ledger.top(days, limit).await?),
        AdminOp::Stats => AdminReply::Stats(ledger.spend_today().await?),
        AdminOp::Queue => AdminReply::Queue(runner.snapshot().await),
        AdminOp::CancelJob { id } => {
            let outcome = runner.cancel_any(&id).await;
            tracing::info!(%actor, %id, ?outcome, "admin cancel");
            AdminReply::JobCancelled { id, outcome }
        }
        AdminOp::BackendErrors => AdminReply::BackendErrors(metrics.backend_errors()),
    };
    Ok(reply)
}

/// Credits as the ledger's signed delta; no balance can hold more.
fn signed(credits: u64) -> Result<i64, GatewayError> {
    i64::try_from(credits).map_err(|_| GatewayError::Refused("too many credits".into()))
}

impl From<LedgerError> for GatewayError {
    fn from(e: LedgerError) -> Self {
        match e {
            LedgerError::NotFound(m) | LedgerError::Refused(m) => GatewayError::Refused(m),
            e @ (LedgerError::Unavailable(_) | LedgerError::Corrupt(_)) => {
                GatewayError::Unavailable(e.to_string())
            }
        }
    }
}
