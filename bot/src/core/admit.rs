//! Admission before work: the one place both frontends go through between
//! reading an image request and downloading anything. The builder
//! ([`super::build`]) drafts the request without the upload bytes; here the
//! uploads' (and the mask's) announced sizes are checked and the gateway's
//! pre-check asked (ban, access, plan policy with the input count,
//! cooldown, in-flight cap, quota room, burst). Only a [`Cleared`] request
//! names the images to download, so an adapter cannot fetch a byte for a
//! user who would be refused.

use bytes::Bytes;
use easel_gateway::service::{Gateway, Pass};
use easel_shared::request::{InputImage, Precheck};

use super::act;
use super::build::Declined;
use super::message::ImageRef;
use super::render;
use super::request::Built;
use crate::i18n::Locale;

/// A request before admission: everything but the upload bytes.
#[derive(Debug)]
pub(super) struct Draft {
    /// The request without its uploads (earlier results already named).
    pub(super) built: Built,
    /// The user's images, to add as the last inputs once downloaded.
    pub(super) uploads: Vec<ImageRef>,
    /// The edit mask, if the platform took one.
    pub(super) mask: Option<ImageRef>,
}

/// A request the gateway said may go ahead: [`Cleared::download`] fetches
/// its uploads and gives the request to submit.
#[derive(Debug)]
pub struct Cleared {
    built: Built,
    uploads: Vec<ImageRef>,
    mask: Option<ImageRef>,
    /// How many inputs come before the uploads (a refined result is input 1).
    before: usize,
    pass: Pass,
}

impl Cleared {
    /// The images to download, in order.
    pub fn uploads(&self) -> &[ImageRef] {
        &self.uploads
    }

    /// The edit mask to download after the uploads, if any.
    pub fn mask(&self) -> Option<&ImageRef> {
        self.mask.as_ref()
    }

    /// The 0-based input number of the first upload, for error messages.
    pub fn first_upload(&self) -> usize {
        self.before
    }

    /// The gateway's go-ahead (its input limit, the request id it holds).
    pub fn pass(&self) -> &Pass {
        &self.pass
    }

    /// Adds the downloaded edit mask.
    pub(super) fn with_mask(mut self, mask: Option<Bytes>) -> Self {
        self.built.request.mask = mask;
        self
    }

    /// The request to submit, with the downloaded bytes as its last inputs.
    pub(super) fn with_uploads(self, bytes: Vec<Bytes>) -> Built {
        let mut built = self.built;
        built
            .request
            .inputs
            .extend(bytes.into_iter().map(|bytes| InputImage::Upload { bytes }));
        built
    }
}

/// Checks the announced sizes against `max_bytes` (the adapter's download
/// cap), then asks the gateway whether `draft` may run, before anything is
/// downloaded. Nothing is charged either way.
pub(super) async fn clear(
    gateway: &dyn Gateway,
    draft: Draft,
    max_bytes: u64,
    locale: Locale,
) -> Result<Cleared, Declined> {
    let Draft {
        built,
        uploads,
        mask,
    } = draft;
    let before = built.request.inputs.len();
    let too_large = |image: &ImageRef| image.size.is_some_and(|s| s > max_bytes);
    if let Some(i) = uploads.iter().position(too_large) {
        let text = render::input_too_large(locale, before + i, max_bytes);
        return Err(Declined::Tell(text));
    }
    if mask.as_ref().is_some_and(too_large) {
        // The mask belongs to the first input (the picture it masks).
        let text = render::input_too_large(locale, before, max_bytes);
        return Err(Declined::Tell(text));
    }
    let check = Precheck::of(&built.request, uploads.len());
    match gateway.precheck(check).await {
        Ok(pass) => Ok(Cleared {
            built,
            uploads,
            mask,
            before,
            pass,
        }),
        Err(e) => Err(act::explain(gateway, built.request.user, locale, &e)
            .await
            .into()),
    }
}
