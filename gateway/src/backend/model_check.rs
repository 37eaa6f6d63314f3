//! The model check: does each configured backend's model still exist for
//! its key, and when will the provider shut it down?
//!
//! Semantics (the rules every caller relies on):
//! - One report per configured backend, in chain order, each naming its
//!   config key (`backends.chain[i].model`).
//! - A backend answers through [`ImageBackend::check_model`]: OpenAI and
//!   compatible providers with `GET {base}/models/{model}` (and
//!   `GET {base}/models`, filtered to image models, to say what the key can
//!   use instead); Gemini with `models.get` and `models.list` (filtered to
//!   image models that take `generateContent`).
//! - The shutdown date is, in order: `backends.retirements` in the config,
//!   the provider's own (OpenAI reports `shutdown_date`; Gemini reports
//!   none), then the built-in table [`RETIREMENTS`]. A date on or before
//!   today makes the model [`ModelVerdict::Retired`].
//! - Start-up (`InProcessGateway::open`): `Unknown`, `Retired` and
//!   `KeyRefused` stop it (the binaries exit 64) with the key and the
//!   usable models; `Unreachable` only warns (a provider outage must not
//!   stop the bot); a shutdown ahead warns. `skip_model_check = true`
//!   makes a backend `Skipped` (providers without a models route).
//! - Daily, in the gateway's upkeep ([`watch`]): the same check; admins are
//!   told 14 days and 1 day before a shutdown (once each per process), and
//!   once when a model turns unknown or retired, whose backend is then
//!   skipped (its breaker forced open) so the fallback serves.
//! - At run time, a `model_not_found` answer does the same for that
//!   backend (see `chain`); the user is charged nothing.

use easel_shared::config::{BackendConfig, BackendsConfig};
use easel_shared::date::CalendarDate;

use super::{ImageBackend, build_backend};
use crate::settings::Env;

pub mod watch;

/// Announced shutdowns of image models whose provider reports no date.
/// Sources, read 2026-12-05: OpenAI's deprecations page
/// (developers.openai.com/api/docs/deprecations) and Google's
/// (ai.google.dev/gemini-api/docs/deprecations). Override or extend with
/// `[backends.retirements]`.
pub const RETIREMENTS: &[(&str, &str)] = &[
    ("dall-e-2", "2026-05-12"),
    ("dall-e-3", "2026-05-12"),
    ("gpt-image-1", "2026-10-23"),
    ("gpt-image-1-mini", "2026-12-01"),
    ("gpt-image-1.5", "2026-12-01"),
    ("gpt-image-1.5-2025-12-16", "2026-12-01"),
    ("chatgpt-image-latest", "2026-12-01"),
    ("gemini-2.5-flash-image", "2026-10-02"),
    ("gemini-3-pro-image-preview", "2026-06-25"),
    ("gemini-3.1-flash-image-preview", "2026-06-25"),
];

/// What a provider said about a model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelInfo {
    /// The model's id as the provider names it.
    pub id: String,
    /// The provider's announced shutdown day, if it reports one.
    pub shutdown: Option<CalendarDate>,
}

/// Why a model check did not confirm the model.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ModelCheckError {
    /// The provider does not know the model (retired, misspelt, or not for this key).
    #[error("unknown model")]
    NotFound {
        /// Image models the key can use (may be empty if listing failed).
        usable: Vec<String>,
    },
    /// The provider refused the key.
    #[error("API key refused: {0}")]
    KeyRefused(String),
    /// No usable answer (network, 5xx, no models route).
    #[error("unreachable: {0}")]
    Unreachable(String),
    /// This backend has no way to check.
    #[error("not supported")]
    Unsupported,
}

/// The outcome for one backend.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModelVerdict {
    /// Usable; with its shutdown day if one is announced.
    Available {
        /// The announced shutdown day, if any.
        shutdown: Option<CalendarDate>,
    },
    /// Its shutdown day has come.
    Retired {
        /// The shutdown day.
        shutdown: CalendarDate,
        /// Image models the key can use.
        usable: Vec<String>,
    },
    /// The provider does not know it.
    Unknown {
        /// Image models the key can use.
        usable: Vec<String>,
    },
    /// The key was refused (or is missing).
    KeyRefused(String),
    /// The provider could not be asked.
    Unreachable(String),
    /// `skip_model_check = true`, or the backend cannot check.
    Skipped,
}

/// One backend's model check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelReport {
    /// The backend's configured name.
    pub backend: String,
    /// Where its model is configured, e.g. `backends.chain[0].model`.
    pub config_key: String,
    /// The configured model.
    pub model: String,
    /// What the check found.
    pub verdict: ModelVerdict,
}

impl ModelReport {
    /// Why this report must stop a start-up, in words for the operator;
    /// `None` if it need not.
    pub fn blocks_start(&self) -> Option<String> {
        let (key, model) = (&self.config_key, &self.model);
        let list = |usable: &[String]| {
            if usable.is_empty() {
                "the provider listed no image models for this key".to_owned()
            } else {
                format!("image models this key can use: {}", usable.join(", "))
            }
        };
        match &self.verdict {
            ModelVerdict::Unknown { usable } => Some(format!(
                "{key}: the provider does not know model `{model}` (retired, misspelt or not \
                 available to this key); {}",
                list(usable)
            )),
            ModelVerdict::Retired { shutdown, usable } => Some(format!(
                "{key}: model `{model}` was shut down on {shutdown}; {}",
                list(usable)
            )),
            ModelVerdict::KeyRefused(why) => Some(format!(
                "{key}: the provider refused the API key of backend `{}` ({why})",
                self.backend
            )),
            ModelVerdict::Available { .. }
            | ModelVerdict::Unreachable(_)
            | ModelVerdict::Skipped => None,
        }
    }
}

