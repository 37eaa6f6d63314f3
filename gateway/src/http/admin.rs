//! `/admin/v1`: plans, credits, bans, access codes, usage, spend and audit,
//! for operators' scripts and dashboards. Every route needs the admin token;
//! every change is audited by the ledger with actor `api`.
//!
//! Each handler carries its OpenAPI description (`#[utoipa::path]`) and is
//! mounted from it by [`documented`]: the route's path and methods are read
//! from the annotation, so the served document and the router cannot
//! disagree. A new route is one annotated handler, one `documented` line
//! here and one entry in `super::openapi::AdminApi`. The errors every route
//! shares (401, 503, 400, and 413/415/422 for bodies) are added to the
//! document in one place, `super::openapi`.

mod wire;

pub(crate) mod api_keys;
pub(crate) mod queue;
pub(crate) mod reports;

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::handler::Handler;
use axum::routing::{MethodFilter, on};
use easel_shared::admin::{
    Actor, AuditEntry, CodeInfo, CodeSpec, MintedCode, SpendStatus, TopEntry, UsageEntry,
};
use easel_shared::{QuotaStatus, UserKey};
use utoipa::openapi::path::HttpMethod;

use self::wire::in_range;
pub use self::wire::{
    Balance, BanAnswer, BanBody, CreditsBody, Limit, MAX_DELTA, MintBody, PlanAnswer, PlanBody,
    ReloadAnswer, RevokeAnswer, TopQuery,
};
use super::AppState;
use super::auth::Admin;
use super::error::{AppError, ErrorBody};
use super::extract::{Json, Path, Query};
use crate::settings;

/// Where this router is nested; the documented paths include it.
pub const PREFIX: &str = "/admin/v1";

/// The admin routes, mounted under [`PREFIX`].
pub fn routes() -> Router<AppState> {
    let r = Router::new();
    let r = documented::<__path_status, _, _>(r, status);
    let r = documented::<__path_adjust_credits, _, _>(r, adjust_credits);
    let r = documented::<__path_set_plan, _, _>(r, set_plan);
    let r = documented::<__path_set_ban, _, _>(r, set_ban);
    let r = documented::<__path_usage, _, _>(r, usage);
    let r = documented::<__path_top, _, _>(r, top);
    let r = documented::<__path_spend, _, _>(r, spend);
    let r = documented::<__path_mint, _, _>(r, mint);
    let r = documented::<__path_list_codes, _, _>(r, list_codes);
    let r = documented::<__path_revoke, _, _>(r, revoke);
    let r = documented::<__path_audit, _, _>(r, audit);
    let r = documented::<api_keys::__path_create, _, _>(r, api_keys::create);
    let r = documented::<api_keys::__path_list, _, _>(r, api_keys::list);
    let r = documented::<api_keys::__path_revoke, _, _>(r, api_keys::revoke);
    let r = documented::<queue::__path_queue, _, _>(r, queue::queue);
    let r = documented::<queue::__path_cancel, _, _>(r, queue::cancel);
    let r = documented::<queue::__path_errors, _, _>(r, queue::errors);
    let r = documented::<reports::__path_spend_days, _, _>(r, reports::spend_days);
    let r = documented::<reports::__path_plans, _, _>(r, reports::plans);
    let r = documented::<reports::__path_codes_csv, _, _>(r, reports::codes_csv);
    let r = documented::<reports::__path_find_username, _, _>(r, reports::find_username);
    documented::<__path_reload, _, _>(r, reload)
}

/// Mounts `handler` at the path and methods its `#[utoipa::path]` names.
///
/// # Panics
/// When the annotation's path is not under [`PREFIX`] or names no method:
/// a mistake in this file, caught by any test that builds the router.
fn documented<P, H, T>(router: Router<AppState>, handler: H) -> Router<AppState>
where
    P: utoipa::Path,
    H: Handler<T, AppState>,
    T: 'static,
{
    let full = P::path();
    let path = full
        .strip_prefix(PREFIX)
        .unwrap_or_else(|| panic!("admin route {full} is not documented under {PREFIX}"));
    let filter = P::methods()
        .into_iter()
        .map(method_filter)
        .reduce(MethodFilter::or)
        .unwrap_or_else(|| panic!("admin route {full} documents no method"));
    router.route(path, on(filter, handler))
}

fn method_filter(method: HttpMethod) -> MethodFilter {
    match method {
        HttpMethod::Get => MethodFilter::GET,
        HttpMethod::Post => MethodFilter::POST,
        HttpMethod::Put => MethodFilter::PUT,
        HttpMethod::Delete => MethodFilter::DELETE,
        HttpMethod::Options => MethodFilter::OPTIONS,
        HttpMethod::Head => MethodFilter::HEAD,
        HttpMethod::Patch => MethodFilter::PATCH,
        HttpMethod::Trace => MethodFilter::TRACE,
    }
}

