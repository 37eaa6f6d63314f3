//! The one request builder: an image intent, the user's settings and the
//! adapter's [`Downloader`] in; the gateway [`Request`] to submit (or a
//! refusal in the user's words) out. Telegram and Discord only supply the
//! download and the delivery; every rule about what a request contains
//! lives here and in [`super::request`] (the lineage rules) and
//! [`super::admit`] (the pre-check).
//!
//! Two steps, because Discord must acknowledge the interaction between
//! them: [`clear`] builds the request without upload bytes and asks the
//! gateway's pre-check (nothing is downloaded for a user who would be
//! refused); [`Cleared::download`] then fetches the uploads (and the mask)
//! through the adapter. [`request`] does both for an adapter with nothing
//! to do in between.
//!
//! The rules, where the two adapters' hand-written copies used to differ:
//! - **Input numbers.** Every text about an input numbers it as the
//!   gateway does: by its place in the request's inputs. In a refinement
//!   the result being refined is input 1, so the user's first extra photo
//!   is input 2 (Discord used to call it 1, which named the wrong picture).
//! - **An intent that draws nothing** (a command, a button without an
//!   image job) never reaches the gateway: it is refused with the internal
//!   error text and logged, on both platforms alike, and nothing is
//!   downloaded or charged.
//! - **The mask** (Discord's /edit) is checked against the size cap from
//!   its announced size together with the uploads, before the pre-check,
//!   and downloaded after them.

use std::future::Future;

use bytes::Bytes;
use easel_gateway::service::Gateway;
use easel_shared::RequestId;
use easel_shared::UserKey;
use easel_shared::results::UserSettings;

use super::admit::{self, Cleared, Draft};
use super::intent::Intent;
use super::message::ImageRef;
use super::render::{self, Notice};
use super::request::{self, Built, FromResult};
use crate::i18n::Locale;

/// Why an upload could not be fetched. The core words it for the user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum FetchError {
    /// Larger than [`Downloader::max_bytes`], found while fetching.
    #[error("larger than the download cap")]
    TooLarge,
    /// The platform could not serve the file now (try again later).
    #[error("the platform is unavailable")]
    Unavailable,
    /// The file cannot be read from where the platform said it is.
    #[error("the file cannot be fetched")]
    Unreadable,
}

/// How an adapter fetches a user's upload: the platform's download with
/// its size limit. The only platform step the builder needs.
pub trait Downloader: Sync {
    /// The most bytes one upload may have (the adapter's configured cap).
    fn max_bytes(&self) -> u64;

    /// Fetches `image`, refusing anything over [`Downloader::max_bytes`]
    /// before or while reading.
    fn fetch(&self, image: &ImageRef) -> impl Future<Output = Result<Bytes, FetchError>> + Send;
}

/// An image request as an adapter hands it to the builder.
#[derive(Debug, Clone)]
pub struct Order<'a> {
    /// The request id, from the platform event (redeliveries repeat it).
    pub id: RequestId,
    /// Who asks.
    pub user: UserKey,
    /// What to draw: generate, edit, refine, again or vary.
    pub intent: Intent,
    /// The user's saved defaults (flags typed now go over them).
    pub settings: &'a UserSettings,
    /// The language of every refusal.
    pub locale: Locale,
    /// The edit mask, when the platform took one (Discord's /edit).
    pub mask: Option<ImageRef>,
}

/// Why no request was built. Nothing was downloaded beyond what the
/// refusal names, and nothing was charged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Declined {
    /// Say nothing: a redelivered event that was (or will be) answered.
    Silently,
    /// Tell the user this, in their language.
    Tell(String),
}

impl From<Option<String>> for Declined {
    fn from(text: Option<String>) -> Self {
        text.map_or(Declined::Silently, Declined::Tell)
    }
}

/// Builds the request, clears it with the gateway's pre-check, then
/// downloads its uploads: [`clear`] then [`Cleared::download`].
pub async fn request(
    gateway: &dyn Gateway,
    downloader: &impl Downloader,
    order: Order<'_>,
) -> Result<Built, Declined> {
    let locale = order.locale;
    clear(gateway, downloader.max_bytes(), order)
        .await?
        .download(downloader, locale)
        .await
}

/// Builds the request `order` describes without any upload bytes and asks
/// the gateway whether it may run. `max_bytes` is the adapter's download
/// cap, checked against the sizes the platform announced. Nothing is
/// downloaded here.
pub async fn clear(
    gateway: &dyn Gateway,
    max_bytes: u64,
    order: Order<'_>,
) -> Result<Cleared, Declined> {
    let Order {
        id,
        user,
        intent,
        settings,
        locale,
        mask,
    } = order;
    let from = |what| from_result(gateway, id.clone(), user, what, locale);
    let (built, uploads) = match intent {
        Intent::Generate { prompt, flags } => (
            request::fresh(id, user, &prompt, &flags, settings, Vec::new()),
            Vec::new(),
        ),
        Intent::Edit {
            prompt,
            flags,
            inputs,
        } => (
            request::fresh(id, user, &prompt, &flags, settings, Vec::new()),
            inputs,
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
            (from((result, what)).await?, extra_inputs)
        }
        Intent::Again { result } => (from((result, FromResult::Again)).await?, Vec::new()),
        Intent::Vary { result } => (from((result, FromResult::Vary)).await?, Vec::new()),
        other => {
            tracing::error!(%id, intent = ?other, "an intent that draws nothing reached the request builder");
            return Err(Declined::Tell(render::text::internal_error(
                locale,
                id.as_str(),
            )));
        }
    };
    let draft = Draft {
        built,
        uploads,
        mask,
    };
    admit::clear(gateway, draft, max_bytes, locale).await
}

impl Cleared {
    /// Downloads the uploads, in order, then the mask, and gives the request
    /// to submit. A failed download names the input by its number in the
    /// request (see the module doc) and stops at once: later files are not
    /// fetched.
    pub async fn download(
        self,
        downloader: &impl Downloader,
        locale: Locale,
    ) -> Result<Built, Declined> {
        let first = self.first_upload();
        let mut bytes = Vec::with_capacity(self.uploads().len());
        for (i, image) in self.uploads().iter().enumerate() {
            bytes.push(fetch(downloader, image, first + i, locale).await?);
        }
        let mask = match self.mask() {
            // The mask belongs to the first input (the picture it masks).
            Some(mask) => Some(fetch(downloader, mask, first, locale).await?),
            None => None,
        };
        Ok(self.with_mask(mask).with_uploads(bytes))
    }
}

/// One download, its failure in the user's words.
async fn fetch(
    downloader: &impl Downloader,
    image: &ImageRef,
    index: usize,
    locale: Locale,
) -> Result<Bytes, Declined> {
    downloader.fetch(image).await.map_err(|error| {
        tracing::info!(input = index, %error, "input download failed");
        Declined::Tell(match error {
            FetchError::TooLarge => render::input_too_large(locale, index, downloader.max_bytes()),
            FetchError::Unavailable => render::text::unavailable(locale),
            FetchError::Unreadable => render::notice(locale, Notice::ImageUnreadable),
        })
    })
}

async fn from_result(
    gateway: &dyn Gateway,
    id: RequestId,
    user: UserKey,
    (result, what): (super::ResultId, FromResult),
    locale: Locale,
) -> Result<Built, Declined> {
    request::from_result(gateway, id, user, &result, what)
        .await
        .map_err(|e| Declined::Tell(e.text(locale)))
}
