//! Admission before work: the one place both frontends go through between
//! reading an image request and downloading anything. The core builds the
//! request (without the upload bytes), checks the uploads' announced sizes,
//! and asks the gateway's pre-check (ban, access, plan policy with the
//! input count, cooldown, in-flight cap, quota room, burst). Only a
//! [`Cleared`] request names the images to download, so an adapter cannot
//! fetch a byte for a user who would be refused.

use bytes::Bytes;
use easel_gateway::service::{Gateway, Pass};
use easel_shared::request::{InputImage, Precheck};
use easel_shared::results::UserSettings;
use easel_shared::{RequestId, UserKey};

use super::act;
use super::intent::Intent;
use super::message::ImageRef;
use super::render;
use super::request::{self, Built, FromResult};
use crate::i18n::Locale;

/// A request the gateway said may go ahead: download [`Cleared::uploads`],
/// then [`Cleared::with_uploads`] gives the request to submit.
#[derive(Debug)]
pub struct Cleared {
    built: Built,
    uploads: Vec<ImageRef>,
    /// How many inputs come before the uploads (a refined result is input 1).
    before: usize,
    pass: Pass,
}

impl Cleared {
    /// The images to download, in order.
    pub fn uploads(&self) -> &[ImageRef] {
        &self.uploads
    }

    /// The 0-based input number of the first upload, for error messages.
    pub fn first_upload(&self) -> usize {
        self.before
    }

    /// The gateway's go-ahead (its input limit, the request id it holds).
    pub fn pass(&self) -> &Pass {
        &self.pass
    }

    /// Adds the edit mask (Discord's /edit takes one), downloaded like an upload.
    pub fn with_mask(mut self, mask: Option<Bytes>) -> Self {
        self.built.request.mask = mask;
        self
    }

    /// The request to submit, with the downloaded bytes as its last inputs.
    pub fn with_uploads(self, bytes: Vec<Bytes>) -> Built {
        let mut built = self.built;
        built
            .request
            .inputs
            .extend(bytes.into_iter().map(|bytes| InputImage::Upload { bytes }));
        built
    }
}

/// Builds the request `intent` describes and asks the gateway whether it
/// may run, before anything is downloaded. `max_bytes` is the adapter's
/// download cap, checked against sizes the platform announced. `Err(None)`:
/// say nothing (a redelivered event); `Err(Some(text))`: tell the user why
/// not, in their language. Nothing is charged either way.
pub async fn clear(
    gateway: &dyn Gateway,
    id: RequestId,
    user: UserKey,
    intent: Intent,
    settings: &UserSettings,
    locale: Locale,
    max_bytes: u64,
) -> Result<Cleared, Option<String>> {
    let (built, uploads, before) = match intent {
        Intent::Generate { prompt, flags } => (
            request::fresh(id, user, &prompt, &flags, settings, Vec::new()),
            Vec::new(),
            0,
        ),
        Intent::Edit {
            prompt,
            flags,
            inputs,
        } => (
            request::fresh(id, user, &prompt, &flags, settings, Vec::new()),
            inputs,
            0,
        ),
        Intent::Refine {
            result,
            prompt,
            flags,
            extra_inputs,
        } => {
            let what = FromResult::Refine {
                prompt,
                flags,
                uploads: Vec::new(),
            };
            let built = from_result(gateway, id, user, &result, what, locale).await?;
            let before = built.request.inputs.len();
            (built, extra_inputs, before)
        }
        Intent::Again { result } => {
            let built = from_result(gateway, id, user, &result, FromResult::Again, locale).await?;
            (built, Vec::new(), 0)
        }
        Intent::Vary { result } => {
            let built = from_result(gateway, id, user, &result, FromResult::Vary, locale).await?;
            (built, Vec::new(), 0)
        }
        _ => return Err(Some(render::text::internal_error(locale, "admit"))),
    };
    if let Some(i) = uploads
        .iter()
        .position(|image| image.size.is_some_and(|s| s > max_bytes))
    {
        return Err(Some(render::input_too_large(locale, before + i, max_bytes)));
    }
    let check = Precheck::of(&built.request, uploads.len());
    match gateway.precheck(check).await {
        Ok(pass) => Ok(Cleared {
            built,
            uploads,
            before,
            pass,
        }),
        Err(e) => Err(act::explain(gateway, user, locale, &e).await),
    }
}

async fn from_result(
    gateway: &dyn Gateway,
    id: RequestId,
    user: UserKey,
    result: &super::ResultId,
    what: FromResult,
    locale: Locale,
) -> Result<Built, Option<String>> {
    request::from_result(gateway, id, user, result, what)
        .await
        .map_err(|e| Some(e.text(locale)))
}