/// The shutdown day of `model`: the config's, else the provider's, else
/// the built-in table's.
pub fn shutdown_of(
    model: &str,
    reported: Option<CalendarDate>,
    config: &BackendsConfig,
) -> Option<CalendarDate> {
    config
        .retirements
        .get(model)
        .copied()
        .or(reported)
        .or_else(|| {
            RETIREMENTS
                .iter()
                .find(|(m, _)| *m == model)
                .and_then(|(_, d)| CalendarDate::parse(d).ok())
        })
}

/// Checks every configured backend's model (today by the system clock).
/// Used by `easel doctor` and at start-up.
pub async fn check_backends(config: &BackendsConfig, env: &dyn Env) -> Vec<ModelReport> {
    let today = CalendarDate::of(crate::ledger::Clock::real().now());
    check_backends_on(config, env, today).await
}

/// [`check_backends`] with "today" given (the gateway passes its clock's).
pub async fn check_backends_on(
    config: &BackendsConfig,
    env: &dyn Env,
    today: CalendarDate,
) -> Vec<ModelReport> {
    let mut reports = Vec::with_capacity(config.chain.len());
    for (i, b) in config.chain.iter().enumerate() {
        let verdict = if b.skip_model_check {
            ModelVerdict::Skipped
        } else {
            match build_backend(b, config, env) {
                Ok(backend) => check_one(&*backend, b, config, today).await,
                Err(e) => ModelVerdict::KeyRefused(e.problem),
            }
        };
        reports.push(report(i, b, verdict));
    }
    reports
}

/// The report of backend `i` of the chain.
pub(crate) fn report(i: usize, b: &BackendConfig, verdict: ModelVerdict) -> ModelReport {
    ModelReport {
        backend: b.name.clone(),
        config_key: format!("backends.chain[{i}].model"),
        model: b.model.clone(),
        verdict,
    }
}

/// Asks one built backend about its model and applies the shutdown rules.
pub(crate) async fn check_one(
    backend: &dyn ImageBackend,
    b: &BackendConfig,
    config: &BackendsConfig,
    today: CalendarDate,
) -> ModelVerdict {
    if b.skip_model_check {
        return ModelVerdict::Skipped;
    }
    match backend.check_model().await {
        Ok(info) => match shutdown_of(&b.model, info.shutdown, config) {
            Some(day) if day <= today => ModelVerdict::Retired {
                shutdown: day,
                usable: backend
                    .list_image_models()
                    .await
                    .unwrap_or_default()
                    .into_iter()
                    .filter(|m| shutdown_of(m, None, config).is_none_or(|d| d > today))
                    .collect(),
            },
            shutdown => ModelVerdict::Available { shutdown },
        },
        Err(ModelCheckError::NotFound { usable }) => ModelVerdict::Unknown { usable },
        Err(ModelCheckError::KeyRefused(why)) => ModelVerdict::KeyRefused(why),
        Err(ModelCheckError::Unreachable(why)) => ModelVerdict::Unreachable(why),
        Err(ModelCheckError::Unsupported) => ModelVerdict::Skipped,
    }
}

/// Most bytes of one models answer (a full list is a few hundred entries).
const MAX_MODELS_BYTES: u64 = 4 * 1024 * 1024;

/// Longest wait for one models answer: a provider that accepts the
/// connection and never answers must not hold the start-up for minutes.
const CHECK_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(20);

/// Sends a models-route request: the status and body, or `Unreachable`
/// when no complete answer came in time.
pub(crate) async fn fetch(
    request: reqwest::RequestBuilder,
    timeout: std::time::Duration,
) -> Result<(u16, bytes::Bytes), ModelCheckError> {
    let timeout = timeout.min(CHECK_TIMEOUT);
    let resp = request
        .timeout(timeout)
        .send()
        .await
        .map_err(|e| ModelCheckError::Unreachable(format!("no answer: {e}")))?;
    let status = resp.status().as_u16();
    let body = super::http::read_capped(resp, MAX_MODELS_BYTES, timeout)
        .await
        .map_err(|e| ModelCheckError::Unreachable(e.to_string()))?;
    Ok((status, body))
}

/// Logs what a start-up should know and returns the reasons to stop.
pub fn startup_verdict(reports: &[ModelReport], today: CalendarDate) -> Vec<String> {
    let mut blocking = Vec::new();
    for r in reports {
        match &r.verdict {
            ModelVerdict::Available {
                shutdown: Some(day),
            } => tracing::warn!(backend = %r.backend, model = %r.model, key = %r.config_key,
                shutdown = %day, days_left = today.days_until(*day),
                "this model has an announced shutdown date: plan the switch"),
            ModelVerdict::Unreachable(why) => tracing::warn!(backend = %r.backend,
                model = %r.model, reason = %why,
                "could not check the model (starting anyway; it is checked again daily)"),
            ModelVerdict::Skipped => tracing::info!(backend = %r.backend, "model check skipped"),
            _ => {}
        }
        blocking.extend(r.blocks_start());
    }
    blocking
}
