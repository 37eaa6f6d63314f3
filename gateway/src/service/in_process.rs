//! The gateway in one process: admission, runner, imaging, backends and
//! the result store behind the [`Gateway`] port.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use async_trait::async_trait;
use easel_shared::admin::{Actor, AdminActor, AdminOp, AdminReply, Redemption};
use easel_shared::apikey::{ApiKeyInfo, MintedApiKey};
use easel_shared::config::QueueKind;
use easel_shared::date::CalendarDate;
use easel_shared::request::{Precheck, Request};
use easel_shared::results::{MessageRef, ResultId, ResultRecord, UserSettings};
use easel_shared::secret::Secret;
use easel_shared::weblink::WebLink;
use easel_shared::{Platform, QuotaStatus, RequestId, UserKey};

use super::{Gateway, GatewayError, JobStream, admin, continuation, inputs};
use crate::admission::{AdmitError, Gatekeeper, Pass};
use crate::backend::model_check::startup_verdict;
use crate::backend::model_check::watch::ModelWatch;
use crate::backend::{BuildError, ImageBackend, build_chain};
use crate::ledger::outbox::{OutboxError, SettleOutbox};
use crate::ledger::{self, Clock, Ledger, LedgerError, SharedConfig};
use crate::metrics::Metrics;
use crate::notices::{AdminNotices, NoticeStream};
use crate::results::{self, ImageData, ResultStore, ResultStoreError};
use crate::runner::redis::{QueueError, RedisQueue};
use crate::runner::{CancelOutcome, JobRunner};
use crate::settings::Env;

mod keys;
mod ops;
mod submit;
mod upkeep;

