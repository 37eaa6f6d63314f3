//! `/admin/v1/queue` and `/admin/v1/errors`: the live job queue (an admin
//! cancel of a waiting job) and upstream errors by backend. Both run the
//! same [`AdminOp`]s as chat admins and the web dashboard, through
//! `Gateway::operate`, so there is one implementation of each.

use axum::extract::State;
use easel_shared::RequestId;
use easel_shared::admin::{Actor, AdminOp, AdminReply, BackendErrorCount};
use easel_shared::job::{CancelOutcome, QueueSnapshot};

use crate::http::AppState;
use crate::http::auth::Admin;
use crate::http::error::{AppError, ErrorBody};
use crate::http::extract::{Json, Path};
use crate::ledger::LedgerError;
use crate::service::GatewayError;

/// What an admin cancel answers.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub(crate) struct CancelAnswer {
    /// The job.
    pub(crate) id: RequestId,
    /// `cancelled` (refunded), `already_started` (runs to the end) or `unknown`.
    pub(crate) outcome: CancelOutcome,
}

/// The jobs waiting (in the order they will start) and running.
#[utoipa::path(
    get, path = "/admin/v1/queue", tag = "deployment",
    responses((status = 200, description = "Waiting and running jobs", body = QueueSnapshot)),
)]
pub(crate) async fn queue(
    _: Admin,
    State(s): State<AppState>,
) -> Result<Json<QueueSnapshot>, AppError> {
    match operate(&s, AdminOp::Queue).await? {
        AdminReply::Queue(snapshot) => Ok(Json(snapshot)),
        other => Err(unexpected(&other)),
    }
}

/// Cancels a waiting job of any user: it leaves the queue and is fully
/// refunded. A job whose upstream call started runs to the end.
#[utoipa::path(
    delete, path = "/admin/v1/queue/{id}", tag = "deployment",
    params(("id" = String, Path, description = "The job's request id, from the queue listing")),
    responses(
        (status = 200, description = "What the cancel did", body = CancelAnswer),
        (status = 404, description = "No waiting or running job has this id (`not_found`)", body = ErrorBody),
    ),
)]
pub(crate) async fn cancel(
    _: Admin,
    State(s): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<CancelAnswer>, AppError> {
    let id = RequestId::new(id).map_err(|e| AppError::BadRequest(e.to_string()))?;
    match operate(&s, AdminOp::CancelJob { id }).await? {
        AdminReply::JobCancelled {
            id,
            outcome: CancelOutcome::Unknown,
        } => Err(LedgerError::NotFound(format!("job {id}")).into()),
        AdminReply::JobCancelled { id, outcome } => Ok(Json(CancelAnswer { id, outcome })),
        other => Err(unexpected(&other)),
    }
}

/// Failed upstream attempts by backend and error kind since this process
/// started (the `easel_upstream_errors` counters).
#[utoipa::path(
    get, path = "/admin/v1/errors", tag = "deployment",
    responses((status = 200, description = "Error counts by backend and kind", body = Vec<BackendErrorCount>)),
)]
pub(crate) async fn errors(
    _: Admin,
    State(s): State<AppState>,
) -> Result<Json<Vec<BackendErrorCount>>, AppError> {
    match operate(&s, AdminOp::BackendErrors).await? {
        AdminReply::BackendErrors(counts) => Ok(Json(counts)),
        other => Err(unexpected(&other)),
    }
}

/// Runs `op` as the admin API (audited as `api`). A process without a job
/// runner (a gateway serving only the ledger) answers 503.
async fn operate(s: &AppState, op: AdminOp) -> Result<AdminReply, AppError> {
    let Some(gateway) = &s.gateway else {
        return Err(no_runner());
    };
    gateway.operate(Actor::Api, op).await.map_err(|e| match e {
        GatewayError::Refused(m) => LedgerError::Refused(m).into(),
        GatewayError::Forbidden => no_runner(),
        other => LedgerError::Unavailable(other.to_string()).into(),
    })
}

fn no_runner() -> AppError {
    AppError::Rejected {
        status: axum::http::StatusCode::SERVICE_UNAVAILABLE,
        code: "no_runner",
        message: "this process runs no jobs (no backends configured)".into(),
    }
}

/// A reply of another kind: a bug in the gateway, reported as unavailable.
fn unexpected(reply: &AdminReply) -> AppError {
    tracing::error!(?reply, "admin operation answered with another reply");
    LedgerError::Unavailable("unexpected answer".into()).into()
}
