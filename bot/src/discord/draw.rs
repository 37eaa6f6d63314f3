//! The requests that draw: generate, edit, refine, Again and Vary (a
//! public "thinking…", then the job), and Original (the provider's file,
//! privately). Uploads are downloaded here with the configured size cap.

use bytes::Bytes;
use easel_shared::RequestId;
use serenity::all::{CreateAttachment, EditAttachments, EditInteractionResponse};

use super::Discord;
use super::download;
use super::handle::Who;
use super::job::{self, JobTarget, tell};
use super::respond::Responder;
use crate::core::render::Notice;
use crate::core::request::{self, Built, FromResult};
use crate::core::{ImageRef, Intent, ResultId as CoreId, act, render};
use crate::i18n::Locale;

impl Discord {
    /// Generate, edit, refine, again, vary: defer publicly, build the
    /// request (downloading uploads), run it.
    pub(crate) async fn draw(&self, r: &Responder, who: &Who, intent: Intent) {
        let locale = who.locale;
        if let Err(e) = r.defer().await {
            // Already answered (a redelivery) or expired: the first delivery speaks.
            tracing::info!(interaction = %who.interaction, error = %e, "defer failed");
        }
        let Ok(id) = RequestId::new(format!("dc:{}", who.interaction)) else {
            return tell(r, render::text::internal_error(locale, "id")).await;
        };
        let built: Result<Built, String> = match intent {
            Intent::Generate { prompt, flags } => Ok(request::fresh(
                id,
                who.user,
                &prompt,
                &flags,
                &who.settings,
                Vec::new(),
            )),
            Intent::Edit {
                prompt,
                flags,
                inputs,
            } => match self.download_all(locale, &inputs).await {
                Ok(uploads) => Ok(request::fresh(
                    id,
                    who.user,
                    &prompt,
                    &flags,
                    &who.settings,
                    uploads,
                )),
                Err(text) => Err(text),
            },
            Intent::Refine {
                result,
                prompt,
                flags,
                extra_inputs,
            } => match self.download_all(locale, &extra_inputs).await {
                Ok(uploads) => {
                    self.request_from(
                        id,
                        who,
                        &result,
                        FromResult::Refine {
                            prompt,
                            flags,
                            uploads,
                        },
                    )
                    .await
                }
                Err(text) => Err(text),
            },
            Intent::Again { result } => {
                self.request_from(id, who, &result, FromResult::Again).await
            }
            Intent::Vary { result } => self.request_from(id, who, &result, FromResult::Vary).await,
            _ => Err(render::text::internal_error(locale, "draw")),
        };
        let Built {
            mut request,
            caption,
        } = match built {
            Ok(b) => b,
            Err(text) => return tell(r, text).await,
        };
        if let Some(mask) = &who.mask {
            match self.download_all(locale, std::slice::from_ref(mask)).await {
                Ok(mut bytes) => request.mask = bytes.pop(),
                Err(text) => return tell(r, text).await,
            }
        }
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

    async fn request_from(
        &self,
        id: RequestId,
        who: &Who,
        result: &CoreId,
        what: FromResult,
    ) -> Result<Built, String> {
        request::from_result(&*self.gateway, id, who.user, result, what)
            .await
            .map_err(|e| e.text(who.locale))
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
