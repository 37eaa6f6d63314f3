//! [`RemoteGateway`]: the [`Gateway`] port over the frontend API of a
//! gateway running as its own service (`easel-gateway`, `http/frontend.rs`).
//! `easel` uses it when `gateway.url` is set and embeds the gateway otherwise.
//!
//! A gateway that cannot be reached is [`GatewayError::Unavailable`] (the
//! chat says "temporarily unavailable, nothing was charged"); an error the
//! gateway answered comes back as the same variant with the same data.

mod events;
pub mod wire;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use async_trait::async_trait;
use easel_shared::admin::{AdminActor, AdminOp, AdminReply, Redemption};
use easel_shared::config::GatewayConfig;
use easel_shared::request::{InputImage, Precheck, Request};
use easel_shared::results::{MessageRef, ResultId, ResultRecord, UserSettings};
use easel_shared::secret::Secret;
use easel_shared::{Platform, QuotaStatus, RequestId, UnixMillis, UserKey};
use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::sync::{mpsc, watch};
use tokio_util::sync::{CancellationToken, DropGuard};

use self::wire::{
    AdminCall, AdminRules, ErrorBody, EventClaim, ForUser, RecentResults, SubmitBody, Submitted,
    UserRequest, UserText, WireCancelled, WirePass,
};
use super::{Gateway, GatewayError, JobStream, Pass};
use crate::http::frontend::{Lookup, SetSettings};
use crate::ledger::Clock;
use crate::notices::{AdminNotices, NoticeStream};
use crate::results::ImageData;
use easel_shared::apikey::{ApiKeyInfo, MintedApiKey};
use easel_shared::job::CancelOutcome;
use easel_shared::weblink::WebLink;

/// How long a plain call may take (a submit with uploads: [`UPLOAD_TIMEOUT`]).
const CALL_TIMEOUT: Duration = Duration::from_secs(60);
/// How long a submit carrying images may take to upload and be admitted.
const UPLOAD_TIMEOUT: Duration = Duration::from_secs(300);
/// How old the copy of the admin rules may get before it is refreshed.
pub const RULES_TTL: Duration = Duration::from_secs(30);

/// The gateway's admin rules as last fetched, and when (`None`: never yet).
type RulesCopy = Arc<RwLock<(AdminRules, Option<UnixMillis>)>>;

/// The gateway port of a remote gateway.
pub struct RemoteGateway {
    link: Link,
    /// The gateway's admin rules, for the synchronous `is_admin`.
    rules: RulesCopy,
    refreshing: Arc<AtomicBool>,
    /// Ages the rules' copy (a manual clock in tests moves it).
    clock: Clock,
    /// Counts the rule fetches that landed (tests wait on a refresh).
    fetched: Arc<watch::Sender<u64>>,
    /// The notices relayed from the gateway, for every local adapter.
    notices: AdminNotices,
    /// Stops the notice relay when the gateway handle goes.
    _stop: DropGuard,
}

/// Where the gateway is and how to authenticate; cheap to clone.
#[derive(Clone)]
pub(crate) struct Link {
    http: reqwest::Client,
    base: String,
    token: Secret,
}

impl Link {
    fn url(&self, path: &str) -> String {
        format!("{}{}{path}", self.base, wire::BASE)
    }

    fn get(&self, url: &str) -> reqwest::RequestBuilder {
        self.http.get(url).bearer_auth(self.token.expose())
    }

    fn post(&self, url: &str) -> reqwest::RequestBuilder {
        self.http.post(url).bearer_auth(self.token.expose())
    }

    /// Sends `req` and reads a JSON answer.
    async fn call<T: DeserializeOwned>(
        &self,
        req: reqwest::RequestBuilder,
    ) -> Result<T, GatewayError> {
        let resp = self.send(req).await?;
        resp.json()
            .await
            .map_err(|e| GatewayError::Unavailable(format!("unreadable gateway answer: {e}")))
    }

    /// Sends `req`; a refusal becomes the gateway's error.
    async fn send(&self, req: reqwest::RequestBuilder) -> Result<reqwest::Response, GatewayError> {
        let resp = req
            .send()
            .await
            .map_err(|e| GatewayError::Unavailable(format!("gateway unreachable: {e}")))?;
        if resp.status().is_success() {
            return Ok(resp);
        }
        let status = resp.status();
        let body: Option<ErrorBody> = resp.json().await.ok();
        Err(match body {
            Some(ErrorBody { error }) => match error.gateway {
                Some(wire) => wire.into_gateway(),
                None => {
                    if status == StatusCode::UNAUTHORIZED {
                        tracing::error!("the gateway refused gateway.token (EASEL_GATEWAY_TOKEN)");
                    }
                    GatewayError::Unavailable(format!("gateway said {status}: {}", error.message))
                }
            },
            None => GatewayError::Unavailable(format!("gateway said {status}")),
        })
    }

    async fn post_json<B: Serialize, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<T, GatewayError> {
        self.call(self.post(&self.url(path)).timeout(CALL_TIMEOUT).json(body))
            .await
    }