pub(crate) fn user_key(raw: &str) -> Result<UserKey, AppError> {
    raw.parse()
        .map_err(|e: easel_shared::ids::IdError| AppError::BadRequest(e.to_string()))
}

/// A user's quota status.
///
/// Plan, windows, prepaid credits, requests in flight and ban state, as the
/// ledger sees them now.
#[utoipa::path(
    get, path = "/admin/v1/users/{user}", tag = "users",
    params(("user" = UserKey, Path, description = "tg:<id>, dc:<id>, web:<id> or cli:<name>")),
    responses((status = 200, description = "The user's quota status", body = QuotaStatus)),
)]
async fn status(
    _: Admin,
    State(s): State<AppState>,
    Path(user): Path<String>,
) -> Result<Json<QuotaStatus>, AppError> {
    Ok(Json(s.ledger.status(user_key(&user)?).await?))
}

/// Grants or deducts prepaid credits.
///
/// A deduction larger than the balance is refused (409) and changes nothing.
#[utoipa::path(
    post, path = "/admin/v1/users/{user}/credits", tag = "users",
    params(("user" = UserKey, Path, description = "Whose account")),
    request_body = CreditsBody,
    responses(
        (status = 200, description = "The new balance", body = Balance),
        (status = 409, description = "The balance cannot cover the deduction (`refused`)", body = ErrorBody),
    ),
)]
async fn adjust_credits(
    _: Admin,
    State(s): State<AppState>,
    Path(user): Path<String>,
    Json(body): Json<CreditsBody>,
) -> Result<Json<Balance>, AppError> {
    if body.delta == 0 || body.delta.abs() > MAX_DELTA {
        return Err(AppError::BadRequest(format!(
            "delta must be non-zero and within -{MAX_DELTA}..={MAX_DELTA}"
        )));
    }
    let credits = s
        .ledger
        .adjust_credits(user_key(&user)?, body.delta, &body.reason, Actor::Api)
        .await?;
    Ok(Json(Balance { credits }))
}

/// Assigns a plan for some days, or returns the user to the default plan.
#[utoipa::path(
    put, path = "/admin/v1/users/{user}/plan", tag = "users",
    params(("user" = UserKey, Path, description = "Whose plan")),
    request_body = PlanBody,
    responses(
        (status = 200, description = "The plan is in effect", body = PlanAnswer),
        (status = 404, description = "No such plan in the config (`not_found`)", body = ErrorBody),
    ),
)]
async fn set_plan(
    _: Admin,
    State(s): State<AppState>,
    Path(user): Path<String>,
    Json(body): Json<PlanBody>,
) -> Result<Json<PlanAnswer>, AppError> {
    let expires_at = s
        .ledger
        .set_plan(
            user_key(&user)?,
            body.plan.as_deref(),
            body.days,
            &body.reason,
            Actor::Api,
        )
        .await?;
    Ok(Json(PlanAnswer { expires_at }))
}

/// Bans a user or lifts the ban.
#[utoipa::path(
    put, path = "/admin/v1/users/{user}/ban", tag = "users",
    params(("user" = UserKey, Path, description = "Whom")),
    request_body = BanBody,
    responses((status = 200, description = "The ban state now", body = BanAnswer)),
)]
async fn set_ban(
    _: Admin,
    State(s): State<AppState>,
    Path(user): Path<String>,
    Json(body): Json<BanBody>,
) -> Result<Json<BanAnswer>, AppError> {
    s.ledger
        .set_banned(user_key(&user)?, body.banned, &body.reason, Actor::Api)
        .await?;
    Ok(Json(BanAnswer {
        banned: body.banned,
    }))
}

/// A user's finished requests, newest first.
#[utoipa::path(
    get, path = "/admin/v1/users/{user}/usage", tag = "users",
    params(("user" = UserKey, Path, description = "Whose usage"), Limit),
    responses((status = 200, description = "Usage log entries", body = Vec<UsageEntry>)),
)]
async fn usage(
    _: Admin,
    State(s): State<AppState>,
    Path(user): Path<String>,
    Query(limit): Query<Limit>,
) -> Result<Json<Vec<UsageEntry>>, AppError> {
    Ok(Json(s.ledger.usage(user_key(&user)?, limit.get()?).await?))
}

