//! One request's life on Discord: submitted through the gateway, progress
//! edited into the deferred response (queue position, elapsed, partial
//! previews), then the images as attachments under an embed with buttons.
//! Denials and failures are told privately; nothing is charged for them.

use std::time::Duration;

use easel_gateway::imaging::{self, PreviewLimits};
use easel_gateway::service::Gateway;
use easel_shared::job::{ImageData, JobEvent};
use easel_shared::request::Request;
use easel_shared::results::{MessageRef, ResultId};
use easel_shared::{Platform, QuotaStatus};
use serenity::all::{
    ChannelId, CreateAttachment, CreateMessage, EditAttachments, EditInteractionResponse, Message,
};
use tokio::time::Instant;

use super::render;
use super::respond::Responder;
use crate::core::act;
use crate::core::render as text;
use crate::i18n::Locale;

/// Progress edits closer together than this are skipped (the final one never is).
const EDIT_PACING: Duration = Duration::from_millis(1500);

/// Discord's default per-file limit when the interaction does not say.
const DEFAULT_ATTACHMENT_LIMIT: usize = 10 << 20;

/// Where and for whom a job runs.
pub(crate) struct JobTarget<'a> {
    pub(crate) responder: &'a Responder,
    pub(crate) locale: Locale,
    pub(crate) channel: ChannelId,
    pub(crate) user_id: u64,
    /// The interaction's per-file attachment limit in bytes (0: unknown).
    pub(crate) attachment_limit: u32,
    /// Told under the result (e.g. that only a preview fitted).
    pub(crate) note: Option<String>,
}

/// Submits `request` (the response is already deferred) and renders its
/// events; `caption` is the prompt shown under the result.
pub(crate) async fn run(
    gateway: &dyn Gateway,
    target: &JobTarget<'_>,
    request: Request,
    caption: String,
) {
    let locale = target.locale;
    let r = target.responder;
    let request_id = request.id.clone();
    let user = request.user;
    let prompt = caption;
    let mut events = match gateway.submit(request).await {
        Ok(events) => events,
        Err(e) => {
            // A budget refusal reaches the admins through the gateway's notices.
            match act::explain(gateway, user, locale, &e).await {
                Some(text) => tell(r, text).await,
                // A redelivered interaction: the first delivery answers.
                None => tracing::info!(request = %request_id, "duplicate interaction ignored"),
            }
            return;
        }
    };
    let started = Instant::now();
    let (mut last_queued, mut last_preview): (Option<Instant>, Option<Instant>) = (None, None);
    while let Some(event) = events.recv().await {
        let elapsed = started.elapsed().as_millis() as i64;
        // Queue positions and previews are paced apart, so the first preview
        // is never held back by a queue or "Drawing…" edit.
        let paced = |last: Option<Instant>| last.is_some_and(|t| t.elapsed() < EDIT_PACING);
        let (queue_paced, preview_paced) = (paced(last_queued), paced(last_preview));
        let is_queued = matches!(event, JobEvent::Queued { .. });
        let is_preview = matches!(event, JobEvent::Partial { .. });
        let edit = match event {
            JobEvent::Queued { position } if !queue_paced => EditInteractionResponse::new()
                .content(text::text::progress_queued(locale, position + 1, elapsed))
                .components(render::cancel_button(locale, &request_id)),
            JobEvent::Started => EditInteractionResponse::new()
                .content(text::text::progress_running(locale, elapsed))
                .components(Vec::new()),
            JobEvent::Partial { preview, .. } if !preview_paced => EditInteractionResponse::new()
                .content(text::text::progress_running(locale, elapsed))
                .components(Vec::new())
                .attachments(EditAttachments::new().add(CreateAttachment::bytes(
                    preview.bytes.to_vec(),
                    file_name("preview", 0, &preview.mime),
                ))),
            JobEvent::Done {
                images,
                quota,
                result,
                ..
            } => {
                deliver(gateway, target, &prompt, &images, quota.as_ref(), result).await;
                return;
            }
            JobEvent::Failed { failure, .. } => {
                tell(r, text::failure(locale, &failure, act::system_now())).await;
                return;
            }
            _ => continue,
        };
        if is_queued {
            last_queued = Some(Instant::now());
        }
        if is_preview {
            last_preview = Some(Instant::now());
        }
        if let Err(e) = r.edit(edit).await {
            tracing::debug!(request = %request_id, error = %e, "progress edit failed");
        }
    }
}

