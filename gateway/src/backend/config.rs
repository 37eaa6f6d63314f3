//! Turning the `[backends]` config section into live backends and the chain.

use std::sync::Arc;

use easel_shared::config::{BackendConfig, BackendKind, BackendsConfig};

use easel_shared::secret::Secret;

use super::ImageBackend;
use super::chain::BackendChain;
use super::gemini::GeminiBackend;
use super::openai::OpenAiBackend;
use super::openai_responses::OpenAiResponsesBackend;
use super::price::PriceTable;
use crate::settings::Env;

/// A backend could not be built; names the config entry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("backend `{name}`: {problem}")]
pub struct BuildError {
    /// The backend's configured name.
    pub name: String,
    /// What went wrong.
    pub problem: String,
}

/// Builds one backend, with its model's prices from `config.prices` and its
/// key from the config or the environment variable it names.
pub fn build_backend(
    backend: &BackendConfig,
    config: &BackendsConfig,
    env: &dyn Env,
) -> Result<Arc<dyn ImageBackend>, BuildError> {
    let prices = PriceTable::new(config.prices.get(&backend.model).cloned());
    let err = |problem: String| BuildError {
        name: backend.name.clone(),
        problem,
    };
    let mut resolved = backend.clone();
    if resolved.api_key.is_empty() {
        match &backend.api_key_env {
            Some(var) => {
                let key = env.var(var).filter(|k| !k.is_empty());
                let key =
                    key.ok_or_else(|| err(format!("environment variable {var} is not set")))?;
                resolved.api_key = Secret::new(key);
            }
            None => tracing::warn!(backend = %backend.name, "no API key configured"),
        }
    }
    let backend = &resolved;
    if prices == PriceTable::default() {
        tracing::warn!(backend = %backend.name, model = %backend.model,
            "no prices for this model: its spend counts as 0");
    }
    let caps = config.caps(backend);
    Ok(match backend.kind {
        BackendKind::OpenAi => Arc::new(OpenAiBackend::new(backend, prices, &caps).map_err(err)?),
        BackendKind::Gemini => Arc::new(GeminiBackend::new(backend, prices, caps).map_err(err)?),
        BackendKind::OpenAiResponses => {
            // The tool's image is billed at the image model's prices and
            // shaped by the image model's capabilities.
            let image_prices = PriceTable::new(config.prices.get(&backend.image_model).cloned());
            let image_caps = config.caps(&OpenAiResponsesBackend::image_backend(backend));
            Arc::new(
                OpenAiResponsesBackend::new(backend, prices, image_prices, &image_caps)
                    .map_err(err)?,
            )
        }
    })
}

/// Builds the whole fallback chain in configured order.
pub fn build_chain(config: &BackendsConfig, env: &dyn Env) -> Result<BackendChain, BuildError> {
    if config.chain.is_empty() {
        return Err(BuildError {
            name: "backends.chain".into(),
            problem: "configure at least one backend".into(),
        });
    }
    let backends = config
        .chain
        .iter()
        .map(|b| build_backend(b, config, env))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(
        BackendChain::new(backends, config.retry.clone(), config.breaker.clone())
            .with_models(config.chain.iter().map(|b| b.model.clone())),
    )
}
