//! The gateway in one process: admission, runner, imaging, backends and
//! the result store behind the [`Gateway`] port.

use std::sync::Arc;

use async_trait::async_trait;
use easel_shared::admin::{Actor, AdminActor, AdminOp, AdminReply, Redemption};
use easel_shared::job::JobEvent;
use easel_shared::request::Request;
use easel_shared::results::{MessageRef, ResultId, ResultRecord, UserSettings};
use easel_shared::{Platform, QuotaStatus, RequestId, UserKey};
use sha2::{Digest, Sha256};
use tokio::sync::mpsc;

use super::{Cancelled, Gateway, GatewayError, JobStream, admin, inputs};
use crate::admission::{AdmitError, AdmitRequest, Gatekeeper};
use crate::backend::{BuildError, ImageBackend, ImageJob, build_chain};
use crate::ledger::{self, Clock, Ledger, LedgerError, SharedConfig};
use crate::results::{self, NewResult, ResultStore, ResultStoreError, StoredImage};
use crate::runner::{CancelOutcome, JobRunner, SubmitError};
use crate::settings::Env;

/// How often expired result images are purged.
const PURGE_EVERY: std::time::Duration = std::time::Duration::from_secs(600);

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
}

/// The parts an in-process gateway is made of.
pub struct Parts {
    /// Live configuration.
    pub config: SharedConfig,
    /// Quota state.
    pub ledger: Arc<dyn Ledger>,
    /// The backend (usually a retry/fallback chain).
    pub backend: Arc<dyn ImageBackend>,
    /// Results, originals, settings, usernames.
    pub results: Arc<dyn ResultStore>,
    /// The ledger's clock (manual in tests).
    pub clock: Clock,
}

/// [`Gateway`] implemented in this process.
pub struct InProcessGateway {
    config: SharedConfig,
    ledger: Arc<dyn Ledger>,
    backend: Arc<dyn ImageBackend>,
    results: Arc<dyn ResultStore>,
    gatekeeper: Gatekeeper,
    runner: JobRunner,
}

impl InProcessGateway {
    /// Wires the parts together and starts the job runner (needs a Tokio runtime).
    pub fn new(parts: Parts) -> Self {
        let Parts {
            config,
            ledger,
            backend,
            results,
            clock,
        } = parts;
        let gatekeeper = Gatekeeper::new(ledger.clone(), config.clone(), clock.clone());
        let runner = JobRunner::start(
            ledger.clone(),
            backend.clone(),
            config.clone(),
            Some(gatekeeper.safety()),
            clock,
        );
        Self {
            config,
            ledger,
            backend,
            results,
            gatekeeper,
            runner,
        }
    }

    /// Opens everything the configuration names: the ledger and result store
    /// (Redis when `ledger.redis_url` is set, else embedded files) and the
    /// backend chain (API keys from the config or the environment).
    pub async fn open(
        config: SharedConfig,
        clock: Clock,
        env: &dyn Env,
    ) -> Result<Self, OpenError> {
        let snapshot = config.load_full();
        let backend: Arc<dyn ImageBackend> = Arc::new(build_chain(&snapshot.backends, env)?);
        let ledger = ledger::open(&config, clock.clone()).await?;
        let results = results::open(&snapshot, clock.clone()).await?;
        Ok(Self::new(Parts {
            config,
            ledger,
            backend,
            results,
            clock,
        }))
    }

    /// The quota ledger (for the admin HTTP API).
    pub fn ledger(&self) -> Arc<dyn Ledger> {
        self.ledger.clone()
    }

    /// Runs the background upkeep until `stop`: the reaper (refunds of
    /// vanished workers) and the purge of expired result images.
    pub fn maintain(
        &self,
        stop: tokio_util::sync::CancellationToken,
    ) -> tokio::task::JoinHandle<()> {
        let reaper =
            crate::server::reap_forever(self.ledger.clone(), self.config.clone(), stop.clone());
        let results = self.results.clone();
        tokio::spawn(async move {
            let purge = async {
                loop {
                    tokio::time::sleep(PURGE_EVERY).await;
                    match results.purge_expired().await {
                        Ok(0) => {}
                        Ok(n) => tracing::info!(images = n, "purged expired result images"),
                        Err(e) => tracing::warn!(error = %e, "result purge failed; will retry"),
                    }
                }
            };
            tokio::select! {
                () = reaper => {}
                () = purge => {}
                () = stop.cancelled() => {}
            }
        })
    }

