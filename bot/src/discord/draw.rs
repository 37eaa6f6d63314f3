//! The requests that draw: generate, edit, refine, Again and Vary (cleared
//! by the core's pre-check, then a public "thinking…" and the job), and
//! Original (the provider's file, privately). The core's builder makes the
//! request; this adapter supplies the download ([`Cdn`], with the
//! configured size cap) and the delivery.

use bytes::Bytes;
use easel_shared::RequestId;
use serenity::all::{CreateAttachment, EditAttachments, EditInteractionResponse};

use super::Discord;
use super::download::{self, DownloadError};
use super::handle::Who;
use super::job::{self, JobTarget, tell};
use super::respond::Responder;
use crate::core::build::{self, Declined, Downloader, FetchError, Order};
use crate::core::render::Notice;
use crate::core::request::Built;
use crate::core::{ImageRef, Intent, ResultId as CoreId, act, render};

impl Discord {
    /// Generate, edit, refine, again, vary: the core clears the request
    /// with the gateway's pre-check (a refusal is told privately, before
    /// anything is acknowledged publicly or downloaded), then a public
    /// "thinking…", the uploads are downloaded and the request runs.
    pub(crate) async fn draw(&self, r: &Responder, who: &Who, intent: Intent) {
        let locale = who.locale;
        let Ok(id) = RequestId::new(format!("dc:{}", who.interaction)) else {
            return tell(r, render::text::internal_error(locale, "id")).await;
        };
        let order = Order {
            id,
            user: who.user,
            intent,
            settings: &who.settings,
            locale,
            mask: who.mask.clone(),
        };
        let cdn = Cdn {
            client: &self.downloads,
            cap: self.config.max_input_bytes,
        };
        let cleared = match build::clear(&*self.gateway, cdn.cap, order).await {
            Ok(cleared) => cleared,
            Err(Declined::Tell(text)) => return tell(r, text).await,
            // A redelivered interaction: the first delivery answers.
            Err(Declined::Silently) => return,
        };
        if let Err(e) = r.defer().await {
            // Already answered (a redelivery, another process) or expired:
            // whoever acknowledged it speaks. Submitting now would charge for
            // a result this token could never show.
            return tracing::info!(interaction = %who.interaction, error = %e, "defer failed; nothing submitted");
        }
        let Built { request, caption } = match cleared.download(&cdn, locale).await {
            Ok(built) => built,
            Err(Declined::Tell(text)) => return tell(r, text).await,
            Err(Declined::Silently) => return,
        };
        let target = JobTarget {
            responder: r,
            locale,
            channel: who.channel,
            user_id: who.user.id,
            attachment_limit: who.attachment_limit,
            note: None,
        };
        job::run(&*self.gateway, &target, request, caption).await;
    }

    /// The provider's untouched file, privately.
    pub(crate) async fn original(&self, r: &Responder, who: &Who, result: &CoreId) {
        let locale = who.locale;
        if let Err(e) = r.defer_ephemeral().await {
            return tracing::warn!(error = %e, "could not defer");
        }
        let Some((id, index)) = result.original_target() else {
            return tell(r, render::notice(locale, Notice::OriginalExpired)).await;
        };
        let image = match self.gateway.original(&id, index).await {
            Ok(Some(image)) => image,
            Ok(None) => return tell(r, render::notice(locale, Notice::OriginalExpired)).await,
            Err(e) => {
                let text = act::gateway_error(locale, &e, act::system_now()).unwrap_or_default();
                return tell(r, text).await;
            }
        };
        let name = job::file_name(&format!("easel-{id}"), index, &image.mime);
        let edit = EditInteractionResponse::new().attachments(
            EditAttachments::new().add(CreateAttachment::bytes(image.bytes.to_vec(), name)),
        );
        if let Err(e) = r.edit(edit).await {
            tracing::info!(error = %e, "original not delivered (too large for this chat?)");
            tell(r, render::notice(locale, Notice::PreviewOnly)).await;
        }
    }
}

/// Discord's downloads: attachments from its CDN, within the configured cap.
struct Cdn<'a> {
    client: &'a reqwest::Client,
    cap: u64,
}

impl Downloader for Cdn<'_> {
    fn max_bytes(&self) -> u64 {
        self.cap
    }

    async fn fetch(&self, image: &ImageRef) -> Result<Bytes, FetchError> {
        download::fetch(self.client, &image.handle, self.cap)
            .await
            .map_err(|e| match e {
                DownloadError::TooLarge(_) => FetchError::TooLarge,
                DownloadError::Failed(why) => {
                    tracing::info!(error = %why, "attachment download failed");
                    FetchError::Unreadable
                }
            })
    }
}