/// The users who were charged the most credits in the last days.
#[utoipa::path(
    get, path = "/admin/v1/top", tag = "deployment",
    params(TopQuery),
    responses((status = 200, description = "Users by credits charged, most first", body = Vec<TopEntry>)),
)]
async fn top(
    _: Admin,
    State(s): State<AppState>,
    Query(q): Query<TopQuery>,
) -> Result<Json<Vec<TopEntry>>, AppError> {
    let days = in_range("days", q.days.unwrap_or(1), 1, 31)? as u32;
    let limit = in_range("limit", q.limit.unwrap_or(20), 1, 1000)?;
    Ok(Json(s.ledger.top(days, limit).await?))
}

/// Today's spend against the daily cap, by backend.
#[utoipa::path(
    get, path = "/admin/v1/spend", tag = "deployment",
    responses((status = 200, description = "Spend today (UTC)", body = SpendStatus)),
)]
async fn spend(_: Admin, State(s): State<AppState>) -> Result<Json<SpendStatus>, AppError> {
    Ok(Json(s.ledger.spend_today().await?))
}

/// Mints a batch of access codes.
///
/// The plaintext codes are in this answer only; the ledger keeps hashes.
#[utoipa::path(
    post, path = "/admin/v1/codes", tag = "codes",
    request_body = MintBody,
    responses(
        (status = 200, description = "The new codes, shown once", body = Vec<MintedCode>),
        (status = 404, description = "The code's plan is not in the config (`not_found`)", body = ErrorBody),
        (status = 409, description = "The ledger refused the grant, e.g. `max_uses` 0 (`refused`)", body = ErrorBody),
    ),
)]
async fn mint(
    _: Admin,
    State(s): State<AppState>,
    Json(body): Json<MintBody>,
) -> Result<Json<Vec<MintedCode>>, AppError> {
    if !(1..=1000).contains(&body.count) {
        return Err(AppError::BadRequest("count must be 1..=1000".into()));
    }
    let spec: &CodeSpec = &body.spec;
    Ok(Json(
        s.ledger.mint_codes(spec, body.count, Actor::Api).await?,
    ))
}

/// Every access code, without its plaintext.
#[utoipa::path(
    get, path = "/admin/v1/codes", tag = "codes",
    responses((status = 200, description = "Codes with their grants and uses", body = Vec<CodeInfo>)),
)]
async fn list_codes(_: Admin, State(s): State<AppState>) -> Result<Json<Vec<CodeInfo>>, AppError> {
    Ok(Json(s.ledger.list_codes().await?))
}

/// Revokes an access code: later redemptions are refused.
#[utoipa::path(
    delete, path = "/admin/v1/codes/{id}", tag = "codes",
    params(("id" = String, Path, description = "The code's public id, from minting or the listing")),
    responses(
        (status = 200, description = "The code is revoked", body = RevokeAnswer),
        (status = 404, description = "No such code (`not_found`)", body = ErrorBody),
    ),
)]
async fn revoke(
    _: Admin,
    State(s): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<RevokeAnswer>, AppError> {
    if s.ledger.revoke_code(&id, Actor::Api).await? {
        Ok(Json(RevokeAnswer { revoked: id }))
    } else {
        Err(crate::ledger::LedgerError::NotFound(format!("code {id}")).into())
    }
}

/// The audit trail of admin changes, newest first.
#[utoipa::path(
    get, path = "/admin/v1/audit", tag = "deployment",
    params(Limit),
    responses((status = 200, description = "Audit entries", body = Vec<AuditEntry>)),
)]
async fn audit(
    _: Admin,
    State(s): State<AppState>,
    Query(limit): Query<Limit>,
) -> Result<Json<Vec<AuditEntry>>, AppError> {
    Ok(Json(s.ledger.audit(limit.get()?).await?))
}

/// Re-reads the config file and swaps it in.
///
/// A file that does not load is refused (400, naming the key) and the old
/// configuration stays in force.
#[utoipa::path(
    post, path = "/admin/v1/reload", tag = "deployment",
    responses((status = 200, description = "The new configuration is in force", body = ReloadAnswer)),
)]
async fn reload(_: Admin, State(s): State<AppState>) -> Result<Json<ReloadAnswer>, AppError> {
    let path = s.config_path.clone();
    let loaded =
        tokio::task::spawn_blocking(move || settings::load(path.as_deref(), &settings::ProcessEnv))
            .await
            .map_err(|e| AppError::BadRequest(format!("reload failed: {e}")))?;
    let config = loaded.map_err(|e| AppError::BadRequest(format!("config not reloaded: {e}")))?;
    let plans: Vec<String> = config.plans.keys().cloned().collect();
    s.config.store(Arc::new(config));
    tracing::info!(?plans, "configuration reloaded");
    Ok(Json(ReloadAnswer {
        reloaded: true,
        plans,
    }))
}