/// Why a gateway could not be assembled from its configuration.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// The quota ledger could not be opened.
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    /// The result store could not be opened.
    #[error(transparent)]
    Results(#[from] ResultStoreError),
    /// A backend could not be built from `[backends]`.
    #[error(transparent)]
    Backend(#[from] BuildError),
    /// A configured model is unknown or retired, or its key was refused:
    /// one line per problem, each naming the config key.
    #[error("model check failed:\n{}", .0.join("\n"))]
    Model(Vec<String>),
    /// The settle outbox file (`ledger.outbox_path`) could not be opened.
    #[error(transparent)]
    Outbox(#[from] OutboxError),
    /// The shared job queue (`runner.queue = "redis"`) could not be reached.
    #[error(transparent)]
    Queue(#[from] QueueError),
}

/// The parts an in-process gateway is made of.
pub struct Parts {
    /// Live configuration.
    pub config: SharedConfig,
    /// Quota state.
    pub ledger: Arc<dyn Ledger>,
    /// Where settles wait while the ledger is away (over `ledger`).
    pub outbox: Arc<SettleOutbox>,
    /// The backend (usually a retry/fallback chain).
    pub backend: Arc<dyn ImageBackend>,
    /// Results, originals, settings, usernames.
    pub results: Arc<dyn ResultStore>,
    /// The ledger's clock (manual in tests).
    pub clock: Clock,
    /// Where admin notices are raised (the backend chain raises some too).
    pub notices: AdminNotices,
}

/// [`Gateway`] implemented in this process.
pub struct InProcessGateway {
    config: SharedConfig,
    ledger: Arc<dyn Ledger>,
    backend: Arc<dyn ImageBackend>,
    results: Arc<dyn ResultStore>,
    gatekeeper: Gatekeeper,
    runner: JobRunner,
    /// Results that could not be stored (store down or full), for operators.
    results_not_stored: Arc<AtomicU64>,
    /// Bounds input decoding across all requests (memory and CPU).
    decodes: inputs::DecodeGate,
    notices: AdminNotices,
    clock: Clock,
    /// The daily model check (set when opened from config).
    watch: Option<Arc<ModelWatch>>,
    /// What `/metrics` exports; shared with the runner and the backend chain.
    metrics: Metrics,
    /// Set by [`InProcessGateway::drain`]: new requests are refused as `Restarting`.
    draining: AtomicBool,
    /// Owners of the `/v1` API keys this process looked up (`keys.rs`).
    key_owners: keys::KeyOwners,
}

impl InProcessGateway {
    /// Wires the parts together and starts the job runner (needs a Tokio runtime).
    pub fn new(parts: Parts) -> Self {
        Self::new_observed(parts, Metrics::new())
    }

    /// [`InProcessGateway::new`], counting on `metrics` (give the backend
    /// chain the same one with `BackendChain::with_metrics`).
    pub fn new_observed(parts: Parts, metrics: Metrics) -> Self {
        Self::new_on(parts, metrics, None)
    }

    /// [`InProcessGateway::new_observed`] with jobs waiting on the shared
    /// queue `queue` (`None`: in this process).
    pub fn new_on(parts: Parts, metrics: Metrics, queue: Option<RedisQueue>) -> Self {
        let Parts {
            config,
            ledger,
            outbox,
            backend,
            results,
            clock,
            notices,
        } = parts;
        let gatekeeper = Gatekeeper::new(ledger.clone(), config.clone(), clock.clone());
        let decodes = inputs::DecodeGate::from_config(&config.load().runner);
        let runner = JobRunner::start_with(
            ledger.clone(),
            outbox,
            backend.clone(),
            config.clone(),
            Some(gatekeeper.safety()),
            clock.clone(),
            metrics.clone(),
            queue,
        );
        Self {
            config,
            ledger,
            backend,
            results,
            gatekeeper,
            runner,
            results_not_stored: Arc::default(),
            decodes,
            notices,
            clock,
            watch: None,
            metrics,
            draining: AtomicBool::new(false),
            key_owners: keys::KeyOwners::default(),
        }
    }

    /// How many delivered results could not be stored since start (the
    /// result store was unreachable or full); their users got the images
    /// without stored-result buttons.
    pub fn results_not_stored(&self) -> u64 {
        self.results_not_stored.load(Ordering::Relaxed)
    }

    /// The limit on input decoding (its peaks are read by tests and the
    /// memory benchmark).
    pub fn decodes(&self) -> &inputs::DecodeGate {
        &self.decodes
    }

    /// Opens everything the configuration names: the backend chain (API
    /// keys from the config or the environment), whose models are checked
    /// first (see `backend::model_check`), then the ledger (Redis when
    /// `ledger.redis_url` is set, else an embedded file) and the result
    /// store (see [`results::Location`]).
    pub async fn open(
        config: SharedConfig,
        clock: Clock,
        env: &dyn Env,
    ) -> Result<Self, OpenError> {
        let snapshot = config.load_full();
        let notices = AdminNotices::new();
        let metrics = Metrics::new();
        let chain = build_chain(&snapshot.backends, env)?.with_notices(notices.clone());
        let chain = Arc::new(chain.with_metrics(metrics.clone()));
        let watch = Arc::new(ModelWatch::new(
            chain.clone(),
            snapshot.backends.clone(),
            notices.clone(),
        ));
        let today = CalendarDate::of(clock.now());
        let blocking = startup_verdict(&watch.tick(today).await, today);
        if !blocking.is_empty() {
            return Err(OpenError::Model(blocking));
        }
        let backend: Arc<dyn ImageBackend> = chain;
        let ledger = ledger::open(&config, clock.clone()).await?;
        let outbox_path = std::path::Path::new(&snapshot.ledger.outbox_path);
        let outbox = Arc::new(SettleOutbox::open(outbox_path, ledger.clone())?);
        let results = results::open(&snapshot, clock.clone()).await?;
        let queue = match snapshot.runner.queue {
            QueueKind::Memory => None,
            QueueKind::Redis => {
                let ledger = &snapshot.ledger;
                let queue =
                    RedisQueue::connect(&ledger.redis_url, &ledger.key_prefix, clock.clone())
                        .await?;
                tracing::info!("jobs wait in the shared queue on Redis");
                Some(queue)
            }
        };
        let parts = Parts {
            config,
            ledger,
            outbox,
            backend,
            results,
            clock,
            notices,
        };
        let mut gateway = Self::new_on(parts, metrics, queue);
        gateway.watch = Some(watch);
        Ok(gateway)
    }

    /// The daily model check the upkeep runs (`None` unless opened from
    /// config); [`ModelWatch::tick`] runs it for a given day.
    pub fn model_watch(&self) -> Option<Arc<ModelWatch>> {
        self.watch.clone()
    }

    /// The quota ledger (for the admin HTTP API).
    pub fn ledger(&self) -> Arc<dyn Ledger> {
        self.ledger.clone()
    }

    /// The job runner (its queue, for the dashboard and tests).
    pub fn runner(&self) -> &JobRunner {
        &self.runner
    }

    /// Refunds waiting jobs and lets running ones finish.
    pub async fn shutdown(&self) {
        self.runner.shutdown().await;
    }
}

impl From<AdmitError> for GatewayError {
    fn from(e: AdmitError) -> Self {
        match e {
            AdmitError::Denied(refusal) => GatewayError::Denied(refusal),
            AdmitError::Replayed(id) => GatewayError::Duplicate(id),
            AdmitError::Ledger(e) => e.into(),
        }
    }
}

fn unavailable(e: ResultStoreError) -> GatewayError {
    GatewayError::Unavailable(e.to_string())
}

#[async_trait]
impl Gateway for InProcessGateway {
    async fn precheck(&self, check: Precheck) -> Result<Pass, GatewayError> {
        Ok(self.check(&check).await?.pass)
    }

    async fn submit(&self, request: Request) -> Result<JobStream, GatewayError> {
        self.submit_claimed(request, None).await
    }

    async fn api_key_owner(&self, key: &str) -> Result<Option<UserKey>, GatewayError> {
        self.key_owner(key).await
    }

    async fn submit_keyed(&self, request: Request, key: &str) -> Result<JobStream, GatewayError> {
        self.submit_with_key(request, key).await
    }

    async fn cancel(&self, user: UserKey, id: &RequestId) -> Result<CancelOutcome, GatewayError> {
        Ok(self.runner.cancel(user, id).await)
    }

    async fn follow_elsewhere(&self, id: &RequestId) -> Option<JobStream> {
        self.runner.follow_elsewhere(id).await
    }

    async fn quota(&self, user: UserKey) -> Result<QuotaStatus, GatewayError> {
        Ok(self.ledger.status(user).await?)
    }

    async fn redeem(&self, user: UserKey, code: &str) -> Result<Redemption, GatewayError> {
        self.gatekeeper
            .redeem(user, code)
            .await
            .map_err(GatewayError::from)
    }

    async fn claim_event(&self, event: &str) -> Result<bool, GatewayError> {
        self.gatekeeper
            .claim_event(event)
            .await
            .map_err(GatewayError::from)
    }

    fn admin_notices(&self) -> NoticeStream {
        self.notices.subscribe()
    }

    fn is_admin(&self, actor: &AdminActor) -> bool {
        let config = self.config.load();
        config.access.admins.contains(&actor.user())
            || matches!(actor, AdminActor::GuildMember { guild, roles, .. }
                if config.discord.has_admin_role(*guild, roles))
    }

    async fn admin(&self, actor: AdminActor, op: AdminOp) -> Result<AdminReply, GatewayError> {
        if !self.is_admin(&actor) {
            return Err(GatewayError::Forbidden);
        }
        self.operate(Actor::Admin(actor.user()), op).await
    }

    async fn operate(&self, actor: Actor, op: AdminOp) -> Result<AdminReply, GatewayError> {
        let parts = admin::Parts {
            ledger: &*self.ledger,
            runner: &self.runner,
            metrics: &self.metrics,
        };
        admin::run(parts, actor, op).await
    }

    async fn result(&self, id: &ResultId) -> Result<Option<ResultRecord>, GatewayError> {
        self.results.get(id).await.map_err(unavailable)
    }

    async fn original(
        &self,
        id: &ResultId,
        index: usize,
    ) -> Result<Option<ImageData>, GatewayError> {
        self.results.original(id, index).await.map_err(unavailable)
    }

    async fn attach_message(&self, id: &ResultId, message: MessageRef) -> Result<(), GatewayError> {
        self.results
            .attach_message(id, message)
            .await
            .map(drop)
            .map_err(unavailable)
    }

    async fn find_by_message(
        &self,
        message: &MessageRef,
    ) -> Result<Option<ResultRecord>, GatewayError> {
        self.results
            .find_by_message(message)
            .await
            .map_err(unavailable)
    }

    async fn settings(&self, user: UserKey) -> Result<UserSettings, GatewayError> {
        self.results.settings(user).await.map_err(unavailable)
    }

    async fn set_settings(
        &self,
        user: UserKey,
        settings: UserSettings,
    ) -> Result<(), GatewayError> {
        self.results
            .set_settings(user, &settings)
            .await
            .map_err(unavailable)
    }

    async fn remember_username(&self, user: UserKey, username: &str) -> Result<(), GatewayError> {
        self.results
            .remember_username(user, username)
            .await
            .map_err(unavailable)
    }

    async fn lookup_username(
        &self,
        platform: Platform,
        username: &str,
    ) -> Result<Option<UserKey>, GatewayError> {
        self.results
            .lookup_username(platform, username)
            .await
            .map_err(unavailable)
    }

    async fn forget(&self, user: UserKey) -> Result<u64, GatewayError> {
        self.results.forget(user).await.map_err(unavailable)
    }

    async fn recent_results(
        &self,
        user: UserKey,
        limit: u32,
    ) -> Result<Vec<ResultRecord>, GatewayError> {
        let limit = usize::try_from(limit).unwrap_or(usize::MAX);
        self.results.recent(user, limit).await.map_err(unavailable)
    }

    // A user's own key change is audited with the user as the actor (the
    // audit's `Actor` names whoever made the change, here the owner).
    async fn create_api_key(&self, user: UserKey) -> Result<MintedApiKey, GatewayError> {
        Ok(self.ledger.create_api_key(user, Actor::Admin(user)).await?)
    }

    async fn list_api_keys(&self, user: UserKey) -> Result<Vec<ApiKeyInfo>, GatewayError> {
        Ok(self.ledger.list_api_keys(user).await?)
    }

    async fn revoke_api_key(&self, user: UserKey, prefix: &str) -> Result<bool, GatewayError> {
        Ok(self
            .ledger
            .revoke_api_key(user, prefix, Actor::Admin(user))
            .await?)
    }

    async fn web_link(&self, user: UserKey) -> Result<Option<WebLink>, GatewayError> {
        let config = self.config.load_full();
        let base = config.http.public_url.trim_end_matches('/');
        if base.is_empty() || !config.web.enabled {
            return Ok(None);
        }
        let minted = self
            .ledger
            .create_web_link(user, config.web.link_ttl)
            .await?;
        Ok(Some(WebLink {
            url: Secret::new(format!("{base}/web/link?t={}", minted.token.expose())),
            expires_at: minted.expires_at,
        }))
    }
}
