//! The OpenAI Responses API backend (`kind = "openai-responses"`): a
//! mainline model drawing with the `image_generation` tool, so a refine
//! continues the conversation (`previous_response_id`) instead of editing
//! one picture with one sentence.
//!
//! - A turn is `POST {base}/responses`, always streamed (`request.rs`
//!   builds it, `stream.rs` reads it). Its output carries an
//!   [`Continuation::OpenaiResponse`] naming the new response id, which the
//!   gateway stores with the result.
//! - A job carrying this backend's continuation sends its id as
//!   `previous_response_id`; its first input (the parent's image, already
//!   in the conversation) is not sent again.
//! - When the provider no longer knows that id (expired, deleted, made with
//!   another key: a 400/404 `previous_response_not_found`, or an invalid
//!   request naming `previous_response_id`), the same call edits the stored
//!   image through the Images API (`/images/edits`, the image model) inside
//!   the same job and reservation: the user sees no difference and is
//!   charged once. That output has no continuation; the next turn starts a
//!   new conversation from its image.
//! - Cost: the mainline model's `usage` at its token prices plus the image
//!   tool's, from `tool_usage.image_gen` when reported, else the image
//!   model's per-image table for the size and quality the tool reports.
//!
//! HTTP, retries-by-kind, error mapping, SSE decoding and prices are the
//! Images backend's (`backend::openai`), reused, not copied.

use async_trait::async_trait;
use easel_shared::config::{BackendConfig, BackendKind, ImageAction, ResolvedCaps};
use easel_shared::render::{Quality, Shape, SizeRefusal};
use easel_shared::results::Continuation;
use serde::Deserialize;
use tokio::sync::mpsc;

use super::model_check::{ModelCheckError, ModelInfo};
use super::openai::{OpenAiBackend, Refused, Resolved};
use super::price::PriceTable;
use super::{
    BackendError, BackendEvent, BackendOutput, Billed, Capabilities, ImageBackend, ImageData,
    ImageJob,
};

mod request;
mod stream;

use request::TurnSettings;
use stream::Turn;

/// A conversation-keeping OpenAI backend.
#[derive(Debug)]
pub struct OpenAiResponsesBackend {
    name: String,
    /// The mainline model (`model`).
    mainline: String,
    action: ImageAction,
    /// The Images API on the image model: HTTP, the fallback edit, shapes.
    images: OpenAiBackend,
    /// The Images API client on the mainline model, only for its model check.
    mainline_check: OpenAiBackend,
    /// The mainline model's prices (text tokens).
    text_prices: PriceTable,
    /// The image model's prices (the tool's tokens or per image).
    image_prices: PriceTable,
}

/// How a turn ended, before it becomes a [`Billed`].
enum TurnError {
    /// The provider does not know the `previous_response_id` we sent.
    Forgotten,
    /// Any other failure, with what the call cost (a text-only answer bills).
    Failed(BackendError, u64),
}

impl OpenAiResponsesBackend {
    /// Builds the backend from config: `model` is the mainline model,
    /// `image_model` the tool's (and the fallback's) image model.
    pub fn new(
        config: &BackendConfig,
        text_prices: PriceTable,
        image_prices: PriceTable,
        image_caps: &ResolvedCaps,
    ) -> Result<Self, String> {
        if config.image_model.trim().is_empty() {
            return Err("no image_model configured for the image_generation tool".into());
        }
        let on_image_model = Self::image_backend(config);
        Ok(Self {
            name: config.name.clone(),
            mainline: config.model.clone(),
            action: config.image_action,
            images: OpenAiBackend::new(&on_image_model, image_prices.clone(), image_caps)?,
            mainline_check: OpenAiBackend::new(config, text_prices.clone(), image_caps)?,
            text_prices,
            image_prices,
        })
    }

    /// The Images API backend on this backend's image model: what the tool
    /// renders with, and what a forgotten conversation falls back to.
    pub fn image_backend(config: &BackendConfig) -> BackendConfig {
        BackendConfig {
            kind: BackendKind::OpenAi,
            model: config.image_model.clone(),
            ..config.clone()
        }
    }