/// Sends the finished images: the originals where they fit the attachment
/// limit, else a preview and a note; then records the message for replies.
async fn deliver(
    gateway: &dyn Gateway,
    target: &JobTarget<'_>,
    prompt: &str,
    images: &[ImageData],
    quota: Option<&QuotaStatus>,
    result: Option<ResultId>,
) {
    let locale = target.locale;
    let limit = match target.attachment_limit {
        0 => DEFAULT_ATTACHMENT_LIMIT,
        n => n as usize,
    };
    let mut files = Vec::new();
    let mut previewed = false;
    for (i, image) in images.iter().enumerate() {
        if image.bytes.len() <= limit {
            files.push(CreateAttachment::bytes(
                image.bytes.to_vec(),
                file_name("easel", i, &image.mime),
            ));
            continue;
        }
        let bytes = image.bytes.clone();
        let made = tokio::task::spawn_blocking(move || {
            imaging::preview(&bytes, &PreviewLimits::discord(limit))
        })
        .await;
        match made {
            Ok(Ok(p)) => {
                previewed = true;
                files.push(CreateAttachment::bytes(
                    p.image.bytes.to_vec(),
                    file_name("easel-preview", i, p.image.mime),
                ));
            }
            other => {
                tracing::warn!(image = i, outcome = ?other.map(|r| r.map(|_| ())), "no preview for an oversized result")
            }
        }
    }
    let notes: Vec<String> = target
        .note
        .iter()
        .cloned()
        .chain(previewed.then(|| text::notice(locale, text::Notice::PreviewOnly)))
        .collect();
    let note = (!notes.is_empty()).then(|| notes.join("\n"));
    let embed = render::result_embed(locale, prompt, quota, note);
    let buttons = result
        .as_ref()
        .map(|id| render::result_buttons(locale, id, images.len()))
        .unwrap_or_default();
    let sent = if target.responder.expired() {
        None
    } else {
        let mut attachments = EditAttachments::new();
        for f in files.iter().cloned() {
            attachments = attachments.add(f);
        }
        let edit = EditInteractionResponse::new()
            .content("")
            .embed(embed.clone())
            .components(buttons.clone())
            .attachments(attachments);
        match target.responder.edit(edit).await {
            Ok(m) => Some(m),
            Err(e) => {
                tracing::info!(error = %e, "could not edit the response; sending a message instead");
                None
            }
        }
    };
    let message = match sent {
        Some(m) => Some(m),
        // The interaction token lives 15 minutes: finish with a normal message.
        None => channel_message(target, files, embed, buttons).await,
    };
    if let (Some(id), Some(m)) = (result, message) {
        let at = MessageRef {
            platform: Platform::Discord,
            chat: target.channel.get() as i64,
            message: m.id.get() as i64,
        };
        if let Err(e) = gateway.attach_message(&id, at).await {
            tracing::warn!(result = %id, error = %e, "result message not recorded");
        }
    }
}

async fn channel_message(
    target: &JobTarget<'_>,
    files: Vec<CreateAttachment>,
    embed: serenity::all::CreateEmbed,
    buttons: Vec<serenity::all::CreateActionRow>,
) -> Option<Message> {
    let msg = CreateMessage::new()
        .content(format!("<@{}>", target.user_id))
        .embed(embed)
        .components(buttons)
        .add_files(files);
    match target
        .channel
        .send_message(&*target.responder.http, msg)
        .await
    {
        Ok(m) => Some(m),
        Err(e) => {
            tracing::warn!(error = %e, "result could not be delivered");
            None
        }
    }
}

/// Tells the user privately; a failure to do so is only logged.
pub(crate) async fn tell(r: &Responder, text: String) {
    if let Err(e) = r.private(text).await {
        tracing::warn!(error = %e, "could not answer the interaction");
    }
}

/// `easel-0.png` from the MIME type.
pub(crate) fn file_name(stem: &str, i: usize, mime: &str) -> String {
    let ext = easel_shared::job::file_extension(mime);
    format!("{stem}-{i}.{ext}")
}