    async fn post_unit<B: Serialize>(&self, path: &str, body: &B) -> Result<(), GatewayError> {
        self.send(self.post(&self.url(path)).timeout(CALL_TIMEOUT).json(body))
            .await
            .map(drop)
    }

    async fn get_json<T: DeserializeOwned>(&self, path: &str) -> Result<T, GatewayError> {
        self.call(self.get(&self.url(path)).timeout(CALL_TIMEOUT))
            .await
    }
}

impl RemoteGateway {
    /// A gateway port for the remote gateway `config.url`, authenticating
    /// with `config.token`. Reads the admin rules once (a gateway that is
    /// down now is not an error: calls fail as `Unavailable` until it is up)
    /// and starts relaying admin notices.
    pub async fn connect(config: &GatewayConfig) -> Self {
        Self::connect_with_clock(config, Clock::real()).await
    }

    /// [`RemoteGateway::connect`] with the clock that ages the admin rules'
    /// copy (tests pass a manual one and move it past [`RULES_TTL`]).
    pub async fn connect_with_clock(config: &GatewayConfig, clock: Clock) -> Self {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .build()
            .unwrap_or_default();
        let link = Link {
            http,
            base: config.url.trim_end_matches('/').to_owned(),
            token: config.token.clone(),
        };
        let stop = CancellationToken::new();
        let notices = AdminNotices::new();
        tokio::spawn(events::relay_notices(
            link.clone(),
            notices.clone(),
            stop.clone(),
        ));
        let gateway = Self {
            link,
            rules: Arc::default(),
            refreshing: Arc::default(),
            clock,
            fetched: Arc::new(watch::Sender::new(0)),
            notices,
            _stop: stop.drop_guard(),
        };
        if let Err(e) = gateway.refresh_rules().await {
            tracing::warn!(error = %e, "cannot read the gateway's admin rules yet");
        }
        gateway
    }

    /// Fetches the admin rules now.
    pub async fn refresh_rules(&self) -> Result<(), GatewayError> {
        fetch_rules(&self.link, &self.rules, &self.clock, &self.fetched).await
    }

    /// How many admin-rule fetches have landed; changes after each one
    /// (a test waits on it instead of sleeping).
    pub fn rules_fetched(&self) -> watch::Receiver<u64> {
        self.fetched.subscribe()
    }
}

async fn fetch_rules(
    link: &Link,
    rules: &RwLock<(AdminRules, Option<UnixMillis>)>,
    clock: &Clock,
    fetched: &watch::Sender<u64>,
) -> Result<(), GatewayError> {
    let fresh: AdminRules = link.get_json("/admin/rules").await?;
    *rules
        .write()
        .unwrap_or_else(std::sync::PoisonError::into_inner) = (fresh, Some(clock.now()));
    fetched.send_modify(|n| *n += 1);
    Ok(())
}

#[async_trait]
impl Gateway for RemoteGateway {
    async fn precheck(&self, check: Precheck) -> Result<Pass, GatewayError> {
        let pass: WirePass = self.link.post_json("/precheck", &check).await?;
        Ok(Pass {
            id: pass.id,
            max_inputs: pass.max_inputs,
        })
    }

    async fn submit(&self, request: Request) -> Result<JobStream, GatewayError> {
        let url = self.link.url("/submit");
        let body = SubmitBody::of(&request);
        let has_bytes = request.mask.is_some()
            || request
                .inputs
                .iter()
                .any(|i| matches!(i, InputImage::Upload { .. }));
        let req = if has_bytes {
            let json = serde_json::to_vec(&body)
                .map_err(|e| GatewayError::Unavailable(format!("cannot encode request: {e}")))?;
            let mut form = Form::new().part(wire::PART_REQUEST, Part::bytes(json));
            for input in request.inputs {
                if let InputImage::Upload { bytes } = input {
                    form = form.part(wire::PART_IMAGE, Part::stream(bytes));
                }
            }
            if let Some(mask) = request.mask {
                form = form.part(wire::PART_MASK, Part::stream(mask));
            }
            self.link.post(&url).timeout(UPLOAD_TIMEOUT).multipart(form)
        } else {
            self.link.post(&url).timeout(CALL_TIMEOUT).json(&body)
        };
        let submitted: Submitted = self.link.call(req).await?;
        let (tx, rx) = mpsc::unbounded_channel();
        tokio::spawn(events::follow_job(self.link.clone(), submitted.job, tx));
        Ok(rx)
    }

    async fn cancel(&self, user: UserKey, id: &RequestId) -> Result<CancelOutcome, GatewayError> {
        let body = UserRequest {
            user,
            id: id.clone(),
        };
        let answer: WireCancelled = self.link.post_json("/cancel", &body).await?;
        Ok(answer.into())
    }

    async fn quota(&self, user: UserKey) -> Result<QuotaStatus, GatewayError> {
        self.link.post_json("/quota", &ForUser { user }).await
    }

    async fn redeem(&self, user: UserKey, code: &str) -> Result<Redemption, GatewayError> {
        let body = UserText {
            user,
            text: code.to_owned(),
        };
        self.link.post_json("/redeem", &body).await
    }