    /// The response id of the conversation this job continues, if the
    /// continuation is this backend's (another backend's is not ours to use).
    fn previous<'a>(&self, job: &'a ImageJob) -> Option<&'a str> {
        match &job.continuation {
            Some(Continuation::OpenaiResponse {
                backend,
                response_id,
            }) if *backend == self.name => Some(response_id),
            _ => None,
        }
    }

    /// One Responses API turn.
    async fn turn(
        &self,
        job: &ImageJob,
        previous: Option<&str>,
        events: &mpsc::Sender<BackendEvent>,
    ) -> Result<BackendOutput, TurnError> {
        let image = self.images.settings();
        let r = Resolved::new(&job.options, image);
        let settings = TurnSettings {
            mainline: &self.mainline,
            image,
            action: self.action,
        };
        let body = request::body(job, &settings, &r, previous);
        tracing::debug!(backend = %self.name, model = %self.mainline, image_model = %image.model,
            size = %r.size, inputs = job.inputs.len(), continued = previous.is_some(),
            "calling the responses API");
        let failed = |e| TurnError::Failed(e, 0);
        let resp = match self
            .images
            .execute(self.images.post("/responses").json(&body))
            .await
            .map_err(failed)?
        {
            Ok(resp) => resp,
            Err(refused) if previous.is_some() && forgot_previous(&refused) => {
                return Err(TurnError::Forgotten);
            }
            Err(refused) => return Err(failed(self.images.map_refused(&refused))),
        };
        let timeout = self.images.request_timeout();
        let turn = stream::read(resp, events, r.mime(), self.images.secret(), timeout)
            .await
            .map_err(failed)?;
        let cost_micros = self.cost(&turn, &job.options.quality, &r.size);
        let Some(bytes) = turn.image else {
            // The model answered in words only; the tokens are still billed.
            return Err(TurnError::Failed(
                BackendError::BadResponse("the model answered without an image".into()),
                cost_micros,
            ));
        };
        let mime = super::http::sniff_mime(&bytes, r.mime());
        Ok(BackendOutput {
            images: vec![ImageData { bytes, mime }],
            cost_micros,
            // The image tool's tokens (`tool_usage.image_gen`): the mainline
            // model's text tokens are not the image's usage.
            usage: turn.image_usage,
            backend: self.name.clone(),
            continuation: Some(Continuation::OpenaiResponse {
                backend: self.name.clone(),
                response_id: turn.response_id,
            }),
        })
    }

    /// The mainline model's tokens plus the image tool's (its tokens when
    /// reported, else the image model's price for the size and quality).
    fn cost(&self, turn: &Turn, asked: &Quality, asked_size: &str) -> u64 {
        let images = usize::from(turn.image.is_some());
        let text = turn
            .usage
            .map_or(0, |u| self.text_prices.cost(Some(u), *asked, asked_size, 0));
        let quality = turn
            .quality
            .as_deref()
            .and_then(quality_of)
            .unwrap_or(*asked);
        let size = turn.size.as_deref().unwrap_or(asked_size);
        let image = self
            .image_prices
            .cost(turn.image_usage, quality, size, images);
        text.saturating_add(image)
    }
}

/// Whether a refusal says the `previous_response_id` is unknown: the code
/// OpenAI sends (`previous_response_not_found`, "Previous response with id
/// '...' not found."), or an invalid request naming that parameter (as
/// compatible servers word it).
fn forgot_previous(refused: &Refused) -> bool {
    #[derive(Deserialize)]
    struct Body {
        error: Detail,
    }
    #[derive(Deserialize)]
    struct Detail {
        code: Option<String>,
        param: Option<String>,
    }
    if !matches!(refused.status, 400 | 404) {
        return false;
    }
    let Ok(body) = serde_json::from_slice::<Body>(&refused.body) else {
        return false;
    };
    body.error.code.as_deref() == Some("previous_response_not_found")
        || body.error.param.as_deref() == Some("previous_response_id")
}

