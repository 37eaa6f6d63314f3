//! A form post becomes a job: the core reads the form as a message, its
//! builder makes the request and clears it with the gateway's pre-check
//! (nothing is "downloaded", here: handed over from the form, for a user
//! who would be refused), then the gateway takes it and [`Jobs`] logs its
//! events. Every refusal is the core's text in the user's language, and
//! nothing is charged for one.

use std::sync::Arc;

use easel_gateway::ledger::Clock;
use easel_gateway::service::Gateway;
use easel_shared::results::ResultId;
use easel_shared::{RequestId, UserKey};

use super::form::{PlayForm, Redo, Uploads};
use super::jobs::{Job, Jobs};
use crate::core::build::{self, Declined, Order};
use crate::core::intent::ChangeTarget;
use crate::core::render::Notice;
use crate::core::request::Built;
use crate::core::{Context, Intent, Problem, act, interpret, render};
use crate::i18n::{Locale, t};

/// What the playground needs to submit for one user.
#[derive(Clone, Copy)]
pub struct Submitter<'a> {
    /// The port.
    pub gateway: &'a dyn Gateway,
    /// The process's playground jobs.
    pub jobs: &'a Jobs,
    /// The gateway's clock (progress times).
    pub clock: &'a Clock,
    /// The most bytes one photo may have (the chat uploads' cap).
    pub cap: u64,
}

impl Submitter<'_> {
    /// Submits what `form` asks for `user`; `Err` is the text to show
    /// instead (nothing was charged).
    pub async fn submit(
        &self,
        user: UserKey,
        locale: Locale,
        form: PlayForm,
    ) -> Result<Arc<Job>, String> {
        self.own_result(user, locale, &form).await?;
        let incoming = form.incoming(user);
        // Admin commands are not served here (the dashboard is for that),
        // so no admins are named: `/ban` and friends read as "not admin".
        let context = Context {
            bot_username: "",
            admins: &[],
        };
        let intent = match interpret(&incoming, &context) {
            Ok(intent) => drawing(intent, locale)?,
            Err(problem) => return Err(render::problem(locale, &problem)),
        };
        let gateway = self.gateway;
        let settings = gateway
            .settings(user)
            .await
            .map_err(|e| act::gateway_error(locale, &e, act::system_now()).unwrap_or_default())?;
        let id =
            request_id(user).map_err(|_| render::text::internal_error(locale, "request id"))?;
        let order = Order {
            id: id.clone(),
            user,
            intent,
            settings: &settings,
            locale,
            mask: None,
        };
        let uploads = Uploads {
            photos: &form.photos,
            cap: self.cap,
        };
        let Built { request, caption } = match build::request(gateway, &uploads, order).await {
            Ok(built) => built,
            Err(Declined::Tell(text)) => return Err(text),
            // A fresh id is never a redelivery; say something rather than nothing.
            Err(Declined::Silently) => {
                return Err(render::text::internal_error(locale, id.as_str()));
            }
        };
        match gateway.submit(request).await {
            Ok(events) => Ok(self
                .jobs
                .start(id, user, caption, events, self.clock.clone())),
            Err(e) => Err(act::explain(gateway, user, locale, &e)
                .await
                .unwrap_or_else(|| render::text::internal_error(locale, id.as_str()))),
        }
    }
}

impl Submitter<'_> {
    /// A form about a stored result (refine, Again, Vary) may only name one
    /// of the user's own: the page never shows another's, and an id typed
    /// by hand must not reach someone else's images. Anyone else's result
    /// reads as unknown, like a forged id.
    async fn own_result(
        &self,
        user: UserKey,
        locale: Locale,
        form: &PlayForm,
    ) -> Result<(), String> {
        let named = match (&form.redo, &form.refine) {
            (Some(Redo::Again(id) | Redo::Vary(id)), _) | (None, Some(id)) => id,
            (None, None) => return Ok(()),
        };
        let unknown = || render::notice(locale, Notice::ResultUnknown);
        let Ok(stored) = named.0.parse::<ResultId>() else {
            return Err(unknown());
        };
        match self.gateway.result(&stored).await {
            Ok(Some(record)) if record.user == user => Ok(()),
            Ok(_) => Err(unknown()),
            Err(e) => Err(act::gateway_error(locale, &e, act::system_now()).unwrap_or_default()),
        }
    }
}

/// Keeps the intents that draw; the rest get the text that says why not.
fn drawing(intent: Intent, locale: Locale) -> Result<Intent, String> {
    match intent {
        Intent::Generate { .. }
        | Intent::Edit { .. }
        | Intent::Refine { .. }
        | Intent::Again { .. }
        | Intent::Vary { .. } => Ok(intent),
        // Photos (or a chosen result) without words: in chat the bot asks
        // for a reply; here the prompt box is right there.
        Intent::AskChange(ChangeTarget::Images(_) | ChangeTarget::Result(_)) | Intent::Ignore => {
            Err(render::problem(locale, &Problem::EmptyPrompt))
        }
        _ => Err(t(locale, "web-play-chat-only")),
    }
}

/// A fresh request id: the playground has no platform event to derive one
/// from, so each submit is its own request (`web:` + user + random).
fn request_id(user: UserKey) -> Result<RequestId, easel_shared::ids::IdError> {
    let nonce: u64 = rand::random();
    let platform = user.platform.tag();
    RequestId::new(format!("web:{platform}{}:{nonce:016x}", user.id))
}
