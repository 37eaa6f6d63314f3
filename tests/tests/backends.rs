//! The image backends and their reliability layer, driven through the real
//! backend code against the fake OpenAI and Gemini servers by base URL: every
//! row of the fault table, the wire format of requests, streaming, byte
//! identity of originals, cost, and that API keys never reach logs.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use bytes::Bytes;
use easel_gateway::backend::{
    BackendChain, BackendError, BackendEvent, BackendOutput, ImageBackend, ImageJob, build_chain,
};
use easel_gateway::imaging::PreparedImage;
use easel_shared::config::{
    BackendConfig, BackendKind, BackendsConfig, BreakerConfig, ModelPrice, RetryConfig,
};
use easel_shared::render::{Quality, RenderOptions, Shape};
use easel_shared::secret::Secret;
use easel_tests::fake_gemini::FakeGemini;
use easel_tests::fake_openai::FakeOpenAi;
use tokio::sync::mpsc;

#[path = "backends/faults.rs"]
mod faults;
#[path = "backends/gemini.rs"]
mod gemini;
#[path = "backends/openai.rs"]
mod openai;
#[path = "backends/responses.rs"]
mod responses;
#[path = "backends/secrets.rs"]
mod secrets;

/// The key both fakes accept; tests look for it in logs and errors.
const KEY: &str = easel_tests::fake_openai::API_KEY;

fn openai(fake: &FakeOpenAi) -> BackendConfig {
    BackendConfig {
        name: "openai".into(),
        kind: BackendKind::OpenAi,
        base_url: fake.base_url(),
        api_key: Secret::new(KEY),
        model: "gpt-image-1.5".into(),
        organization: Some("org-test".into()),
        project: Some("proj-test".into()),
        request_timeout: Duration::from_secs(20),
        ..BackendConfig::default()
    }
}

fn gemini(fake: &FakeGemini) -> BackendConfig {
    BackendConfig {
        name: "gemini".into(),
        kind: BackendKind::Gemini,
        base_url: fake.base_url(),
        api_key: Secret::new(easel_tests::fake_gemini::API_KEY),
        model: "gemini-2.5-flash-image".into(),
        max_inputs: 3,
        request_timeout: Duration::from_secs(20),
        ..BackendConfig::default()
    }
}

/// Tiny delays so retry tests take milliseconds.
fn retry() -> RetryConfig {
    RetryConfig {
        max_attempts: 3,
        base: Duration::from_millis(1),
        cap: Duration::from_millis(20),
        max_total_wait: Duration::from_secs(1),
        attempt_timeout: Duration::from_secs(20),
    }
}

fn prices() -> BTreeMap<String, ModelPrice> {
    let per_image = BTreeMap::from([(
        Quality::Low,
        BTreeMap::from([("1024x1024".into(), 11_000), ("1536x1024".into(), 16_000)]),
    )]);
    BTreeMap::from([
        (
            "gpt-image-1.5".into(),
            ModelPrice {
                text_input_per_mtok: 5_000_000,
                image_input_per_mtok: 10_000_000,
                output_per_mtok: 40_000_000,
                per_image: per_image.clone(),
                default_per_image: 0,
                per_input_image: 0,
            },
        ),
        (
            "gemini-2.5-flash-image".into(),
            ModelPrice {
                text_input_per_mtok: 300_000,
                output_per_mtok: 30_000_000,
                default_per_image: 39_000,
                ..ModelPrice::default()
            },
        ),
        (
            "priced-per-image".into(),
            ModelPrice {
                per_image,
                ..ModelPrice::default()
            },
        ),
    ])
}

fn chain_with(
    backends: Vec<BackendConfig>,
    retry: RetryConfig,
    breaker: BreakerConfig,
) -> BackendChain {
    build_chain(
        &BackendsConfig {
            chain: backends,
            retry,
            breaker,
            prices: prices(),
            ..BackendsConfig::default()
        },
        &HashMap::new(),
    )
    .expect("chain builds")
}

fn chain(backends: Vec<BackendConfig>) -> BackendChain {
    chain_with(backends, retry(), BreakerConfig::default())
}

fn job(options: RenderOptions) -> ImageJob {
    ImageJob {
        prompt: "a lighthouse at dawn".into(),
        options,
        inputs: Vec::new(),
        mask: None,
        user_tag: "u-3f9a".into(),
        continuation: None,
    }
}

fn low(n: u8) -> RenderOptions {
    RenderOptions {
        quality: Quality::Low,
        shape: Shape::Aspect { w: 1, h: 1 },
        n,
        ..RenderOptions::default()
    }
}

async fn run(
    backend: &dyn ImageBackend,
    job: &ImageJob,
) -> (Result<BackendOutput, BackendError>, Vec<BackendEvent>) {
    let (tx, mut rx) = mpsc::channel(64);
    let result = backend.generate(job, &tx).await;
    let mut events = Vec::new();
    while let Ok(e) = rx.try_recv() {
        events.push(e);
    }
    (result, events)
}

fn prepared(bytes: Bytes, mime: &'static str) -> PreparedImage {
    PreparedImage {
        bytes,
        mime,
        width: 8,
        height: 8,
    }
}

/// Guards the shipped example's `[backends]` section: it loads, names a
/// model, and builds a chain with keys from the environment.
#[test]
fn the_example_config_builds_a_backend_chain() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../easel.example.toml");
    // Only the primary's key is needed: the Gemini fallback is commented out.
    let env = HashMap::from([("OPENAI_API_KEY".to_owned(), "sk-example".to_owned())]);
    let config = easel_gateway::settings::load(Some(&path), &env).unwrap();
    let names: Vec<&str> = config
        .backends
        .chain
        .iter()
        .map(|b| b.name.as_str())
        .collect();
    assert_eq!(names, ["openai"]);
    assert!(config.backends.chain.iter().all(|b| !b.model.is_empty()));
    assert_eq!(config.backends.chain[0].model, "gpt-image-2");
    let high = &config.backends.prices["gpt-image-2"].per_image[&Quality::High];
    assert_eq!(high["1024x1024"], 211_000);
    // Every model the example names has a price table.
    for model in [
        "gpt-image-2",
        "gemini-3-pro-image",
        "gemini-3.1-flash-image",
    ] {
        assert!(config.backends.prices.contains_key(model), "{model}");
    }
    build_chain(&config.backends, &env).unwrap();
}
