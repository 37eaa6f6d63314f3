//! The gateway as the bot under test sees it: the real in-process gateway
//! (or, in remote mode, a `RemoteGateway` in front of it), with every
//! `submit` answer recorded, so a test can wait for "the bot
//! asked and was told Duplicate" instead of sleeping to see nothing happen.

use std::sync::Arc;

use async_trait::async_trait;
use easel_gateway::notices::NoticeStream;
use easel_gateway::results::ImageData;
use easel_gateway::service::{CancelOutcome, Gateway, GatewayError, JobStream, Pass};
use easel_shared::admin::{AdminActor, AdminOp, AdminReply, Redemption};
use easel_shared::request::{Precheck, Request};
use easel_shared::results::{MessageRef, ResultId, ResultRecord, UserSettings};
use easel_shared::{Platform, QuotaStatus, RequestId, UserKey};
use tokio::sync::watch;

/// How the gateway answered one `submit`, or a pre-check that found the
/// request to be a duplicate (the bot then submits nothing).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Submitted {
    /// Taken: a job runs.
    Taken(RequestId),
    /// A redelivered event (at the pre-check or the submit): nothing runs,
    /// nothing is said.
    Duplicate(RequestId),
    /// Any other refusal (its `Debug` text).
    Refused(String),
}

/// Forwards everything to `inner`, recording submit answers in `log`.
pub(crate) struct Observed {
    /// The in-process gateway, or a `RemoteGateway` in remote mode.
    pub(crate) inner: Arc<dyn Gateway>,
    pub(crate) log: watch::Sender<Vec<Submitted>>,
}

#[async_trait]
impl Gateway for Observed {
    async fn precheck(&self, check: Precheck) -> Result<Pass, GatewayError> {
        let id = check.id.clone();
        let answer = self.inner.precheck(check).await;
        if let Err(GatewayError::Duplicate(_)) = &answer {
            self.log
                .send_modify(|log| log.push(Submitted::Duplicate(id)));
        }
        answer
    }

    fn admin_notices(&self) -> NoticeStream {
        self.inner.admin_notices()
    }

    async fn submit(&self, request: Request) -> Result<JobStream, GatewayError> {
        let id = request.id.clone();
        let answer = self.inner.submit(request).await;
        let seen = match &answer {
            Ok(_) => Submitted::Taken(id),
            Err(GatewayError::Duplicate(_)) => Submitted::Duplicate(id),
            Err(other) => Submitted::Refused(format!("{other:?}")),
        };
        self.log.send_modify(|log| log.push(seen));
        answer
    }

    async fn cancel(&self, user: UserKey, id: &RequestId) -> Result<CancelOutcome, GatewayError> {
        self.inner.cancel(user, id).await
    }

    async fn quota(&self, user: UserKey) -> Result<QuotaStatus, GatewayError> {
        self.inner.quota(user).await
    }

    async fn redeem(&self, user: UserKey, code: &str) -> Result<Redemption, GatewayError> {
        self.inner.redeem(user, code).await
    }

    async fn claim_event(&self, event: &str) -> Result<bool, GatewayError> {
        self.inner.claim_event(event).await
    }

    fn is_admin(&self, actor: &AdminActor) -> bool {
        self.inner.is_admin(actor)
    }

    async fn admin(&self, actor: AdminActor, op: AdminOp) -> Result<AdminReply, GatewayError> {
        self.inner.admin(actor, op).await
    }

    async fn result(&self, id: &ResultId) -> Result<Option<ResultRecord>, GatewayError> {
        self.inner.result(id).await
    }

    async fn original(
        &self,
        id: &ResultId,
        index: usize,
    ) -> Result<Option<ImageData>, GatewayError> {
        self.inner.original(id, index).await
    }

    async fn attach_message(&self, id: &ResultId, message: MessageRef) -> Result<(), GatewayError> {
        self.inner.attach_message(id, message).await
    }

    async fn find_by_message(
        &self,
        message: &MessageRef,
    ) -> Result<Option<ResultRecord>, GatewayError> {
        self.inner.find_by_message(message).await
    }

    async fn settings(&self, user: UserKey) -> Result<UserSettings, GatewayError> {
        self.inner.settings(user).await
    }

    async fn set_settings(
        &self,
        user: UserKey,
        settings: UserSettings,
    ) -> Result<(), GatewayError> {
        self.inner.set_settings(user, settings).await
    }

    async fn remember_username(&self, user: UserKey, username: &str) -> Result<(), GatewayError> {
        self.inner.remember_username(user, username).await
    }

    async fn lookup_username(
        &self,
        platform: Platform,
        username: &str,
    ) -> Result<Option<UserKey>, GatewayError> {
        self.inner.lookup_username(platform, username).await
    }

    async fn forget(&self, user: UserKey) -> Result<u64, GatewayError> {
        self.inner.forget(user).await
    }

    async fn recent_results(
        &self,
        user: UserKey,
        limit: u32,
    ) -> Result<Vec<ResultRecord>, GatewayError> {
        self.inner.recent_results(user, limit).await
    }

    async fn create_api_key(
        &self,
        user: UserKey,
    ) -> Result<easel_shared::apikey::MintedApiKey, GatewayError> {
        self.inner.create_api_key(user).await
    }

    async fn list_api_keys(
        &self,
        user: UserKey,
    ) -> Result<Vec<easel_shared::apikey::ApiKeyInfo>, GatewayError> {
        self.inner.list_api_keys(user).await
    }

    async fn revoke_api_key(&self, user: UserKey, prefix: &str) -> Result<bool, GatewayError> {
        self.inner.revoke_api_key(user, prefix).await
    }

    async fn web_link(
        &self,
        user: UserKey,
    ) -> Result<Option<easel_shared::weblink::WebLink>, GatewayError> {
        self.inner.web_link(user).await
    }
}
