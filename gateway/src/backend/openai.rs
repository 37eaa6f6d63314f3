//! The OpenAI Images API backend (and any compatible provider by base URL):
//! generations as JSON, edits as multipart, optional SSE streaming of
//! partial images, images inline (`b64_json`) or by URL, cost from `usage`.

use std::time::Duration;

use async_trait::async_trait;
use easel_shared::config::{BackendConfig, ResolvedCaps};
use easel_shared::render::{Shape, SizeRefusal};
use easel_shared::secret::Secret;
use tokio::sync::mpsc;

use super::http::{self, read_capped, sniff_mime, transport_error};
use super::model_check::{ModelCheckError, ModelInfo};
use super::price::PriceTable;
use super::sizes::check_exact;
use super::{
    BackendError, BackendEvent, BackendOutput, Capabilities, ImageBackend, ImageData, ImageJob,
};

mod models;
mod request;
mod response;
mod stream;

use request::{edit_form, generation_body};
use response::{Parsed, map_error, parse_images};

// What the Responses backend (`backend::openai_responses`) shares with this
// one: the request fields, error mapping, usage and SSE reading.
pub(super) use request::{ModelSettings, Resolved};
pub(super) use response::{ErrorDetail, ImageRef, WireUsage, decode_b64, stream_error};
pub(super) use stream::{SseDecoder, SseEvent, forward_partial};

/// The public endpoint, used when no base URL is configured.
pub const DEFAULT_BASE_URL: &str = "https://api.openai.com/v1";

/// Most bytes accepted in a non-streaming JSON answer (ten 4K PNGs in base64).
const MAX_JSON_BYTES: u64 = 512 * 1024 * 1024;

/// Longest side worth sending as an edit input.
const INPUT_LONG_SIDE: u32 = 1536;

/// A non-2xx answer, kept whole.
#[derive(Debug)]
pub(super) struct Refused {
    /// The HTTP status.
    pub(super) status: u16,
    /// Its headers (`retry-after`).
    pub(super) headers: reqwest::header::HeaderMap,
    /// The error body (capped).
    pub(super) body: bytes::Bytes,
}

/// An OpenAI-compatible image backend.
#[derive(Debug)]
pub struct OpenAiBackend {
    name: String,
    client: reqwest::Client,
    base_url: String,
    api_key: Secret,
    organization: Option<String>,
    project: Option<String>,
    model: ModelSettings,
    /// Whether edits take a mask (capability table).
    mask: bool,
    prices: PriceTable,
    request_timeout: Duration,
    download_max_bytes: u64,
    download_timeout: Duration,
}

impl OpenAiBackend {
    /// Builds the backend and its HTTP client from config and the model's
    /// resolved capabilities (`BackendsConfig::caps`).
    pub fn new(
        config: &BackendConfig,
        prices: PriceTable,
        caps: &ResolvedCaps,
    ) -> Result<Self, String> {
        let base = http::base_url(config, DEFAULT_BASE_URL)?;
        Ok(Self {
            name: config.name.clone(),
            client: http::client(config.connect_timeout, config.request_timeout)?,
            base_url: base.to_owned(),
            api_key: config.api_key.clone(),
            organization: config.organization.clone(),
            project: config.project.clone(),
            model: ModelSettings {
                model: config.model.clone(),
                size_rule: caps.size_rule,
                max_inputs: caps.max_inputs.min(16),
                input_fidelity: config.input_fidelity.clone(),
                moderation: config.moderation.clone(),
                partial_images: if caps.streaming {
                    config.partial_images.min(3)
                } else {
                    0
                },
                output_compression: config.output_compression,
                qualities: caps.qualities.clone(),
                transparent: caps.transparent,
                takes_input_fidelity: caps.input_fidelity,
            },
            mask: caps.mask,
            prices,
            request_timeout: config.request_timeout,
            download_max_bytes: config.download_max_bytes,
            download_timeout: config.download_timeout,
        })
    }

    /// The model settings requests are shaped with.
    pub(super) fn settings(&self) -> &ModelSettings {
        &self.model
    }

    /// The API key, for scrubbing it out of upstream text.
    pub(super) fn secret(&self) -> &str {
        self.api_key.expose()
    }

    /// The whole-request timeout (reported by a timed-out read).
    pub(super) fn request_timeout(&self) -> Duration {
        self.request_timeout
    }

    pub(super) fn post(&self, path: &str) -> reqwest::RequestBuilder {
        self.request(reqwest::Method::POST, path)
    }

