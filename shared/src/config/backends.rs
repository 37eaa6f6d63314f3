//! The `[backends]` section: which image models to call, in which fallback
//! order, how hard to retry, and what each call costs the operator.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::ConfigError;
use super::capabilities::{ModelCaps, ResolvedCaps, resolve};
use crate::date::CalendarDate;
use crate::render::{Quality, SizeRule};
use crate::secret::Secret;

/// Image backends and the reliability layer around them.
///
/// ```toml
/// [[backends.chain]]
/// name = "openai"
/// kind = "openai"
/// model = "gpt-image-2"
/// api_key_env = "OPENAI_API_KEY"
///
/// [backends.prices."gpt-image-2"]
/// per_image = { low = { "1024x1024" = 6000, "1536x1024" = 9000 } }
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct BackendsConfig {
    /// Backends in fallback order: the first is the primary.
    pub chain: Vec<BackendConfig>,
    /// Retry and timeout policy applied to every backend of the chain.
    pub retry: RetryConfig,
    /// The per-backend circuit breaker.
    pub breaker: BreakerConfig,
    /// Prices by model name, in micro-dollars.
    pub prices: BTreeMap<String, ModelPrice>,
    /// Announced shutdown dates by model name, over the built-in table
    /// (for providers that do not report one).
    pub retirements: BTreeMap<String, CalendarDate>,
    /// The capability table by model name, over the built-in entries
    /// (`config/capabilities.rs`).
    pub models: BTreeMap<String, ModelCaps>,
}

impl BackendsConfig {
    /// Checks what types cannot: names unique, models named, retry sane.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let err = |key: String, problem: &str| ConfigError {
            key,
            problem: problem.to_owned(),
        };
        for (i, b) in self.chain.iter().enumerate() {
            let key = format!("backends.chain[{i}]");
            if b.name.is_empty() {
                return Err(err(format!("{key}.name"), "a backend needs a name"));
            }
            if self.chain[..i].iter().any(|o| o.name == b.name) {
                return Err(err(format!("{key}.name"), "backend names must be unique"));
            }
            // Models get retired; the operator names one explicitly.
            if b.model.trim().is_empty() {
                return Err(err(format!("{key}.model"), "name the model to use"));
            }
            if b.kind == BackendKind::OpenAiResponses && b.image_model.trim().is_empty() {
                return Err(err(
                    format!("{key}.image_model"),
                    "an openai-responses backend names the image model of its tool",
                ));
            }
            if b.partial_images > 3 {
                return Err(err(format!("{key}.partial_images"), "must be 0..=3"));
            }
            if b.output_compression.is_some_and(|c| c > 100) {
                return Err(err(format!("{key}.output_compression"), "must be 0..=100"));
            }
            if b.arbitrary_sizes && b.size_rule.for_aspect(1, 1).is_none() {
                return Err(err(
                    format!("{key}.size_rule"),
                    "allows no size near 1024x1024",
                ));
            }
            for r in &b.aspect_ratios {
                if parse_ratio(r).is_none() {
                    return Err(err(
                        format!("{key}.aspect_ratios"),
                        "use W:H, e.g. \"16:9\"",
                    ));
                }
            }
        }
        for (model, caps) in &self.models {
            caps.validate(&format!("backends.models.{model:?}"))?;
        }
        if self.retry.max_attempts == 0 {
            return Err(err("backends.retry.max_attempts".into(), "must be >= 1"));
        }
        if self.breaker.failures == 0 {
            return Err(err("backends.breaker.failures".into(), "must be >= 1"));
        }
        Ok(())
    }
}

/// `"16:9"` -> (16, 9); `None` if it is not two positive integers.
pub fn parse_ratio(text: &str) -> Option<(u32, u32)> {
    let (w, h) = text.trim().split_once(':')?;
    let (w, h) = (w.parse().ok()?, h.parse().ok()?);
    (w > 0 && h > 0).then_some((w, h))
}

impl BackendsConfig {
    /// What `backend` may do: the capability table resolved for its model.
    pub fn caps(&self, backend: &BackendConfig) -> ResolvedCaps {
        resolve(backend, self.models.get(&backend.model))
    }

    /// The first model of the chain without any price: a daily spend cap
    /// would count its calls as free.
    pub fn unpriced_model(&self) -> Option<&str> {
        // A Responses backend bills its image tool at the image model's prices.
        self.chain
            .iter()
            .map(|b| match b.kind {
                BackendKind::OpenAiResponses => b.image_model.as_str(),
                _ => b.model.as_str(),
            })
            .find(|model| !self.prices.get(*model).is_some_and(ModelPrice::is_priced))
    }
}

