//! The `Gateway` port: everything a chat frontend may ask of Easel.
//!
//! Frontends hold an `Arc<dyn Gateway>` and nothing else: they never touch
//! the ledger, a backend or the result store directly. [`InProcessGateway`]
//! wires admission, the job runner, imaging, the backend chain and the result
//! store in one process (the bot binary's embedded mode).

mod admin;
mod continuation;
mod in_process;
mod inputs;
pub mod remote;

use async_trait::async_trait;
use easel_shared::admin::{Actor, AdminActor, AdminOp, AdminReply, Redemption};
use easel_shared::apikey::{ApiKeyInfo, MintedApiKey};
use easel_shared::job::JobEvent;
use easel_shared::request::{Precheck, Request};
use easel_shared::results::{MessageRef, ResultId, ResultRecord, UserSettings};
use easel_shared::weblink::WebLink;
use easel_shared::{Platform, QuotaStatus, Refusal, RequestId, UserKey};
use tokio::sync::mpsc;

pub use in_process::{InProcessGateway, OpenError, Parts};
pub use inputs::DecodeGate;
pub use remote::RemoteGateway;

pub use crate::admission::Pass;

use crate::imaging::ImageError;
use crate::notices::NoticeStream;
use crate::results::ImageData;

/// The events of one submitted request, in order, ending with `Done` or `Failed`.
pub type JobStream = mpsc::UnboundedReceiver<JobEvent>;

/// Why the gateway did not take a request or could not answer.
/// `Denied`, `BadInput` and `InputExpired` are the user's to act on; the rest
/// are faults shown as "temporarily unavailable, nothing was charged".
#[derive(Debug, thiserror::Error)]
pub enum GatewayError {
    /// Refused by policy, quota, burst, cooldown or budget. Nothing charged.
    #[error("denied: {}", .0.denial)]
    Denied(Refusal),
    /// An input image is unusable (not an image, too large, truncated...).
    #[error("input image {index}: {error}")]
    BadInput {
        /// Which input (0-based).
        index: usize,
        /// What is wrong with it; `error.key()` names the message.
        error: ImageError,
    },
    /// The mask is unusable (not an image, no transparent areas...).
    #[error("mask: {error}")]
    BadMask {
        /// What is wrong with it; `error.key()` names the message.
        error: ImageError,
    },
    /// A referenced result's image is no longer stored (retention passed).
    #[error("the image of result {0} has expired")]
    InputExpired(ResultId),
    /// This request id was already admitted: a redelivered event. Answer nothing.
    #[error("request {0} was already taken")]
    Duplicate(RequestId),
    /// The actor is not an admin.
    #[error("admin only")]
    Forbidden,
    /// An admin operation named something that does not exist or is impossible.
    #[error("{0}")]
    Refused(String),
    /// Too many large uploads are being decoded right now and this one
    /// waited its bounded time for room: try again shortly. Nothing charged.
    #[error("busy: no room to decode the input images now")]
    Busy,
    /// The quota or result store cannot be reached: fail closed.
    #[error("temporarily unavailable: {0}")]
    Unavailable(String),
}

/// What a cancel did (the runner's answer, unchanged).
pub use easel_shared::job::CancelOutcome;

