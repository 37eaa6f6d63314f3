//! Turning the `[backends]` config section into live backends and the chain.

use std::sync::Arc;

use easel_shared::config::{BackendConfig, BackendKind, BackendsConfig};

use super::ImageBackend;
use super::chain::BackendChain;
use super::gemini::GeminiBackend;
use super::openai::OpenAiBackend;
use super::price::PriceTable;

/// A backend could not be built; names the config entry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("backend `{name}`: {problem}")]
pub struct BuildError {
    /// The backend's configured name.
    pub name: String,
    /// What went wrong.
    pub problem: String,
}

/// Builds one backend, with its model's prices from `config.prices`.
pub fn build_backend(
    backend: &BackendConfig,
    config: &BackendsConfig,
) -> Result<Arc<dyn ImageBackend>, BuildError> {
    let prices = PriceTable::new(config.prices.get(&backend.model).cloned());
    let err = |problem: String| BuildError {
        name: backend.name.clone(),
        problem,
    };
    if backend.api_key.is_empty() {
        tracing::warn!(backend = %backend.name, "no API key configured");
    }
    if prices == PriceTable::default() {
        tracing::warn!(backend = %backend.name, model = %backend.model,
            "no prices for this model: its spend counts as 0");
    }
    Ok(match backend.kind {
        BackendKind::OpenAi => Arc::new(OpenAiBackend::new(backend, prices).map_err(err)?),
        BackendKind::Gemini => Arc::new(GeminiBackend::new(backend, prices).map_err(err)?),
    })
}

/// Builds the whole fallback chain in configured order.
pub fn build_chain(config: &BackendsConfig) -> Result<BackendChain, BuildError> {
    if config.chain.is_empty() {
        return Err(BuildError {
            name: "backends.chain".into(),
            problem: "configure at least one backend".into(),
        });
    }
    let backends = config
        .chain
        .iter()
        .map(|b| build_backend(b, config))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(BackendChain::new(
        backends,
        config.retry.clone(),
        config.breaker.clone(),
    ))
}