/// Which wire protocol a backend speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum BackendKind {
    /// The OpenAI Images API, or any compatible provider by base URL.
    #[default]
    OpenAi,
    /// Google's Gemini `generateContent`.
    Gemini,
    /// OpenAI's Responses API: a mainline model (`model`) with the
    /// `image_generation` tool (`image_model`), continuing a conversation
    /// with `previous_response_id` on every refine.
    #[serde(rename = "openai-responses")]
    OpenAiResponses,
}

/// The Responses API image tool's `action`: whether a turn draws anew or
/// edits the image already in the conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum ImageAction {
    /// The model decides (the API's default).
    #[default]
    Auto,
    /// Always draw a new image.
    Generate,
    /// Always edit the image in context.
    Edit,
}

impl ImageAction {
    /// The value as the API spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            ImageAction::Auto => "auto",
            ImageAction::Generate => "generate",
            ImageAction::Edit => "edit",
        }
    }
}

/// One image backend.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BackendConfig {
    /// Stable name for logs and spend accounting.
    pub name: String,
    /// Wire protocol.
    pub kind: BackendKind,
    /// API root; empty means the provider's public endpoint
    /// (`https://api.openai.com/v1`, `https://generativelanguage.googleapis.com`).
    pub base_url: String,
    /// The API key (never logged). Prefer `api_key_env`.
    pub api_key: Secret,
    /// The environment variable holding the API key when `api_key` is empty
    /// (e.g. `OPENAI_API_KEY`): keeps keys out of the file.
    pub api_key_env: Option<String>,
    /// The model, e.g. `gpt-image-2`; required (models get retired). For
    /// `openai-responses` the mainline model (e.g. `gpt-5.1`).
    pub model: String,
    /// `openai-responses` only: the image model of the `image_generation`
    /// tool (e.g. `gpt-image-2`); also the model of the Images API edit a
    /// turn falls back to when the provider forgot the conversation.
    pub image_model: String,
    /// `openai-responses` only: the tool's `action`.
    pub image_action: ImageAction,
    /// OpenAI `OpenAI-Organization` header.
    pub organization: Option<String>,
    /// OpenAI `OpenAI-Project` header.
    pub project: Option<String>,
    /// Whether the model accepts any WxH within `size_rule` (gpt-image-2);
    /// otherwise only 1024x1024, 1536x1024 and 1024x1536.
    pub arbitrary_sizes: bool,
    /// The sizes an `arbitrary_sizes` model accepts; `--size` outside it is
    /// refused before any call.
    pub size_rule: SizeRule,
    /// Gemini: the aspect ratios the model accepts (`"16:9"`); empty: the
    /// built-in list every Gemini image model takes.
    pub aspect_ratios: Vec<String>,
    /// Skip the model check (start-up and daily) for providers without a
    /// models route.
    pub skip_model_check: bool,
    /// Most input images per edit (OpenAI up to 16).
    pub max_inputs: usize,
    /// OpenAI `input_fidelity` for edits (`high` / `low`); skipped for models without it.
    pub input_fidelity: Option<String>,
    /// OpenAI `moderation` (`auto` / `low`).
    pub moderation: Option<String>,
    /// Streamed partial images (0 disables streaming; at most 3).
    pub partial_images: u8,
    /// OpenAI `output_compression` for jpeg/webp (0-100).
    pub output_compression: Option<u8>,
    /// TCP + TLS connect timeout.
    #[serde(with = "humantime_serde")]
    pub connect_timeout: Duration,
    /// Whole-request timeout (headers and body, streams included).
    #[serde(with = "humantime_serde")]
    pub request_timeout: Duration,
    /// Largest image accepted when the provider answers with a URL.
    pub download_max_bytes: u64,
    /// Timeout for downloading such an image.
    #[serde(with = "humantime_serde")]
    pub download_timeout: Duration,
}

impl Default for BackendConfig {
    fn default() -> Self {
        Self {
            name: String::new(),
            kind: BackendKind::OpenAi,
            base_url: String::new(),
            api_key: Secret::default(),
            api_key_env: None,
            model: String::new(),
            image_model: String::new(),
            image_action: ImageAction::Auto,
            organization: None,
            project: None,
            arbitrary_sizes: false,
            size_rule: SizeRule::default(),
            aspect_ratios: Vec::new(),
            skip_model_check: false,
            max_inputs: 16,
            input_fidelity: None,
            moderation: None,
            partial_images: 0,
            output_compression: None,
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(180),
            download_max_bytes: 50 * 1024 * 1024,
            download_timeout: Duration::from_secs(60),
        }
    }
}