/// Everything a frontend may ask.
#[async_trait]
pub trait Gateway: Send + Sync + 'static {
    /// Whether a request like `check` would be admitted, decided BEFORE the
    /// frontend downloads (or the gateway decodes) any input image. Reads
    /// the user's quota and checks, cheapest first: ban, access (no plan,
    /// no credits), the plan's policy (n, quality, editing, at most
    /// `max_inputs` images and no more than the backend chain takes),
    /// safety cooldown, in-flight cap, room for this request's cost in the
    /// windows or prepaid credits, then the burst limiter. Reserves
    /// nothing: `submit` still makes the one atomic decision
    /// (`ledger.reserve`), so quota spent meanwhile by another request is
    /// caught there. The burst cell is taken here, once per request id,
    /// and not again when the request with that id is submitted. Every
    /// refusal is free (`Denied`); `Unavailable` fails closed.
    async fn precheck(&self, check: Precheck) -> Result<Pass, GatewayError>;

    /// Takes a request: admission is pre-checked (as [`Gateway::precheck`],
    /// so nothing is decoded for a user who would be refused), inputs are
    /// decoded within the deployment's decode limits (`Busy` when there is
    /// no room in time), the user admitted (one reservation), and the job
    /// queued. Events follow on the stream.
    async fn submit(&self, request: Request) -> Result<JobStream, GatewayError>;

    /// The events of job `id` when another replica accepted it (the shared
    /// job queue knows it), from its start through its final event; `None`
    /// when this gateway cannot follow it. Results are stored only by the
    /// accepting replica, so a `Done` seen here may carry no `result`.
    async fn follow_elsewhere(&self, id: &RequestId) -> Option<JobStream> {
        let _ = id;
        None
    }

    /// Cancels a waiting job (full refund).
    async fn cancel(&self, user: UserKey, id: &RequestId) -> Result<CancelOutcome, GatewayError>;

    /// The user's quota now.
    async fn quota(&self, user: UserKey) -> Result<QuotaStatus, GatewayError>;

    /// Redeems an access code (attempts are rate limited: `Denied(RedeemRate)`).
    async fn redeem(&self, user: UserKey, code: &str) -> Result<Redemption, GatewayError>;

    /// Claims a platform event for handling (`tg:update:<id>`,
    /// `dc:interaction:<id>`): `true` for the first claim, `false` for a
    /// duplicate delivery, whichever replica it reached. Webhook-style
    /// frontends behind a load balancer ask before handling; a `false`
    /// event is acknowledged and dropped. Shared through the ledger's Redis
    /// when the ledger is there; in this process otherwise.
    async fn claim_event(&self, event: &str) -> Result<bool, GatewayError>;

    /// What the admins should hear (budget reached, a model retiring or
    /// gone), raised by the gateway: each chat adapter forwards these to its
    /// admins, rendered by the conversation core.
    fn admin_notices(&self) -> NoticeStream;

    /// Whether `actor` may run admin operations (configured admins, or
    /// members holding a configured admin role of a configured guild).
    fn is_admin(&self, actor: &AdminActor) -> bool;

    /// Runs an admin operation for `actor` (refused unless an admin).
    async fn admin(&self, actor: AdminActor, op: AdminOp) -> Result<AdminReply, GatewayError>;

    /// Runs an admin operation on the operator's own authority: the caller
    /// (the admin HTTP API, an admin's web session) already checked the admin
    /// token; `actor` is what the audit records. Only a gateway in this
    /// process can (the frontend API never offers it): elsewhere `Forbidden`.
    async fn operate(&self, actor: Actor, op: AdminOp) -> Result<AdminReply, GatewayError> {
        let _ = (actor, op);
        Err(GatewayError::Forbidden)
    }

    /// A stored result.
    async fn result(&self, id: &ResultId) -> Result<Option<ResultRecord>, GatewayError>;

    /// The provider's untouched bytes of a result's image (`None`: expired).
    async fn original(
        &self,
        id: &ResultId,
        index: usize,
    ) -> Result<Option<ImageData>, GatewayError>;

    /// Records the platform message that shows a result.
    async fn attach_message(&self, id: &ResultId, message: MessageRef) -> Result<(), GatewayError>;

    /// The result a platform message shows, if any.
    async fn find_by_message(
        &self,
        message: &MessageRef,
    ) -> Result<Option<ResultRecord>, GatewayError>;

    /// The user's saved defaults and language.
    async fn settings(&self, user: UserKey) -> Result<UserSettings, GatewayError>;

    /// Saves the user's defaults and language.
    async fn set_settings(&self, user: UserKey, settings: UserSettings)
    -> Result<(), GatewayError>;

    /// Remembers a @username seen on a platform.
    async fn remember_username(&self, user: UserKey, username: &str) -> Result<(), GatewayError>;

    /// Resolves a @username seen earlier.
    async fn lookup_username(
        &self,
        platform: Platform,
        username: &str,
    ) -> Result<Option<UserKey>, GatewayError>;

    /// Deletes the user's stored prompts and images; returns how many results went.
    async fn forget(&self, user: UserKey) -> Result<u64, GatewayError>;

    /// The user's newest `limit` stored results, newest first (the
    /// playground's history; the same account as in chat).
    async fn recent_results(
        &self,
        user: UserKey,
        limit: u32,
    ) -> Result<Vec<ResultRecord>, GatewayError>;

    // The user's own keys of the `/v1` API (`/apikey` in chat). The defaults
    // answer `Unavailable`, so a gateway that does not carry them yet says
    // so instead of failing to build.

    /// Creates an API key for the user; the secret is in this answer only.
    async fn create_api_key(&self, user: UserKey) -> Result<MintedApiKey, GatewayError> {
        let _ = user;
        Err(GatewayError::Unavailable(
            "API keys are not served here".into(),
        ))
    }

    /// The user's API keys (visible prefix and creation time).
    async fn list_api_keys(&self, user: UserKey) -> Result<Vec<ApiKeyInfo>, GatewayError> {
        let _ = user;
        Err(GatewayError::Unavailable(
            "API keys are not served here".into(),
        ))
    }

    /// Revokes the user's key with this visible prefix; false if none.
    async fn revoke_api_key(&self, user: UserKey, prefix: &str) -> Result<bool, GatewayError> {
        let _ = (user, prefix);
        Err(GatewayError::Unavailable(
            "API keys are not served here".into(),
        ))
    }

    /// The owner of `/v1` API key `key` (`None`: not a key of this
    /// deployment), from this gateway's memory of keys it looked up before
    /// (no round trip) or from the store. Not a verdict on whether the key
    /// is still live: submit with [`Gateway::submit_keyed`], which refuses a
    /// key revoked since.
    async fn api_key_owner(&self, key: &str) -> Result<Option<UserKey>, GatewayError> {
        let _ = key;
        Err(GatewayError::Unavailable(
            "API keys are not served here".into(),
        ))
    }

    /// [`Gateway::submit`] for a request made with API key `key`, whose
    /// owner [`Gateway::api_key_owner`] named as `request.user`: refused
    /// with `Denial::KeyRevoked`, nothing held, unless the key is still
    /// theirs when the request is admitted (on Redis inside the admission's
    /// one atomic step, so the key costs no round trip of its own).
    async fn submit_keyed(&self, request: Request, key: &str) -> Result<JobStream, GatewayError> {
        let _ = (request, key);
        Err(GatewayError::Unavailable(
            "API keys are not served here".into(),
        ))
    }

    /// A one-time sign-in link to the web pages for `user` (the `/web`
    /// command); `None` when `http.public_url` is unset or the pages are off.
    async fn web_link(&self, user: UserKey) -> Result<Option<WebLink>, GatewayError> {
        let _ = user;
        Err(GatewayError::Unavailable(
            "web sign-in links are not served here".into(),
        ))
    }
}