    /// Refunds waiting jobs and lets running ones finish.
    pub async fn shutdown(&self) {
        self.runner.shutdown().await;
    }

    /// A stable tag for the provider's abuse reports that does not reveal
    /// the platform id (salted with the deployment's key prefix).
    fn user_tag(&self, user: UserKey) -> String {
        let salt = &self.config.load().ledger.key_prefix;
        let digest = Sha256::digest(format!("{salt}|{user}").as_bytes());
        digest.iter().take(12).map(|b| format!("{b:02x}")).collect()
    }
}

impl From<AdmitError> for GatewayError {
    fn from(e: AdmitError) -> Self {
        match e {
            AdmitError::Denied {
                denial,
                notify_admins,
            } => GatewayError::Denied {
                denial,
                notify_admins,
            },
            AdmitError::Ledger(e) => e.into(),
        }
    }
}

fn unavailable(e: ResultStoreError) -> GatewayError {
    GatewayError::Unavailable(e.to_string())
}

#[async_trait]
impl Gateway for InProcessGateway {
    async fn submit(&self, request: Request) -> Result<JobStream, GatewayError> {
        let caps = self.backend.capabilities();
        let mut inputs =
            inputs::resolve(&request.inputs, &self.results, caps.input_long_side).await?;
        if let (Some(bytes), Some(first)) = (request.mask.clone(), inputs.prepared.first()) {
            inputs.mask = Some(inputs::mask(bytes, first).await?);
        }
        let job = ImageJob {
            prompt: request.prompt.clone(),
            options: request.options.clone(),
            inputs: inputs.prepared,
            mask: inputs.mask,
            user_tag: self.user_tag(request.user),
        };
        let admit = AdmitRequest {
            id: request.id.clone(),
            user: request.user,
            options: request.options.clone(),
            is_edit: request.is_edit(),
            backend: self.backend.name().to_owned(),
            est_cost_micros: self.backend.estimate_micros(&job),
        };
        let ticket = self
            .gatekeeper
            .admit(&admit)
            .await
            .map_err(GatewayError::from)?;
        let handle = self.runner.submit(ticket, job).await.map_err(|e| match e {
            SubmitError::Replayed(id) | SubmitError::Duplicate(id) => GatewayError::Duplicate(id),
        })?;
        let (tx, rx) = mpsc::unbounded_channel();
        let record = NewResult {
            user: request.user,
            request: request.id,
            prompt: request.prompt,
            options: request.options,
            inputs: inputs.stored,
            parent: request.parent,
            outputs: Vec::new(),
        };
        tokio::spawn(forward(handle.events, tx, self.results.clone(), record));
        Ok(rx)
    }

    async fn cancel(&self, user: UserKey, id: &RequestId) -> Result<Cancelled, GatewayError> {
        Ok(match self.runner.cancel(user, id).await {
            CancelOutcome::Cancelled => Cancelled::Yes,
            CancelOutcome::AlreadyStarted => Cancelled::TooLate,
            CancelOutcome::Unknown => Cancelled::Unknown,
        })
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
        admin::run(&*self.ledger, Actor::Admin(actor.user()), op).await
    }

    async fn result(&self, id: &ResultId) -> Result<Option<ResultRecord>, GatewayError> {
        self.results.get(id).await.map_err(unavailable)
    }

    async fn original(
        &self,
        id: &ResultId,
        index: usize,
    ) -> Result<Option<StoredImage>, GatewayError> {
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
}

/// Passes a job's events on, storing the result before `Done` goes out so
/// the frontend's buttons can name it. A store failure costs the user
/// nothing: the images are delivered, only without a stored result.
async fn forward(
    mut events: mpsc::UnboundedReceiver<JobEvent>,
    tx: mpsc::UnboundedSender<JobEvent>,
    results: Arc<dyn ResultStore>,
    mut record: NewResult,
) {
    while let Some(mut event) = events.recv().await {
        if let JobEvent::Done { images, result, .. } = &mut event {
            record.outputs = images
                .iter()
                .map(|i| StoredImage {
                    mime: i.mime.clone(),
                    bytes: i.bytes.clone(),
                })
                .collect();
            match results.save(record.clone()).await {
                Ok(saved) => *result = Some(saved.id),
                Err(e) => {
                    tracing::warn!(request = %record.request, error = %e, "result not stored")
                }
            }
        }
        if tx.send(event).is_err() {
            // The frontend went away; the job still settles in the runner.
            return;
        }
    }
}
