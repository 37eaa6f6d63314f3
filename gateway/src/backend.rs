//! Image backends: the port every image model sits behind.
//!
//! A backend turns one prepared request (prompt, options, input images) into
//! images, reporting partial images as it goes. It knows nothing of users,
//! quotas or platforms. Retries, the circuit breaker and the fallback chain
//! wrap backends from outside (see `backend::chain`), all inside the one
//! reservation the job holds, so a retry never charges again.
//!
//! Map: [`openai`] (request building, response parsing and SSE streaming in
//! its submodules), [`openai_responses`] (multi-turn through the Responses
//! API, on `openai`'s HTTP and parsing) and [`gemini`] speak to providers; [`retry`] says which
//! failures are retried and how long to wait; [`breaker`] keeps a failing
//! backend out for a cool-down; [`chain`] combines them; [`price`] turns
//! usage or the price table into micro-dollars; [`config`] builds it all from
//! the `[backends]` config section. Invariant: API keys live in
//! `easel_shared::secret::Secret` and leave it only as a request header.

use std::time::Duration;

use async_trait::async_trait;
use easel_shared::render::{RenderOptions, Shape, SizeRefusal};
use easel_shared::results::Continuation;
use tokio::sync::mpsc;

use crate::imaging::PreparedImage;

pub mod breaker;
pub mod chain;
pub mod config;
pub mod gemini;
mod http;
pub mod model_check;
pub mod openai;
pub mod openai_responses;
pub mod price;
pub mod retry;
pub mod sizes;

pub use chain::BackendChain;
pub use config::{BuildError, build_backend, build_chain};
pub use model_check::{ModelCheckError, ModelInfo, ModelReport, ModelVerdict, check_backends};

/// One request as a backend sees it.
#[derive(Debug, Clone)]
pub struct ImageJob {
    /// The user's words, whole.
    pub prompt: String,
    /// Shape, quality, background, format, n.
    pub options: RenderOptions,
    /// Input images for an edit (empty: generate from text).
    pub inputs: Vec<PreparedImage>,
    /// Optional mask for the first input (PNG, transparent where to edit).
    pub mask: Option<PreparedImage>,
    /// An opaque, stable, non-reversible tag for the end user (abuse reports
    /// upstream); never the raw platform id.
    pub user_tag: String,
    /// The conversation this turn continues (the parent result's
    /// continuation), if any. A backend uses only its own (same name, same
    /// kind) and otherwise edits `inputs` as for a fresh request; see
    /// [`Continuation`] for the fallback rule.
    pub continuation: Option<Continuation>,
}

/// An image exactly as the provider returned it: the one image type of
/// Easel (backends, job events and the result store share it). The
/// provider's bytes stay untouched (C2PA provenance survives only this way).
pub use easel_shared::job::ImageData;
/// Token counts a provider reported (see [`price`]).
pub use easel_shared::job::Usage;

/// Something worth telling the user while a backend works.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BackendEvent {
    /// A low-fidelity preview from a streaming backend.
    Partial {
        /// Which image of the request (0-based).
        image: u32,
        /// The preview.
        preview: ImageData,
    },
    /// The backend retried after a transient fault (for progress text and logs).
    Retrying {
        /// Attempt number about to start (2 = first retry).
        attempt: u32,
        /// How long it waits first.
        after: Duration,
    },
}

/// What a finished backend call produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackendOutput {
    /// Final images (may be fewer than asked).
    pub images: Vec<ImageData>,
    /// What the call cost the operator, from the provider's usage or the price table.
    pub cost_micros: u64,
    /// The tokens the provider reported for this call (summed over its
    /// requests when it made several), if it reported any.
    pub usage: Option<Usage>,
    /// Which backend served it (after fallbacks).
    pub backend: String,
    /// How to continue the conversation from these images (stored with the
    /// result); `None` from backends without multi-turn state.
    pub continuation: Option<Continuation>,
}