fn quality_of(text: &str) -> Option<Quality> {
    match text {
        "low" => Some(Quality::Low),
        "medium" => Some(Quality::Medium),
        "high" => Some(Quality::High),
        _ => None,
    }
}

#[async_trait]
impl ImageBackend for OpenAiResponsesBackend {
    fn name(&self) -> &str {
        &self.name
    }

    /// The image tool takes what the Images API takes (one image per turn).
    fn capabilities(&self) -> Capabilities {
        self.images.capabilities()
    }

    fn check_shape(&self, shape: Shape) -> Result<(), SizeRefusal> {
        self.images.check_shape(shape)
    }

    /// The mainline model first, then the image model: either gone stops
    /// the backend; of two shutdown dates the earlier one counts.
    async fn check_model(&self) -> Result<ModelInfo, ModelCheckError> {
        let mainline = self.mainline_check.check_model().await?;
        let image = self.images.check_model().await?;
        Ok(match (mainline.shutdown, image.shutdown) {
            (Some(a), Some(b)) if b < a => image,
            (None, Some(_)) => image,
            _ => mainline,
        })
    }

    async fn list_image_models(&self) -> Result<Vec<String>, ModelCheckError> {
        self.images.list_image_models().await
    }

    /// The image's estimate (one image per turn); the mainline model's
    /// few hundred tokens are within the per-image table's margin.
    fn estimate_micros(&self, job: &ImageJob) -> u64 {
        let one = ImageJob {
            options: easel_shared::render::RenderOptions {
                n: 1,
                ..job.options.clone()
            },
            ..job.clone()
        };
        self.images.estimate_micros(&one)
    }

    async fn generate(
        &self,
        job: &ImageJob,
        events: &mpsc::Sender<BackendEvent>,
    ) -> Result<BackendOutput, BackendError> {
        self.generate_billed(job, events).await.result
    }

    async fn generate_billed(&self, job: &ImageJob, events: &mpsc::Sender<BackendEvent>) -> Billed {
        let previous = self.previous(job);
        match self.turn(job, previous, events).await {
            Ok(out) => Billed {
                cost_micros: out.cost_micros,
                result: Ok(out),
            },
            Err(TurnError::Failed(error, cost_micros)) => Billed {
                result: Err(error),
                cost_micros,
            },
            Err(TurnError::Forgotten) => {
                tracing::info!(backend = %self.name, "the provider no longer knows this \
                    conversation: editing the stored image with the Images API instead");
                let fresh = ImageJob {
                    continuation: None,
                    ..job.clone()
                };
                let mut billed = self.images.generate_billed(&fresh, events).await;
                if let Ok(out) = &mut billed.result {
                    out.backend = self.name.clone();
                    out.continuation = None;
                }
                billed
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(status: u16, body: &str) -> Refused {
        Refused {
            status,
            headers: reqwest::header::HeaderMap::new(),
            body: bytes::Bytes::from(body.to_owned()),
        }
    }

    #[test]
    fn an_unknown_previous_response_is_told_apart_from_other_refusals() {
        let openai = r#"{"error":{"message":"Previous response with id 'resp_1' not found.",
            "type":"invalid_request_error","param":"previous_response_id",
            "code":"previous_response_not_found"}}"#;
        assert!(forgot_previous(&refused(400, openai)));
        assert!(forgot_previous(&refused(404, openai)));
        let terse = r#"{"error":{"message":"Invalid previous_response_id.",
            "type":"invalid_request_error","param":"previous_response_id","code":null}}"#;
        assert!(forgot_previous(&refused(400, terse)));
        let other = r#"{"error":{"message":"Invalid value","type":"invalid_request_error",
            "param":"tools[0].size","code":"invalid_value"}}"#;
        assert!(!forgot_previous(&refused(400, other)));
        assert!(
            !forgot_previous(&refused(500, openai)),
            "a 5xx is retried, not fallen back from"
        );
        assert!(!forgot_previous(&refused(400, "<html>")));
    }
}
