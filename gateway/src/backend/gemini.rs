//! The Gemini image backend: `POST {base}/v1beta/models/{model}:generateContent`
//! with the prompt and input images as parts. One call yields one image, so
//! `n` images are `n` sequential calls. A refine resends the conversation
//! (`turns`); the shape goes as `aspectRatio` and, for an exact `--size`,
//! the smallest `imageSize` tier that holds it (`shape`).

use std::time::Duration;

use async_trait::async_trait;
use easel_shared::config::{BackendConfig, ImageSizeTier, ResolvedCaps};
use easel_shared::render::{Shape, SizeRefusal};
use easel_shared::secret::Secret;
use tokio::sync::mpsc;

use super::http::{self, read_capped, transport_error};
use super::model_check::{ModelCheckError, ModelInfo};
use super::price::{PriceTable, Usage};
use super::{
    BackendError, BackendEvent, BackendOutput, Billed, Capabilities, ImageBackend, ImageJob,
};

mod models;
mod shape;
mod turns;
mod wire;

/// The public endpoint, used when no base URL is configured.
pub const DEFAULT_BASE_URL: &str = "https://generativelanguage.googleapis.com";

/// Most bytes accepted in one answer.
const MAX_BODY_BYTES: u64 = 64 * 1024 * 1024;

/// A Gemini image model.
#[derive(Debug)]
pub struct GeminiBackend {
    name: String,
    client: reqwest::Client,
    url: String,
    base: String,
    api_key: Secret,
    model: String,
    ratios: Vec<(u32, u32)>,
    /// `imageSize` tiers, smallest first (empty: none is sent).
    image_sizes: Vec<ImageSizeTier>,
    max_inputs: usize,
    prices: PriceTable,
    request_timeout: Duration,
}

impl GeminiBackend {
    /// Builds the backend and its HTTP client from config and the model's
    /// resolved capabilities (`BackendsConfig::caps`).
    pub fn new(
        config: &BackendConfig,
        prices: PriceTable,
        caps: ResolvedCaps,
    ) -> Result<Self, String> {
        let base = http::base_url(config, DEFAULT_BASE_URL)?;
        Ok(Self {
            name: config.name.clone(),
            client: http::client(config.connect_timeout, config.request_timeout)?,
            url: format!("{}/v1beta/models/{}:generateContent", base, config.model),
            base: base.to_owned(),
            api_key: config.api_key.clone(),
            model: config.model.clone(),
            ratios: caps.aspect_ratios,
            image_sizes: caps.image_sizes,
            max_inputs: caps.max_inputs,
            prices,
            request_timeout: config.request_timeout,
        })
    }

    /// One `generateContent` call: one image, as output `index`; on a 2xx
    /// answer without a usable image, the error and the usage it reported.
    async fn call(
        &self,
        body: &serde_json::Value,
        index: u8,
    ) -> Result<wire::Reply, (BackendError, Option<Usage>)> {
        let unbilled = |e: BackendError| (e, None);
        let resp = self
            .client
            .post(&self.url)
            .header("x-goog-api-key", self.api_key.expose())
            .json(body)
            .send()
            .await
            .map_err(|e| unbilled(transport_error(&e, self.request_timeout)))?;
        let status = resp.status();
        let headers = resp.headers().clone();
        if !status.is_success() {
            let body = read_capped(resp, 64 * 1024, self.request_timeout)
                .await
                .unwrap_or_default();
            return Err(unbilled(wire::map_error(
                status.as_u16(),
                &headers,
                &body,
                self.api_key.expose(),
            )));
        }
        let body = read_capped(resp, MAX_BODY_BYTES, self.request_timeout)
            .await
            .map_err(unbilled)?;
        wire::parse(&body, index).map_err(|e| (e, wire::usage_of(&body)))
    }
}

fn add_usage(total: &mut Option<Usage>, more: Option<Usage>) {
    if let Some(u) = more {
        let t = total.get_or_insert_with(Usage::default);
        t.text_input += u.text_input;
        t.image_input += u.image_input;
        t.output += u.output;
    }
}

#[async_trait]
impl ImageBackend for GeminiBackend {
    fn name(&self) -> &str {
        &self.name
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            max_inputs: self.max_inputs,
            mask: false,
            transparent: false,
            streaming: false,
            input_long_side: 1024,
        }
    }

    fn check_shape(&self, shape: Shape) -> Result<(), SizeRefusal> {
        shape::check(shape, &self.ratios, &self.image_sizes)
    }

    async fn check_model(&self) -> Result<ModelInfo, ModelCheckError> {
        self.fetch_model().await
    }

    async fn list_image_models(&self) -> Result<Vec<String>, ModelCheckError> {
        self.fetch_image_models().await
    }

    fn estimate_micros(&self, job: &ImageJob) -> u64 {
        self.prices.estimate(
            job.options.quality,
            "auto",
            u64::from(job.options.n.max(1)),
            job.inputs.len().min(self.max_inputs),
        )
    }

    async fn generate(
        &self,
        job: &ImageJob,
        events: &mpsc::Sender<BackendEvent>,
    ) -> Result<BackendOutput, BackendError> {
        self.generate_billed(job, events).await.result
    }

    /// Every call's reported usage counts, a failed one's too (a text-only
    /// answer or a safety stop still bills its tokens).
    async fn generate_billed(
        &self,
        job: &ImageJob,
        _events: &mpsc::Sender<BackendEvent>,
    ) -> Billed {
        let n = job.options.n.clamp(1, 10);
        let mut trimmed;
        let job = if job.inputs.len() > self.max_inputs {
            trimmed = job.clone();
            trimmed.inputs.truncate(self.max_inputs);
            &trimmed
        } else {
            job
        };
        let history = turns::resumed(job, &self.name);
        let user = turns::user_turn(job, history.is_some());
        let contents = turns::contents(history.unwrap_or_default(), &user, job);
        let size = shape::image_size(job.options.shape, &self.image_sizes);
        let body = wire::request_body(contents, job.options.shape, &self.ratios, size);
        tracing::debug!(backend = %self.name, model = %self.model, n, inputs = job.inputs.len(),
            turns = history.map_or(0, <[_]>::len), "calling generateContent");
        let mut images = Vec::with_capacity(usize::from(n));
        let mut replies = Vec::with_capacity(usize::from(n));
        let mut usage = None;
        let quality = job.options.quality;
        for i in 0..n {
            match self.call(&body, i).await {
                Ok(reply) => {
                    images.push(reply.image);
                    replies.push(reply.turn);
                    add_usage(&mut usage, reply.usage);
                }
                // Nothing yet: the chain decides what to do with the error.
                Err((e, billed)) if images.is_empty() => {
                    add_usage(&mut usage, billed);
                    return Billed {
                        result: Err(e),
                        cost_micros: self.prices.cost(usage, quality, "auto", 0),
                    };
                }
                // Deliver what exists; the job is charged per image delivered.
                Err((e, billed)) => {
                    add_usage(&mut usage, billed);
                    tracing::warn!(backend = %self.name, got = i, asked = n, error = %e,
                        "stopping early, delivering the images made so far");
                    break;
                }
            }
        }
        let continuation =
            turns::continuation(&self.name, history.unwrap_or_default(), user, replies);
        let cost_micros = self.prices.cost(usage, quality, "auto", images.len());
        Billed {
            result: Ok(BackendOutput {
                images,
                cost_micros,
                usage,
                backend: self.name.clone(),
                continuation: Some(continuation),
            }),
            cost_micros,
        }
    }
}
