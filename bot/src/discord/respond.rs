//! Answering one interaction: the first response (over REST, or in the body
//! of the HTTP endpoint's reply), then edits of the original response and
//! follow-ups. Remembers whether and how it was acknowledged, so a failure
//! after a public "thinking…" can still be explained privately.

use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::Duration;

use serenity::all::{
    Builder, CreateInteractionResponse, CreateInteractionResponseFollowup,
    CreateInteractionResponseMessage, EditInteractionResponse, Http, InteractionId, Message,
};
use tokio::sync::{Mutex, oneshot};
use tokio::time::Instant;

/// How the first response of an interaction is delivered.
#[derive(Debug)]
pub enum Ack {
    /// `POST /interactions/{id}/{token}/callback` (gateway mode).
    Rest,
    /// As the body of the HTTP endpoint's reply (HTTP interactions mode).
    Body(oneshot::Sender<CreateInteractionResponse>),
}

/// Discord lets the interaction token edit the response for 15 minutes;
/// past this age a result goes out as a normal channel message.
const TOKEN_LIFETIME: Duration = Duration::from_secs(14 * 60);

/// Longest message content Discord takes, in characters.
const CONTENT_MAX: usize = 2000;

const NOT_ACKED: u8 = 0;
const ACKED_PUBLIC: u8 = 1;
const ACKED_EPHEMERAL: u8 = 2;

/// One interaction's response channel.
pub(crate) struct Responder {
    pub(crate) http: Arc<Http>,
    id: InteractionId,
    pub(crate) token: String,
    body: Mutex<Option<oneshot::Sender<CreateInteractionResponse>>>,
    state: AtomicU8,
    started: Instant,
}

impl Responder {
    pub(crate) fn new(http: Arc<Http>, id: InteractionId, token: String, ack: Ack) -> Self {
        let body = match ack {
            Ack::Rest => None,
            Ack::Body(tx) => Some(tx),
        };
        Self {
            http,
            id,
            token,
            body: Mutex::new(body),
            state: AtomicU8::new(NOT_ACKED),
            started: Instant::now(),
        }
    }

    /// Whether the token may be too old to edit the response.
    pub(crate) fn expired(&self) -> bool {
        self.started.elapsed() > TOKEN_LIFETIME
    }

    /// Sends the first response (a message, a modal or a defer). Only a
    /// response Discord took counts as an acknowledgement: after a refused
    /// one (already acknowledged elsewhere, or expired) the token cannot
    /// edit `@original`, so nothing later may try.
    pub(crate) async fn first(
        &self,
        response: CreateInteractionResponse,
        ephemeral: bool,
    ) -> Result<(), serenity::Error> {
        let state = if ephemeral {
            ACKED_EPHEMERAL
        } else {
            ACKED_PUBLIC
        };
        if let Some(tx) = self.body.lock().await.take() {
            // The HTTP endpoint may have given up waiting and deferred on its
            // own; the edits that follow still work then.
            let _ = tx.send(response);
            self.state.store(state, Ordering::SeqCst);
            return Ok(());
        }
        response
            .execute(&*self.http, (self.id, &self.token))
            .await?;
        self.state.store(state, Ordering::SeqCst);
        Ok(())
    }

    /// "Thinking…", visible to everyone in the channel.
    pub(crate) async fn defer(&self) -> Result<(), serenity::Error> {
        let r = CreateInteractionResponse::Defer(CreateInteractionResponseMessage::new());
        self.first(r, false).await
    }

    /// "Thinking…", visible only to the user.
    pub(crate) async fn defer_ephemeral(&self) -> Result<(), serenity::Error> {
        let r = CreateInteractionResponse::Defer(
            CreateInteractionResponseMessage::new().ephemeral(true),
        );
        self.first(r, true).await
    }

    /// Edits the original response.
    pub(crate) async fn edit(
        &self,
        edit: EditInteractionResponse,
    ) -> Result<Message, serenity::Error> {
        edit.execute(&*self.http, &self.token).await
    }

    /// Tells only the user `text`, whatever was sent before: a first
    /// ephemeral message, an edit of an ephemeral defer, or (after a public
    /// defer) the public placeholder removed and an ephemeral follow-up.
    /// Text over Discord's 2000 characters goes on in ephemeral follow-ups.
    pub(crate) async fn private(&self, text: String) -> Result<(), serenity::Error> {
        let mut pieces = crate::core::render::pieces(&text, CONTENT_MAX, |_| 1).into_iter();
        self.private_one(pieces.next().unwrap_or_default()).await?;
        for piece in pieces {
            let f = CreateInteractionResponseFollowup::new()
                .content(piece)
                .ephemeral(true);
            f.execute(&*self.http, (None, &self.token)).await?;
        }
        Ok(())
    }

    async fn private_one(&self, text: String) -> Result<(), serenity::Error> {
        match self.state.load(Ordering::SeqCst) {
            NOT_ACKED => {
                let msg = CreateInteractionResponseMessage::new()
                    .content(text)
                    .ephemeral(true);
                self.first(CreateInteractionResponse::Message(msg), true)
                    .await
            }
            ACKED_EPHEMERAL => self
                .edit(EditInteractionResponse::new().content(text))
                .await
                .map(drop),
            _ => {
                if let Err(e) = self
                    .http
                    .delete_original_interaction_response(&self.token)
                    .await
                {
                    tracing::debug!(error = %e, "could not remove the placeholder");
                }
                let f = CreateInteractionResponseFollowup::new()
                    .content(text)
                    .ephemeral(true);
                f.execute(&*self.http, (None, &self.token)).await.map(drop)
            }
        }
    }
}