/// A finished job with everything its upstream attempts cost, failed ones
/// included: the provider bills every attempt that reported usage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Billed {
    /// The images, or why there are none.
    pub result: Result<BackendOutput, BackendError>,
    /// What all attempts cost the operator, in micro-dollars.
    pub cost_micros: u64,
}

/// What a backend supports, so requests are shaped before they are sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Capabilities {
    /// Most input images per edit (0: no editing).
    pub max_inputs: usize,
    /// Whether a mask is accepted.
    pub mask: bool,
    /// Whether a transparent background can be asked for.
    pub transparent: bool,
    /// Whether partial images are streamed.
    pub streaming: bool,
    /// Longest side worth sending as input; larger inputs are downscaled first.
    pub input_long_side: u32,
}

/// Why a backend call failed. Each kind has one user-facing meaning and one
/// retry rule; the chain decides, the job runner renders.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BackendError {
    /// 429 or 5xx or overloaded: worth retrying after a while.
    #[error("upstream busy (status {status})")]
    Busy {
        /// HTTP status seen.
        status: u16,
        /// The provider's `retry-after(-ms)`, if given.
        retry_after: Option<Duration>,
    },
    /// Bad credentials, exhausted provider quota, forbidden: final, alert admins.
    #[error("upstream unavailable: {0}")]
    Unavailable(String),
    /// The provider's safety system refused the prompt or images: final.
    #[error("blocked by the provider's safety system: {reason}")]
    Blocked {
        /// The provider's words (e.g. `safety_violations=[...]`, `IMAGE_SAFETY`).
        reason: String,
    },
    /// The provider answered but no image came back (text only, malformed
    /// body, cut stream): one retry, then fail.
    #[error("no usable image in the response: {0}")]
    BadResponse(String),
    /// The request itself was refused (400 other than safety): final.
    #[error("request refused: {0}")]
    Rejected(String),
    /// No answer in time.
    #[error("timed out after {0:?}")]
    Timeout(Duration),
    /// The circuit breaker is open for this backend.
    #[error("circuit open")]
    CircuitOpen,
    /// The provider says the model does not exist (retired, or this key
    /// lost access): this backend is out until the next model check.
    #[error("model not found: {0}")]
    ModelGone(String),
}

/// An image model behind an API.
#[async_trait]
pub trait ImageBackend: Send + Sync + 'static {
    /// A stable name for logs, spend accounting and config (`openai`, `gemini`, ...).
    fn name(&self) -> &str;

    /// What this backend supports.
    fn capabilities(&self) -> Capabilities;

    /// Estimated cost of a job before it runs (held against the spend cap).
    fn estimate_micros(&self, job: &ImageJob) -> u64;

    /// Runs one attempt. Progress goes to `events`; a closed receiver is not an error.
    async fn generate(
        &self,
        job: &ImageJob,
        events: &mpsc::Sender<BackendEvent>,
    ) -> Result<BackendOutput, BackendError>;

    /// Refuses a shape the model would refuse, before anything is reserved
    /// or sent (an exact `--size` outside an arbitrary-size model's rule).
    fn check_shape(&self, _shape: Shape) -> Result<(), SizeRefusal> {
        Ok(())
    }

    /// Asks the provider whether the model exists for this key, and when
    /// it shuts down (see [`model_check`] for the rules).
    async fn check_model(&self) -> Result<ModelInfo, ModelCheckError> {
        Err(ModelCheckError::Unsupported)
    }

    /// The image models this key can use, by the provider's list.
    async fn list_image_models(&self) -> Result<Vec<String>, ModelCheckError> {
        Err(ModelCheckError::Unsupported)
    }

    /// Runs the job and reports what it cost even when it failed. The
    /// default knows only a success's cost; a backend whose failures can
    /// report usage, and the chain (which sums its attempts), override it.
    async fn generate_billed(&self, job: &ImageJob, events: &mpsc::Sender<BackendEvent>) -> Billed {
        let result = self.generate(job, events).await;
        let cost_micros = result.as_ref().map_or(0, |out| out.cost_micros);
        Billed {
            result,
            cost_micros,
        }
    }
}