    async fn claim_event(&self, event: &str) -> Result<bool, GatewayError> {
        let body = EventClaim {
            event: event.to_owned(),
        };
        self.link.post_json("/events/claim", &body).await
    }

    fn admin_notices(&self) -> NoticeStream {
        self.notices.subscribe()
    }

    /// Decided from the gateway's rules as last fetched; a stale copy is
    /// refreshed in the background. The gateway checks again on `admin`.
    fn is_admin(&self, actor: &AdminActor) -> bool {
        let (allowed, stale) = {
            let rules = self
                .rules
                .read()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let ttl = i64::try_from(RULES_TTL.as_millis()).unwrap_or(i64::MAX);
            let now = self.clock.now().0;
            let stale = rules.1.is_none_or(|at| now.saturating_sub(at.0) > ttl);
            (rules.0.allows(actor), stale)
        };
        if stale
            && tokio::runtime::Handle::try_current().is_ok()
            && !self.refreshing.swap(true, Ordering::AcqRel)
        {
            let (link, rules, flag) = (
                self.link.clone(),
                self.rules.clone(),
                self.refreshing.clone(),
            );
            let (clock, fetched) = (self.clock.clone(), self.fetched.clone());
            tokio::spawn(async move {
                if let Err(e) = fetch_rules(&link, &rules, &clock, &fetched).await {
                    tracing::warn!(error = %e, "cannot refresh the gateway's admin rules");
                }
                flag.store(false, Ordering::Release);
            });
        }
        allowed
    }

    async fn admin(&self, actor: AdminActor, op: AdminOp) -> Result<AdminReply, GatewayError> {
        self.link
            .post_json("/admin", &AdminCall { actor, op })
            .await
    }

    async fn result(&self, id: &ResultId) -> Result<Option<ResultRecord>, GatewayError> {
        self.link.get_json(&format!("/results/{id}")).await
    }

    async fn original(
        &self,
        id: &ResultId,
        index: usize,
    ) -> Result<Option<ImageData>, GatewayError> {
        let url = self.link.url(&format!("/results/{id}/original/{index}"));
        let resp = self
            .link
            .send(self.link.get(&url).timeout(UPLOAD_TIMEOUT))
            .await?;
        if resp.status() == StatusCode::NO_CONTENT {
            return Ok(None);
        }
        let mime = resp
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("application/octet-stream")
            .to_owned();
        let bytes = resp
            .bytes()
            .await
            .map_err(|e| GatewayError::Unavailable(format!("original cut off: {e}")))?;
        Ok(Some(ImageData { mime, bytes }))
    }

    async fn attach_message(&self, id: &ResultId, message: MessageRef) -> Result<(), GatewayError> {
        self.link
            .post_unit(&format!("/results/{id}/message"), &message)
            .await
    }

    async fn find_by_message(
        &self,
        message: &MessageRef,
    ) -> Result<Option<ResultRecord>, GatewayError> {
        self.link.post_json("/results/by-message", message).await
    }

    async fn settings(&self, user: UserKey) -> Result<UserSettings, GatewayError> {
        self.link
            .post_json("/settings/get", &ForUser { user })
            .await
    }

    async fn set_settings(
        &self,
        user: UserKey,
        settings: UserSettings,
    ) -> Result<(), GatewayError> {
        self.link
            .post_unit("/settings/set", &SetSettings { user, settings })
            .await
    }

    async fn remember_username(&self, user: UserKey, username: &str) -> Result<(), GatewayError> {
        let body = UserText {
            user,
            text: username.to_owned(),
        };
        self.link.post_unit("/usernames/remember", &body).await
    }

    async fn lookup_username(
        &self,
        platform: Platform,
        username: &str,
    ) -> Result<Option<UserKey>, GatewayError> {
        let body = Lookup {
            platform,
            username: username.to_owned(),
        };
        self.link.post_json("/usernames/lookup", &body).await
    }

    async fn forget(&self, user: UserKey) -> Result<u64, GatewayError> {
        self.link.post_json("/forget", &ForUser { user }).await
    }

    async fn recent_results(
        &self,
        user: UserKey,
        limit: u32,
    ) -> Result<Vec<ResultRecord>, GatewayError> {
        self.link
            .post_json("/results/recent", &RecentResults { user, limit })
            .await
    }

    async fn create_api_key(&self, user: UserKey) -> Result<MintedApiKey, GatewayError> {
        self.link
            .post_json("/api-keys/create", &ForUser { user })
            .await
    }

    async fn list_api_keys(&self, user: UserKey) -> Result<Vec<ApiKeyInfo>, GatewayError> {
        self.link
            .post_json("/api-keys/list", &ForUser { user })
            .await
    }

    async fn revoke_api_key(&self, user: UserKey, prefix: &str) -> Result<bool, GatewayError> {
        let body = UserText {
            user,
            text: prefix.to_owned(),
        };
        self.link.post_json("/api-keys/revoke", &body).await
    }

    async fn web_link(&self, user: UserKey) -> Result<Option<WebLink>, GatewayError> {
        self.link.post_json("/web-link", &ForUser { user }).await
    }
}
