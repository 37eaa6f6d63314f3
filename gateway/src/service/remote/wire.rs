//! The frontend API's wire format, shared by the server
//! (`http/frontend*`) and the client ([`super::RemoteGateway`]) so the two
//! cannot drift. Every route lives under [`BASE`]; every body is JSON except
//! a submit with images (multipart) and an original's bytes.
//!
//! Errors use the one JSON error shape (`{"error": {"code", "message"}}`)
//! plus a `gateway` member holding the [`WireError`], so a
//! [`GatewayError`] crosses the wire and comes back the same variant with
//! the same data (a `Denied` keeps its `Denial`: the chat shows the same
//! message in remote mode).

use std::collections::BTreeSet;

use axum::http::StatusCode;
use easel_shared::admin::AdminActor;
use easel_shared::config::GuildAdminRoles;
use easel_shared::render::RenderOptions;
use easel_shared::request::{InputImage, Request};
use easel_shared::results::ResultId;
use easel_shared::{Denial, RequestId, UserKey};
use serde::{Deserialize, Serialize};

use crate::imaging::ImageError;
use crate::service::GatewayError;
use easel_shared::Refusal;
use easel_shared::job::CancelOutcome;

/// Where the frontend API is mounted.
pub const BASE: &str = "/frontend/v1";

/// The multipart part holding the [`SubmitBody`] JSON.
pub const PART_REQUEST: &str = "request";
/// The multipart parts holding uploads, in order.
pub const PART_IMAGE: &str = "image[]";
/// The multipart part holding the mask.
pub const PART_MASK: &str = "mask";

/// A [`Request`] without its bytes: uploads travel as multipart parts, in
/// the order of the `upload` entries here.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SubmitBody {
    /// The request id.
    pub id: RequestId,
    /// Who asks and pays.
    pub user: UserKey,
    /// The user's words.
    pub prompt: String,
    /// Shape, quality, background, format, n.
    pub options: RenderOptions,
    /// Inputs in order.
    pub inputs: Vec<WireInput>,
    /// The result this refines or varies.
    pub parent: Option<ResultId>,
}

/// One input of a [`SubmitBody`].
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum WireInput {
    /// The next `image[]` part.
    Upload,
    /// An output of a stored result.
    Output {
        /// The stored result.
        result: ResultId,
        /// Which image.
        index: u8,
    },
    /// An input of a stored result.
    Input {
        /// The stored result.
        result: ResultId,
        /// Which input.
        index: u8,
    },
}

impl SubmitBody {
    /// The body of `request` (its uploads and mask go as parts).
    pub fn of(request: &Request) -> Self {
        let inputs = request
            .inputs
            .iter()
            .map(|input| match input {
                InputImage::Upload { .. } => WireInput::Upload,
                InputImage::Output { result, index } => WireInput::Output {
                    result: result.clone(),
                    index: *index,
                },
                InputImage::Input { result, index } => WireInput::Input {
                    result: result.clone(),
                    index: *index,
                },
            })
            .collect();
        Self {
            id: request.id.clone(),
            user: request.user,
            prompt: request.prompt.clone(),
            options: request.options.clone(),
            inputs,
            parent: request.parent.clone(),
        }
    }
}

/// The answer to a submit: where the job's events are read.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Submitted {
    /// The job's handle for `GET {BASE}/jobs/{job}/events`.
    pub job: String,
}

/// A pre-check's answer ([`crate::service::Pass`]).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WirePass {
    /// The request it was given for.
    pub id: RequestId,
    /// Most input images the request may carry.
    pub max_inputs: usize,
}

/// A user and one of their requests (cancel).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UserRequest {
    /// Whose.
    pub user: UserKey,
    /// Which request.
    pub id: RequestId,
}

/// What a cancel did, on the wire.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WireCancelled {
    /// Taken out of the queue and refunded.
    Yes,
    /// Already running upstream.
    TooLate,
    /// No waiting job with that id.
    Unknown,
}

impl From<CancelOutcome> for WireCancelled {
    fn from(c: CancelOutcome) -> Self {
        match c {
            CancelOutcome::Cancelled => Self::Yes,
            CancelOutcome::AlreadyStarted => Self::TooLate,
            CancelOutcome::Unknown => Self::Unknown,
        }
    }
}

impl From<WireCancelled> for CancelOutcome {
    fn from(c: WireCancelled) -> Self {
        match c {
            WireCancelled::Yes => Self::Cancelled,
            WireCancelled::TooLate => Self::AlreadyStarted,
            WireCancelled::Unknown => Self::Unknown,
        }
    }
}

/// A user alone (quota, settings, forget).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ForUser {
    /// Whose.
    pub user: UserKey,
}

/// A platform event a frontend claims before handling it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EventClaim {
    /// The event's id, platform-qualified (`tg:update:<id>`).
    pub event: String,
}

/// A user and a text (redeem's code, a remembered @username).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UserText {
    /// Whose.
    pub user: UserKey,
    /// The code or the username.
    pub text: String,
}

/// An admin operation and who asks.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AdminCall {
    /// Who asks.
    pub actor: AdminActor,
    /// What to do.
    pub op: easel_shared::admin::AdminOp,
}