/// Retries, backoff and the per-attempt timeout.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RetryConfig {
    /// Attempts per backend for transient faults (1 = no retry).
    pub max_attempts: u32,
    /// First backoff step; later steps double (full jitter).
    #[serde(with = "humantime_serde")]
    pub base: Duration,
    /// Longest single wait, including a provider's `retry-after`.
    #[serde(with = "humantime_serde")]
    pub cap: Duration,
    /// Most total waiting per job; a `retry-after` beyond it ends the retries.
    #[serde(with = "humantime_serde")]
    pub max_total_wait: Duration,
    /// Limit on one attempt (one upstream call, streams included).
    #[serde(with = "humantime_serde")]
    pub attempt_timeout: Duration,
}

impl Default for RetryConfig {
    fn default() -> Self {
        Self {
            max_attempts: 3,
            base: Duration::from_millis(500),
            cap: Duration::from_secs(8),
            max_total_wait: Duration::from_secs(20),
            attempt_timeout: Duration::from_secs(150),
        }
    }
}

/// The circuit breaker: `failures` in a row open it for `cool_down`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BreakerConfig {
    /// Consecutive failures that open the breaker.
    pub failures: u32,
    /// How long it stays open before one probe is let through.
    #[serde(with = "humantime_serde")]
    pub cool_down: Duration,
}

impl Default for BreakerConfig {
    fn default() -> Self {
        Self {
            failures: 5,
            cool_down: Duration::from_secs(60),
        }
    }
}

/// What one model costs, in integer micro-dollars (1 USD = 1,000,000).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct ModelPrice {
    /// Per million text input tokens (0: unknown).
    pub text_input_per_mtok: u64,
    /// Per million image input tokens (0: priced as text).
    pub image_input_per_mtok: u64,
    /// Per million output tokens (0: no token pricing, use `per_image`).
    pub output_per_mtok: u64,
    /// Per image by quality, then by size (`1024x1024`, `1536x1024`, ...).
    pub per_image: BTreeMap<Quality, BTreeMap<String, u64>>,
    /// Per image when `per_image` has no entry.
    pub default_per_image: u64,
    /// What one input image of an edit adds to the up-front estimate held
    /// against the spend cap (input image tokens are billed on top of the
    /// output; take it from the provider's pricing for your input size).
    /// 0: inputs are not estimated. The final cost always comes from usage.
    pub per_input_image: u64,
}

impl ModelPrice {
    /// Whether any price is set (token or per image).
    pub fn is_priced(&self) -> bool {
        self.output_per_mtok > 0
            || self.default_per_image > 0
            || self
                .per_image
                .values()
                .flat_map(|row| row.values())
                .any(|&p| p > 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_backend_config_never_prints_its_key() {
        let s = Secret::new("sk-live-123");
        let cfg = BackendConfig {
            api_key: s,
            ..BackendConfig::default()
        };
        assert!(!format!("{cfg:?}").contains("sk-live"));
    }

    #[test]
    fn a_backend_must_name_its_model() {
        let mut c = BackendsConfig::default();
        c.chain.push(BackendConfig {
            name: "openai".into(),
            ..BackendConfig::default()
        });
        assert_eq!(c.validate().unwrap_err().key, "backends.chain[0].model");
        c.chain[0].model = "gpt-image-2".into();
        c.validate().unwrap();
    }

    #[test]
    fn a_responses_backend_names_its_image_model() {
        let text = r#"{"chain": [{"name": "conversation", "kind": "openai-responses",
            "model": "gpt-5.1", "image_action": "edit"}]}"#;
        let mut c: BackendsConfig = serde_json::from_str(text).unwrap();
        assert_eq!(c.chain[0].kind, BackendKind::OpenAiResponses);
        assert_eq!(c.chain[0].image_action, ImageAction::Edit);
        assert_eq!(
            c.validate().unwrap_err().key,
            "backends.chain[0].image_model"
        );
        c.chain[0].image_model = "gpt-image-2".into();
        c.validate().unwrap();
        assert_eq!(c.unpriced_model(), Some("gpt-image-2"));
    }
}
