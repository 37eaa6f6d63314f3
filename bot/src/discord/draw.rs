//! The requests that draw: generate, edit, refine, Again and Vary (cleared
//! by the core's pre-check, then a public "thinking…" and the job), and
//! Original (the provider's file, privately). Uploads are downloaded here,
//! after the pre-check, with the configured size cap.

use bytes::Bytes;
use easel_shared::RequestId;
use serenity::all::{CreateAttachment, EditAttachments, EditInteractionResponse};

use super::Discord;
use super::download;
use super::handle::Who;
use super::job::{self, JobTarget, tell};
use super::respond::Responder;
use crate::core::render::Notice;
use crate::core::request::Built;
use crate::core::{ImageRef, Intent, ResultId as CoreId, act, admit, render};
use crate::i18n::Locale;

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
        let g = &*self.gateway;
        let cap = self.config.max_input_bytes;
        let mut cleared =
            match admit::clear(g, id, who.user, intent, &who.settings, locale, cap).await {
                Ok(cleared) => cleared,
                Err(Some(text)) => return tell(r, text).await,
                // A redelivered interaction: the first delivery answers.
                Err(None) => return,
            };
        if let Some(mask) = &who.mask
            && mask.size.is_some_and(|s| s > cap)
        {
            return tell(r, render::input_too_large(locale, 0, cap)).await;
        }
        if let Err(e) = r.defer().await {
            // Already answered (a redelivery, another process) or expired:
            // whoever acknowledged it speaks. Submitting now would charge for
            // a result this token could never show.
            return tracing::info!(interaction = %who.interaction, error = %e, "defer failed; nothing submitted");
        }
        let uploads = match self.download_all(locale, cleared.uploads()).await {
            Ok(uploads) => uploads,
            Err(text) => return tell(r, text).await,
        };
        cleared = match &who.mask {
            Some(mask) => match self.download_all(locale, std::slice::from_ref(mask)).await {
                Ok(mut bytes) => cleared.with_mask(bytes.pop()),
                Err(text) => return tell(r, text).await,
            },
            None => cleared,
        };
        let Built { request, caption } = cleared.with_uploads(uploads);
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

    async fn download_all(
        &self,
        locale: Locale,
        inputs: &[ImageRef],
    ) -> Result<Vec<Bytes>, String> {
        let cap = self.config.max_input_bytes;
        let mut out = Vec::with_capacity(inputs.len());
        for (i, image) in inputs.iter().enumerate() {
            let too_large = || render::input_too_large(locale, i, cap);
            if image.size.is_some_and(|s| s > cap) {
                return Err(too_large());
            }
            match download::fetch(&self.downloads, &image.handle, cap).await {
                Ok(bytes) => out.push(bytes),
                Err(download::DownloadError::TooLarge(_)) => return Err(too_large()),
                Err(e) => {
                    tracing::info!(input = i, error = %e, "input download failed");
                    return Err(render::notice(locale, Notice::ImageUnreadable));
                }
            }
        }
        Ok(out)
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
