//! The frontend API: every [`Gateway`] port method over HTTP, for bot
//! processes that run against this gateway as a service
//! ([`crate::service::RemoteGateway`] is the client). Mounted at
//! [`wire::BASE`]; each frontend authenticates with its own token
//! ([`auth::Frontend`]); a job's events are SSE with resume
//! ([`jobs::Jobs`]). The wire types are in `service/remote/wire.rs`.

pub mod auth;
pub mod error;
pub mod handle;
pub mod jobs;

use std::convert::Infallible;
use std::sync::Arc;

use axum::extract::{DefaultBodyLimit, FromRequest, Multipart, Path, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use bytes::Bytes;
use easel_shared::admin::AdminActor;
use easel_shared::apikey::{ApiKeyInfo, MintedApiKey};
use easel_shared::request::{InputImage, Precheck, Request as ImageRequest};
use easel_shared::results::{MessageRef, ResultId, ResultRecord, UserSettings};
use easel_shared::weblink::WebLink;
use easel_shared::{Platform, UserKey};
use futures::Stream;
use serde::{Deserialize, Serialize};

use self::auth::Frontend;
use self::error::FrontendError;
use self::jobs::Jobs;
use super::AppState;
use crate::imaging::InputLimits;
use crate::service::Gateway;
use crate::service::remote::wire::{
    self, AdminCall, AdminRules, EventClaim, ForUser, GatewayInfo, RecentResults, SubmitBody,
    Submitted, UserRequest, UserText, WireCancelled, WireInput, WirePass,
};

/// The most a submit body may carry: every input (at most 16) at the
/// decoder's file limit, plus a mask and the JSON. A bigger file is refused
/// by the decoder with its own message; this only stops a body that could
/// never be valid.
pub fn submit_limit() -> usize {
    InputLimits::default().max_bytes * 17 + 1024 * 1024
}

/// The frontend API's routes (mount with `.merge`: paths are absolute).
pub fn routes() -> Router<AppState> {
    let api = Router::new()
        .route("/precheck", post(precheck))
        .route(
            "/submit",
            post(submit).layer(DefaultBodyLimit::max(submit_limit())),
        )
        .route("/jobs/{job}/events", get(job_events))
        .route("/cancel", post(cancel))
        .route("/quota", post(quota))
        .route("/redeem", post(redeem))
        .route("/events/claim", post(claim_event))
        .route("/admin/rules", get(admin_rules))
        .route("/admin/check", post(admin_check))
        .route("/admin", post(admin))
        .route("/results/by-message", post(find_by_message))
        .route("/results/recent", post(recent_results))
        .route("/results/{id}", get(result))
        .route("/results/{id}/original/{index}", get(original))
        .route("/results/{id}/message", post(attach_message))
        .route("/settings/get", post(settings))
        .route("/settings/set", post(set_settings))
        .route("/usernames/remember", post(remember_username))
        .route("/usernames/lookup", post(lookup_username))
        .route("/forget", post(forget))
        .route("/api-keys/create", post(create_api_key))
        .route("/api-keys/list", post(list_api_keys))
        .route("/api-keys/revoke", post(revoke_api_key))
        .route("/web-link", post(web_link))
        .route("/notices", get(notices))
        .route("/info", get(info))
        .layer(Extension(Arc::new(Jobs::default())));
    Router::new().nest(wire::BASE, api)
}

type Answer<T> = Result<Json<T>, FrontendError>;

fn port(state: &AppState) -> Result<Arc<dyn Gateway>, FrontendError> {
    state.gateway.clone().ok_or(FrontendError::NoGateway)
}

/// The gateway's release and whether it serves jobs: answered to any
/// frontend whose token is accepted, with or without the pipeline.
async fn info(State(s): State<AppState>, _: Frontend) -> Json<GatewayInfo> {
    Json(GatewayInfo {
        version: env!("CARGO_PKG_VERSION").to_owned(),
        serves_jobs: s.gateway.is_some(),
    })
}

/// A JSON body, its rejection in the one error shape.
struct Body<T>(T);

impl<T: serde::de::DeserializeOwned + Send> FromRequest<AppState> for Body<T> {
    type Rejection = FrontendError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, FrontendError> {
        Json::<T>::from_request(req, state)
            .await
            .map(|Json(v)| Body(v))
            .map_err(|e| FrontendError::BadRequest(e.body_text()))
    }
}

async fn precheck(
    State(s): State<AppState>,
    _: Frontend,
    Body(check): Body<Precheck>,
) -> Answer<WirePass> {
    let pass = port(&s)?.precheck(check).await?;
    Ok(Json(WirePass {
        id: pass.id,
        max_inputs: pass.max_inputs,
    }))
}

async fn submit(
    State(s): State<AppState>,
    Extension(jobs): Extension<Arc<Jobs>>,
    Frontend(name): Frontend,
    req: Request,
) -> Answer<Submitted> {
    let gateway = port(&s)?;
    let multipart = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    let request = if multipart {
        let form = Multipart::from_request(req, &s)
            .await
            .map_err(|e| FrontendError::BadRequest(e.body_text()))?;
        read_multipart(form).await?
    } else {
        let Body(body) = Body::<SubmitBody>::from_request(req, &s).await?;
        assemble(body, Vec::new(), None)?
    };
    let id = request.id.clone();
    let events = gateway.submit(request).await?;
    let config = s.config.load();
    let token = config.gateway.frontends.get(&name).map(|t| t.expose());
    let job = handle::handle(token.unwrap_or_default(), &id);
    jobs.track(&name, &job, events, config.gateway.events_grace);
    Ok(Json(Submitted { job }))
}

async fn read_multipart(mut form: Multipart) -> Result<ImageRequest, FrontendError> {
    let bad =
        |e: axum::extract::multipart::MultipartError| FrontendError::BadRequest(e.body_text());
    let (mut body, mut uploads, mut mask) = (None, Vec::new(), None);
    while let Some(field) = form.next_field().await.map_err(bad)? {
        let name = field.name().unwrap_or_default().to_owned();
        let bytes = field.bytes().await.map_err(bad)?;
        match name.as_str() {
            wire::PART_REQUEST => {
                body = Some(serde_json::from_slice::<SubmitBody>(&bytes).map_err(|e| {
                    FrontendError::BadRequest(format!("part `{}`: {e}", wire::PART_REQUEST))
                })?);
            }
            wire::PART_IMAGE => uploads.push(bytes),
            wire::PART_MASK => mask = Some(bytes),
            other => {
                return Err(FrontendError::BadRequest(format!(
                    "unexpected part `{other}`"
                )));
            }
        }
    }
    let body = body.ok_or_else(|| {
        FrontendError::BadRequest(format!("missing part `{}`", wire::PART_REQUEST))
    })?;
    assemble(body, uploads, mask)
}

/// Puts the uploads back where the body's `upload` entries stand.
fn assemble(
    body: SubmitBody,
    uploads: Vec<Bytes>,
    mask: Option<Bytes>,
) -> Result<ImageRequest, FrontendError> {
    let wanted = body
        .inputs
        .iter()
        .filter(|i| matches!(i, WireInput::Upload))
        .count();
    if wanted != uploads.len() {
        return Err(FrontendError::BadRequest(format!(
            "{wanted} uploads announced, {} `{}` parts sent",
            uploads.len(),
            wire::PART_IMAGE
        )));
    }
    let mut uploads = uploads.into_iter();
    let inputs = body
        .inputs
        .into_iter()
        .map(|input| match input {
            WireInput::Upload => InputImage::Upload {
                bytes: uploads.next().unwrap_or_default(),
            },
            WireInput::Output { result, index } => InputImage::Output { result, index },
            WireInput::Input { result, index } => InputImage::Input { result, index },
        })
        .collect();
    Ok(ImageRequest {
        id: body.id,
        user: body.user,
        prompt: body.prompt,
        options: body.options,
        inputs,
        parent: body.parent,
        mask,
    })
}

async fn job_events(
    State(s): State<AppState>,
    Extension(jobs): Extension<Arc<Jobs>>,
    Frontend(name): Frontend,
    Path(job): Path<String>,
    headers: HeaderMap,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, FrontendError> {
    let after = match headers.get("last-event-id") {
        None => None,
        Some(v) => Some(
            v.to_str()
                .ok()
                .and_then(|v| v.trim().parse::<u64>().ok())
                .ok_or_else(|| FrontendError::BadRequest("bad Last-Event-ID".into()))?,
        ),
    };
    if !jobs.contains(&job) {
        adopt(&s, &jobs, &name, &job).await;
    }
    let stream = jobs
        .follow(&name, &job, after)
        .ok_or(FrontendError::NoSuchJob)?;
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}

/// Records a job this replica did not accept (the shared job queue knows
/// it) when the handle proves `name` submitted it; does nothing otherwise.
async fn adopt(s: &AppState, jobs: &Arc<Jobs>, name: &str, job: &str) {
    let config = s.config.load();
    let Some(token) = config.gateway.frontends.get(name) else {
        return;
    };
    let (Some(id), Some(gateway)) = (handle::open(token.expose(), job), s.gateway.as_ref()) else {
        return;
    };
    if let Some(events) = gateway.follow_elsewhere(&id).await {
        jobs.track(name, job, events, config.gateway.events_grace);
    }
}

async fn cancel(
    State(s): State<AppState>,
    _: Frontend,
    Body(r): Body<UserRequest>,
) -> Answer<WireCancelled> {
    Ok(Json(port(&s)?.cancel(r.user, &r.id).await?.into()))
}

async fn quota(
    State(s): State<AppState>,
    _: Frontend,
    Body(u): Body<ForUser>,
) -> Answer<easel_shared::QuotaStatus> {
    Ok(Json(port(&s)?.quota(u.user).await?))
}

async fn redeem(
    State(s): State<AppState>,
    _: Frontend,
    Body(u): Body<UserText>,
) -> Answer<easel_shared::admin::Redemption> {
    Ok(Json(port(&s)?.redeem(u.user, &u.text).await?))
}

async fn claim_event(
    State(s): State<AppState>,
    _: Frontend,
    Body(c): Body<EventClaim>,
) -> Answer<bool> {
    Ok(Json(port(&s)?.claim_event(&c.event).await?))
}

async fn admin_rules(State(s): State<AppState>, _: Frontend) -> Answer<AdminRules> {
    port(&s)?;
    let config = s.config.load();
    Ok(Json(AdminRules {
        admins: config.access.admins.iter().copied().collect(),
        admin_roles: config.discord.admin_roles.clone(),
    }))
}

async fn admin_check(
    State(s): State<AppState>,
    _: Frontend,
    Body(actor): Body<AdminActor>,
) -> Answer<bool> {
    Ok(Json(port(&s)?.is_admin(&actor)))
}

async fn admin(
    State(s): State<AppState>,
    _: Frontend,
    Body(call): Body<AdminCall>,
) -> Answer<easel_shared::admin::AdminReply> {
    Ok(Json(port(&s)?.admin(call.actor, call.op).await?))
}

async fn result(
    State(s): State<AppState>,
    _: Frontend,
    Path(id): Path<ResultId>,
) -> Answer<Option<easel_shared::results::ResultRecord>> {
    Ok(Json(port(&s)?.result(&id).await?))
}

/// The provider's bytes with their MIME type; 204 once expired.
async fn original(
    State(s): State<AppState>,
    _: Frontend,
    Path((id, index)): Path<(ResultId, usize)>,
) -> Result<Response, FrontendError> {
    Ok(match port(&s)?.original(&id, index).await? {
        Some(image) => ([(header::CONTENT_TYPE, image.mime)], image.bytes).into_response(),
        None => StatusCode::NO_CONTENT.into_response(),
    })
}

async fn attach_message(
    State(s): State<AppState>,
    _: Frontend,
    Path(id): Path<ResultId>,
    Body(message): Body<MessageRef>,
) -> Result<StatusCode, FrontendError> {
    port(&s)?.attach_message(&id, message).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn find_by_message(
    State(s): State<AppState>,
    _: Frontend,
    Body(message): Body<MessageRef>,
) -> Answer<Option<easel_shared::results::ResultRecord>> {
    Ok(Json(port(&s)?.find_by_message(&message).await?))
}

async fn settings(
    State(s): State<AppState>,
    _: Frontend,
    Body(u): Body<ForUser>,
) -> Answer<UserSettings> {
    Ok(Json(port(&s)?.settings(u.user).await?))
}

/// A user's settings to save.
#[derive(Debug, Serialize, Deserialize)]
pub struct SetSettings {
    /// Whose.
    pub user: UserKey,
    /// The new settings.
    pub settings: UserSettings,
}

async fn set_settings(
    State(s): State<AppState>,
    _: Frontend,
    Body(b): Body<SetSettings>,
) -> Result<StatusCode, FrontendError> {
    port(&s)?.set_settings(b.user, b.settings).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn remember_username(
    State(s): State<AppState>,
    _: Frontend,
    Body(u): Body<UserText>,
) -> Result<StatusCode, FrontendError> {
    port(&s)?.remember_username(u.user, &u.text).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A @username to resolve.
#[derive(Debug, Serialize, Deserialize)]
pub struct Lookup {
    /// Where it was seen.
    pub platform: Platform,
    /// The name.
    pub username: String,
}

async fn lookup_username(
    State(s): State<AppState>,
    _: Frontend,
    Body(l): Body<Lookup>,
) -> Answer<Option<UserKey>> {
    Ok(Json(
        port(&s)?.lookup_username(l.platform, &l.username).await?,
    ))
}

async fn recent_results(
    State(s): State<AppState>,
    _: Frontend,
    Body(r): Body<RecentResults>,
) -> Answer<Vec<ResultRecord>> {
    Ok(Json(port(&s)?.recent_results(r.user, r.limit).await?))
}

async fn forget(State(s): State<AppState>, _: Frontend, Body(u): Body<ForUser>) -> Answer<u64> {
    Ok(Json(port(&s)?.forget(u.user).await?))
}

async fn create_api_key(
    State(s): State<AppState>,
    _: Frontend,
    Body(u): Body<ForUser>,
) -> Answer<MintedApiKey> {
    Ok(Json(port(&s)?.create_api_key(u.user).await?))
}

async fn list_api_keys(
    State(s): State<AppState>,
    _: Frontend,
    Body(u): Body<ForUser>,
) -> Answer<Vec<ApiKeyInfo>> {
    Ok(Json(port(&s)?.list_api_keys(u.user).await?))
}

/// `text` is the key's visible prefix.
async fn revoke_api_key(
    State(s): State<AppState>,
    _: Frontend,
    Body(u): Body<UserText>,
) -> Answer<bool> {
    Ok(Json(port(&s)?.revoke_api_key(u.user, &u.text).await?))
}

/// The admin notices as SSE, for as long as the frontend listens.
async fn notices(
    State(s): State<AppState>,
    _: Frontend,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, FrontendError> {
    let notices = port(&s)?.admin_notices();
    let stream = futures::stream::unfold(notices, |mut notices| async move {
        let notice = notices.recv().await?;
        let event = Event::default()
            .json_data(&notice)
            .unwrap_or_else(|_| Event::default().comment("unserializable"));
        Some((Ok(event), notices))
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}

/// A one-time sign-in link to the web pages (`null`: no `http.public_url`).
async fn web_link(
    State(s): State<AppState>,
    _: Frontend,
    Body(u): Body<ForUser>,
) -> Answer<Option<WebLink>> {
    Ok(Json(port(&s)?.web_link(u.user).await?))
}
