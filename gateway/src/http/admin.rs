//! `/admin/v1`: plans, credits, bans, access codes, usage, spend and audit,
//! for operators' scripts and dashboards. Every route needs the admin token;
//! every change is audited by the ledger with actor `api`.

mod api_keys;

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::routing::{delete, get, post, put};
use axum::{Json, Router};
use easel_shared::admin::{
    Actor, AuditEntry, CodeInfo, CodeSpec, MintedCode, SpendStatus, TopEntry, UsageEntry,
};
use easel_shared::{QuotaStatus, UnixMillis, UserKey};
use serde::{Deserialize, Serialize};

use super::AppState;
use super::auth::Admin;
use super::error::AppError;
use crate::settings;

/// The admin routes, mounted under `/admin/v1`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/users/{user}", get(status))
        .route("/users/{user}/credits", post(adjust_credits))
        .route("/users/{user}/plan", put(set_plan))
        .route("/users/{user}/ban", put(set_ban))
        .route("/users/{user}/usage", get(usage))
        .route("/top", get(top))
        .route("/spend", get(spend))
        .route("/codes", post(mint).get(list_codes))
        .route("/codes/{id}", delete(revoke))
        .route("/audit", get(audit))
        .route("/reload", post(reload))
        .merge(api_keys::routes())
}

fn user_key(raw: &str) -> Result<UserKey, AppError> {
    raw.parse()
        .map_err(|e: easel_shared::ids::IdError| AppError::BadRequest(e.to_string()))
}

async fn status(
    _: Admin,
    State(s): State<AppState>,
    Path(user): Path<String>,
) -> Result<Json<QuotaStatus>, AppError> {
    Ok(Json(s.ledger.status(user_key(&user)?).await?))
}

/// Body of `POST /users/{user}/credits`: positive grants, negative deducts.
#[derive(Debug, Deserialize)]
struct CreditsBody {
    delta: i64,
    #[serde(default)]
    reason: String,
}

#[derive(Debug, Serialize)]
struct Balance {
    credits: u64,
}

async fn adjust_credits(
    _: Admin,
    State(s): State<AppState>,
    Path(user): Path<String>,
    Json(body): Json<CreditsBody>,
) -> Result<Json<Balance>, AppError> {
    if body.delta == 0 {
        return Err(AppError::BadRequest("delta must not be 0".into()));
    }
    let credits = s
        .ledger
        .adjust_credits(user_key(&user)?, body.delta, &body.reason, Actor::Api)
        .await?;
    Ok(Json(Balance { credits }))
}

/// Body of `PUT /users/{user}/plan`: `plan: null` returns the user to the default.
#[derive(Debug, Deserialize)]
struct PlanBody {
    plan: Option<String>,
    #[serde(default)]
    days: u32,
    #[serde(default)]
    reason: String,
}

#[derive(Debug, Serialize)]
struct PlanAnswer {
    expires_at: Option<UnixMillis>,
}

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

/// Body of `PUT /users/{user}/ban`.
#[derive(Debug, Deserialize)]
struct BanBody {
    banned: bool,
    #[serde(default)]
    reason: String,
}

async fn set_ban(
    _: Admin,
    State(s): State<AppState>,
    Path(user): Path<String>,
    Json(body): Json<BanBody>,
) -> Result<Json<serde_json::Value>, AppError> {
    s.ledger
        .set_banned(user_key(&user)?, body.banned, &body.reason, Actor::Api)
        .await?;
    Ok(Json(serde_json::json!({ "banned": body.banned })))
}

/// `?limit=` for listings, capped so one call stays cheap.
#[derive(Debug, Deserialize)]
struct Limit {
    limit: Option<usize>,
}

impl Limit {
    fn get(&self) -> usize {
        self.limit.unwrap_or(50).clamp(1, 1000)
    }
}

async fn usage(
    _: Admin,
    State(s): State<AppState>,
    Path(user): Path<String>,
    Query(limit): Query<Limit>,
) -> Result<Json<Vec<UsageEntry>>, AppError> {
    Ok(Json(s.ledger.usage(user_key(&user)?, limit.get()).await?))
}

/// `?days=&limit=` for the top list.
#[derive(Debug, Deserialize)]
struct TopQuery {
    days: Option<u32>,
    limit: Option<usize>,
}

async fn top(
    _: Admin,
    State(s): State<AppState>,
    Query(q): Query<TopQuery>,
) -> Result<Json<Vec<TopEntry>>, AppError> {
    let days = q.days.unwrap_or(1).clamp(1, 31);
    Ok(Json(
        s.ledger
            .top(days, q.limit.unwrap_or(20).clamp(1, 1000))
            .await?,
    ))
}

async fn spend(_: Admin, State(s): State<AppState>) -> Result<Json<SpendStatus>, AppError> {
    Ok(Json(s.ledger.spend_today().await?))
}

/// Body of `POST /codes`: what each code grants and how many to mint.
#[derive(Debug, Deserialize)]
struct MintBody {
    #[serde(flatten)]
    spec: CodeSpec,
    count: u32,
}

async fn mint(
    _: Admin,
    State(s): State<AppState>,
    Json(body): Json<MintBody>,
) -> Result<Json<Vec<MintedCode>>, AppError> {
    if !(1..=1000).contains(&body.count) {
        return Err(AppError::BadRequest("count must be 1..=1000".into()));
    }
    Ok(Json(
        s.ledger
            .mint_codes(&body.spec, body.count, Actor::Api)
            .await?,
    ))
}

async fn list_codes(_: Admin, State(s): State<AppState>) -> Result<Json<Vec<CodeInfo>>, AppError> {
    Ok(Json(s.ledger.list_codes().await?))
}

async fn revoke(
    _: Admin,
    State(s): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, AppError> {
    if s.ledger.revoke_code(&id, Actor::Api).await? {
        Ok(Json(serde_json::json!({ "revoked": id })))
    } else {
        Err(crate::ledger::LedgerError::NotFound(format!("code {id}")).into())
    }
}

async fn audit(
    _: Admin,
    State(s): State<AppState>,
    Query(limit): Query<Limit>,
) -> Result<Json<Vec<AuditEntry>>, AppError> {
    Ok(Json(s.ledger.audit(limit.get()).await?))
}

/// Re-reads the config file and swaps it in; a bad file leaves the old one in force.
async fn reload(_: Admin, State(s): State<AppState>) -> Result<Json<serde_json::Value>, AppError> {
    let path = s.config_path.clone();
    let loaded =
        tokio::task::spawn_blocking(move || settings::load(path.as_deref(), &settings::ProcessEnv))
            .await
            .map_err(|e| AppError::BadRequest(format!("reload failed: {e}")))?;
    let config = loaded.map_err(|e| AppError::BadRequest(format!("config not reloaded: {e}")))?;
    let plans: Vec<String> = config.plans.keys().cloned().collect();
    s.config.store(Arc::new(config));
    tracing::info!(?plans, "configuration reloaded");
    Ok(Json(
        serde_json::json!({ "reloaded": true, "plans": plans }),
    ))
}