    /// A request to `{base}{path}` with the key and the optional
    /// organization and project headers.
    fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        let mut req = self
            .client
            .request(method, format!("{}{path}", self.base_url))
            .bearer_auth(self.api_key.expose());
        if let Some(org) = &self.organization {
            req = req.header("OpenAI-Organization", org);
        }
        if let Some(project) = &self.project {
            req = req.header("OpenAI-Project", project);
        }
        req
    }

    /// Sends the request; a non-2xx answer becomes its error kind.
    async fn send(&self, job: &ImageJob, r: &Resolved) -> Result<reqwest::Response, BackendError> {
        let req = if job.inputs.is_empty() {
            self.post("/images/generations")
                .json(&generation_body(job, &self.model, r))
        } else {
            let form = edit_form(job, &self.model, r)
                .map_err(|e| BackendError::Rejected(format!("bad input image type: {e}")))?;
            self.post("/images/edits").multipart(form)
        };
        match self.execute(req).await? {
            Ok(resp) => Ok(resp),
            Err(refused) => Err(self.map_refused(&refused)),
        }
    }

    /// Sends a request: a 2xx answer, or the refusal whole (so a caller can
    /// read its code before it becomes an error kind); transport failures
    /// are errors at once.
    pub(super) async fn execute(
        &self,
        req: reqwest::RequestBuilder,
    ) -> Result<Result<reqwest::Response, Refused>, BackendError> {
        let resp = req
            .send()
            .await
            .map_err(|e| transport_error(&e, self.request_timeout))?;
        let status = resp.status();
        if status.is_success() {
            return Ok(Ok(resp));
        }
        let headers = resp.headers().clone();
        // The error body is small; a huge or broken one still yields the status.
        let body = read_capped(resp, 64 * 1024, self.request_timeout)
            .await
            .unwrap_or_default();
        Ok(Err(Refused {
            status: status.as_u16(),
            headers,
            body,
        }))
    }

    /// The error kind of a refusal (rules as the official SDK retries).
    pub(super) fn map_refused(&self, refused: &Refused) -> BackendError {
        map_error(
            refused.status,
            &refused.headers,
            &refused.body,
            self.api_key.expose(),
        )
    }

    /// Fetches an image the provider answered with by URL (no credentials sent).
    async fn download(&self, url: &str) -> Result<bytes::Bytes, BackendError> {
        if !(url.starts_with("https://") || url.starts_with("http://")) {
            return Err(BackendError::BadResponse("image URL is not http(s)".into()));
        }
        let resp = self
            .client
            .get(url)
            .timeout(self.download_timeout)
            .send()
            .await
            .map_err(|e| transport_error(&e, self.download_timeout))?;
        if !resp.status().is_success() {
            return Err(BackendError::BadResponse(format!(
                "image download failed with HTTP {}",
                resp.status().as_u16()
            )));
        }
        read_capped(resp, self.download_max_bytes, self.download_timeout).await
    }

    async fn materialize(
        &self,
        image: ImageRef,
        fallback_mime: &str,
    ) -> Result<ImageData, BackendError> {
        let bytes = match image {
            ImageRef::Inline(bytes) => bytes,
            ImageRef::Url(url) => self.download(&url).await?,
        };
        if bytes.is_empty() {
            return Err(BackendError::BadResponse("empty image".into()));
        }
        let mime = sniff_mime(&bytes, fallback_mime);
        Ok(ImageData { bytes, mime })
    }
}

#[async_trait]
impl ImageBackend for OpenAiBackend {
    fn name(&self) -> &str {
        &self.name
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            max_inputs: self.model.max_inputs,
            mask: self.mask,
            transparent: self.model.transparent,
            streaming: self.model.partial_images > 0,
            input_long_side: INPUT_LONG_SIDE,
        }
    }

    fn check_shape(&self, shape: Shape) -> Result<(), SizeRefusal> {
        check_exact(shape, self.model.size_rule.as_ref())
    }

    async fn check_model(&self) -> Result<ModelInfo, ModelCheckError> {
        self.fetch_model().await
    }

    async fn list_image_models(&self) -> Result<Vec<String>, ModelCheckError> {
        self.fetch_image_models().await
    }

    fn estimate_micros(&self, job: &ImageJob) -> u64 {
        let r = Resolved::new(&job.options, &self.model);
        self.prices.estimate(
            job.options.quality,
            &r.size,
            u64::from(r.n),
            job.inputs.len(),
        )
    }

    async fn generate(
        &self,
        job: &ImageJob,
        events: &mpsc::Sender<BackendEvent>,
    ) -> Result<BackendOutput, BackendError> {
        let r = Resolved::new(&job.options, &self.model);
        tracing::debug!(backend = %self.name, model = %self.model.model, size = %r.size,
            quality = r.quality, n = r.n, inputs = job.inputs.len(), stream = r.stream,
            "calling the images API");
        let resp = self.send(job, &r).await?;
        let Parsed { images, usage } = if r.stream {
            let (image, usage) = stream::read_stream(
                resp,
                events,
                r.mime(),
                self.api_key.expose(),
                self.request_timeout,
            )
            .await?;
            Parsed {
                images: vec![image],
                usage,
            }
        } else {
            let body = read_capped(resp, MAX_JSON_BYTES, self.request_timeout).await?;
            parse_images(&body)?
        };
        let mut out = Vec::with_capacity(images.len());
        for image in images.into_iter().take(usize::from(r.n)) {
            out.push(self.materialize(image, r.mime()).await?);
        }
        if out.len() < usize::from(r.n) {
            tracing::warn!(backend = %self.name, asked = r.n, got = out.len(), "fewer images than asked");
        }
        let cost_micros = self
            .prices
            .cost(usage, job.options.quality, &r.size, out.len());
        Ok(BackendOutput {
            images: out,
            cost_micros,
            usage,
            backend: self.name.clone(),
            continuation: None,
        })
    }
}