/// Who is an admin, as the gateway's configuration says: a remote frontend
/// decides `is_admin` (a synchronous question) from its copy of this.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct AdminRules {
    /// `access.admins`.
    pub admins: BTreeSet<UserKey>,
    /// `discord.admin_roles`.
    pub admin_roles: Vec<GuildAdminRoles>,
}

impl AdminRules {
    /// The same decision as the in-process gateway's `is_admin`.
    pub fn allows(&self, actor: &AdminActor) -> bool {
        self.admins.contains(&actor.user())
            || matches!(actor, AdminActor::GuildMember { guild, roles, .. }
                if self.admin_roles.iter().any(|g| g.guild == *guild
                    && roles.iter().any(|r| g.roles.contains(r))))
    }
}

/// A [`GatewayError`] on the wire, variant for variant.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum WireError {
    /// [`GatewayError::Denied`].
    Denied {
        /// Why.
        denial: Denial,
        /// Tell the admins.
        notify_admins: bool,
    },
    /// [`GatewayError::BadInput`].
    BadInput {
        /// Which input.
        index: usize,
        /// What is wrong.
        error: ImageError,
    },
    /// [`GatewayError::BadMask`].
    BadMask {
        /// What is wrong.
        error: ImageError,
    },
    /// [`GatewayError::InputExpired`].
    InputExpired {
        /// The result whose image expired.
        result: ResultId,
    },
    /// [`GatewayError::Duplicate`].
    Duplicate {
        /// The request already taken.
        request: RequestId,
    },
    /// [`GatewayError::Forbidden`].
    Forbidden,
    /// [`GatewayError::Refused`].
    Refused {
        /// Why (shown to the admin).
        reason: String,
    },
    /// [`GatewayError::Busy`].
    Busy,
    /// [`GatewayError::Unavailable`]: the detail stays in the gateway's log.
    Unavailable,
}

impl WireError {
    /// The error's wire form; the detail of `Unavailable` is logged here,
    /// never sent.
    pub fn of(e: GatewayError) -> Self {
        match e {
            GatewayError::Denied(Refusal {
                denial,
                notify_admins,
            }) => Self::Denied {
                denial,
                notify_admins,
            },
            GatewayError::BadInput { index, error } => Self::BadInput { index, error },
            GatewayError::BadMask { error } => Self::BadMask { error },
            GatewayError::InputExpired(result) => Self::InputExpired { result },
            GatewayError::Duplicate(request) => Self::Duplicate { request },
            GatewayError::Forbidden => Self::Forbidden,
            GatewayError::Refused(reason) => Self::Refused { reason },
            GatewayError::Busy => Self::Busy,
            GatewayError::Unavailable(why) => {
                tracing::warn!(reason = %why, "gateway unavailable to a frontend");
                Self::Unavailable
            }
        }
    }

    /// Back to the port's error.
    pub fn into_gateway(self) -> GatewayError {
        match self {
            Self::Denied {
                denial,
                notify_admins,
            } => GatewayError::Denied(Refusal {
                denial,
                notify_admins,
            }),
            Self::BadInput { index, error } => GatewayError::BadInput { index, error },
            Self::BadMask { error } => GatewayError::BadMask { error },
            Self::InputExpired { result } => GatewayError::InputExpired(result),
            Self::Duplicate { request } => GatewayError::Duplicate(request),
            Self::Forbidden => GatewayError::Forbidden,
            Self::Refused { reason } => GatewayError::Refused(reason),
            Self::Busy => GatewayError::Busy,
            Self::Unavailable => GatewayError::Unavailable("the remote gateway said so".into()),
        }
    }

    /// The HTTP status and stable code of each variant.
    pub fn status(&self) -> (StatusCode, &'static str) {
        match self {
            Self::Denied { .. } => (StatusCode::TOO_MANY_REQUESTS, "denied"),
            Self::BadInput { .. } => (StatusCode::UNPROCESSABLE_ENTITY, "bad_input"),
            Self::BadMask { .. } => (StatusCode::UNPROCESSABLE_ENTITY, "bad_mask"),
            Self::InputExpired { .. } => (StatusCode::GONE, "input_expired"),
            Self::Duplicate { .. } => (StatusCode::CONFLICT, "duplicate"),
            Self::Forbidden => (StatusCode::FORBIDDEN, "forbidden"),
            Self::Refused { .. } => (StatusCode::CONFLICT, "refused"),
            Self::Busy => (StatusCode::SERVICE_UNAVAILABLE, "busy"),
            Self::Unavailable => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
        }
    }
}

/// The error body: the one shape, with the [`WireError`] when the gateway
/// answered (absent for 401 and malformed requests).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ErrorBody {
    /// The one shape's content.
    pub error: ErrorDetail,
}

/// `{"code", "message", "gateway"?}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ErrorDetail {
    /// A stable code.
    pub code: String,
    /// Words for a human.
    pub message: String,
    /// The port's error, for a `RemoteGateway` to rebuild.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gateway: Option<WireError>,
}
