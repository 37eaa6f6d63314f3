//! From an intent to the gateway's [`Request`]: the user's defaults under
//! the flags they typed, uploads and earlier results as inputs, and the
//! lineage for Again / Vary / a refinement. Platform-free; the adapter
//! downloads uploads and picks the request id (from the platform event).

use bytes::Bytes;
use easel_gateway::service::{Gateway, GatewayError};
use easel_shared::flags::FlagSet;
use easel_shared::request::{InputImage, Request};
use easel_shared::results::{ResultId as StoredId, UserSettings};
use easel_shared::{RequestId, UserKey};

use super::act;
use super::message::ResultId;
use super::render::{self, Notice, VARY_PROMPT};
use crate::i18n::Locale;

/// Why a request about an earlier result cannot be made.
#[derive(Debug, thiserror::Error)]
pub enum FromResultError {
    /// The store does not know the result (a forged or very old id).
    #[error("unknown result")]
    Unknown,
    /// The gateway could not answer.
    #[error(transparent)]
    Gateway(#[from] GatewayError),
}

impl FromResultError {
    /// What the user reads instead of a result.
    pub fn text(&self, locale: Locale) -> String {
        match self {
            Self::Unknown => render::notice(locale, Notice::ResultUnknown),
            Self::Gateway(e) => act::gateway_error(locale, e, act::system_now())
                .unwrap_or_else(|| render::text::unavailable(locale)),
        }
    }
}

/// A new request from text (and uploads, for an edit): the user's saved
/// defaults, then the flags they typed. Its caption is its own prompt.
pub fn fresh(
    id: RequestId,
    user: UserKey,
    prompt: &str,
    flags: &FlagSet,
    settings: &UserSettings,
    uploads: Vec<Bytes>,
) -> Built {
    let request = Request {
        id,
        user,
        prompt: prompt.to_owned(),
        options: flags.apply_to(&settings.apply(Default::default())),
        inputs: uploads
            .into_iter()
            .map(|bytes| InputImage::Upload { bytes })
            .collect(),
        parent: None,
        mask: None,
    };
    Built {
        caption: request.prompt.clone(),
        request,
    }
}

/// What to do with an earlier result.
#[derive(Debug, Clone)]
pub enum FromResult {
    /// The same request once more.
    Again,
    /// A close variation of its first image.
    Vary,
    /// Change it as `prompt` says, with `flags` over its options and
    /// `uploads` as further inputs.
    Refine {
        /// What to change.
        prompt: String,
        /// Options over the parent's.
        flags: FlagSet,
        /// Further images.
        uploads: Vec<Bytes>,
    },
}

/// A request built from an earlier result, and the prompt its caption shows.
#[derive(Debug, Clone)]
pub struct Built {
    /// What goes to the gateway.
    pub request: Request,
    /// The words to show under the result (for Vary the parent's prompt,
    /// not the instruction sent upstream).
    pub caption: String,
}

/// A request about an earlier result, named by the id its buttons carry.
pub async fn from_result(
    gateway: &dyn Gateway,
    id: RequestId,
    user: UserKey,
    result: &ResultId,
    what: FromResult,
) -> Result<Built, FromResultError> {
    let stored: StoredId = result.0.parse().map_err(|_| FromResultError::Unknown)?;
    let record = gateway
        .result(&stored)
        .await?
        .ok_or(FromResultError::Unknown)?;
    let caption = record.prompt.clone();
    let own_output = InputImage::Output {
        result: stored.clone(),
        index: 0,
    };
    let (prompt, options, inputs) = match what {
        FromResult::Again => {
            // The inputs exactly as they were sent upstream; the gateway says
            // `InputExpired` once their bytes passed the retention.
            let inputs = (0..record.inputs.len())
                .filter_map(|i| u8::try_from(i).ok())
                .map(|index| InputImage::Input {
                    result: stored.clone(),
                    index,
                })
                .collect();
            (record.prompt, record.options, inputs)
        }
        FromResult::Vary => (VARY_PROMPT.to_owned(), record.options, vec![own_output]),
        FromResult::Refine {
            prompt,
            flags,
            uploads,
        } => {
            let mut inputs = vec![own_output];
            inputs.extend(
                uploads
                    .into_iter()
                    .map(|bytes| InputImage::Upload { bytes }),
            );
            (prompt, flags.apply_to(&record.options), inputs)
        }
    };
    let caption = if prompt == VARY_PROMPT {
        caption
    } else {
        prompt.clone()
    };
    let request = Request {
        id,
        user,
        prompt,
        options,
        inputs,
        parent: Some(stored),
        mask: None,
    };
    Ok(Built { request, caption })
}
