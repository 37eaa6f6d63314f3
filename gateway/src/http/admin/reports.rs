//! `/admin/v1` reports for the dashboard and operators' scripts: images,
//! spend and credits per day, plans with today's usage, the code listing as CSV, and
//! finding a user by the @username the bot has seen.

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use easel_shared::admin::DaySpend;
use easel_shared::{Platform, UserKey};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::wire::in_range;
use crate::http::AppState;
use crate::http::auth::Admin;
use crate::http::error::{AppError, ErrorBody};
use crate::http::extract::{Json, Path, Query};
use crate::ledger::{LedgerError, SPEND_DAYS_KEPT};
use crate::reports::{self, PlanUsage};

/// `?days=` for the daily series.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct DaysQuery {
    /// Days back from today, UTC, today included (default 14).
    #[param(minimum = 1, maximum = 31)]
    pub(crate) days: Option<u32>,
}

/// Spend and credits charged per UTC day, oldest first, a row per day.
#[utoipa::path(
    get, path = "/admin/v1/spend/days", tag = "deployment",
    params(DaysQuery),
    responses((status = 200, description = "One row per day, oldest first", body = Vec<DaySpend>)),
)]
pub(crate) async fn spend_days(
    _: Admin,
    State(s): State<AppState>,
    Query(q): Query<DaysQuery>,
) -> Result<Json<Vec<DaySpend>>, AppError> {
    let days = in_range("days", q.days.unwrap_or(14), 1, SPEND_DAYS_KEPT)? as u32;
    Ok(Json(s.ledger.spend_days(days).await?))
}

/// The configured plans with how many users on each were charged today and
/// for how many credits.
#[utoipa::path(
    get, path = "/admin/v1/plans", tag = "deployment",
    responses((status = 200, description = "Plans by name", body = Vec<PlanUsage>)),
)]
pub(crate) async fn plans(
    _: Admin,
    State(s): State<AppState>,
) -> Result<Json<Vec<PlanUsage>>, AppError> {
    let config = s.config.load_full();
    Ok(Json(reports::plan_usage(&*s.ledger, &config).await?))
}

/// Every access code as CSV (never the plaintext codes).
#[utoipa::path(
    get, path = "/admin/v1/codes.csv", tag = "codes",
    responses((status = 200, description = "One row per code", body = String, content_type = "text/csv")),
)]
pub(crate) async fn codes_csv(
    _: Admin,
    State(s): State<AppState>,
) -> Result<impl IntoResponse, AppError> {
    let csv = reports::codes_csv(&s.ledger.list_codes().await?);
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"easel-codes.csv\"",
            ),
        ],
        csv,
    ))
}

/// Who a @username is.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct FoundUser {
    /// The user's key, for the other `/users/{user}` routes.
    pub(crate) user: UserKey,
}

/// Finds a user by the @username the bot last saw them use.
#[utoipa::path(
    get, path = "/admin/v1/usernames/{platform}/{name}", tag = "users",
    params(
        ("platform" = String, Path, description = "`tg` or `dc`"),
        ("name" = String, Path, description = "The username, with or without `@`"),
    ),
    responses(
        (status = 200, description = "The user", body = FoundUser),
        (status = 404, description = "No user seen with that name (`not_found`)", body = ErrorBody),
    ),
)]
pub(crate) async fn find_username(
    _: Admin,
    State(s): State<AppState>,
    Path((platform, name)): Path<(String, String)>,
) -> Result<Json<FoundUser>, AppError> {
    let platform = match platform.as_str() {
        "tg" => Platform::Telegram,
        "dc" => Platform::Discord,
        other => {
            return Err(AppError::BadRequest(format!(
                "platform must be tg or dc, not `{other}`"
            )));
        }
    };
    let name = name.trim_start_matches('@');
    let Some(gateway) = &s.gateway else {
        return Err(LedgerError::Unavailable("this process keeps no usernames".into()).into());
    };
    match gateway.lookup_username(platform, name).await {
        Ok(Some(user)) => Ok(Json(FoundUser { user })),
        Ok(None) => Err(LedgerError::NotFound(format!("user @{name}")).into()),
        Err(e) => Err(LedgerError::Unavailable(e.to_string()).into()),
    }
}
