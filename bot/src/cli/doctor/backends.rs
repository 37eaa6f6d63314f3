//! Checks that each configured image backend has its API key: the same
//! builder the server uses, so the answer is the server's. (Whether the key
//! may use the model is a separate, networked check.)

use easel_gateway::backend::build_backend;
use easel_gateway::settings::Env;
use easel_shared::config::BackendsConfig;

use super::Check;

/// One check per backend of the chain (or one failure for an empty chain).
pub(super) fn checks(config: &BackendsConfig, env: &dyn Env) -> Vec<Check> {
    if config.chain.is_empty() {
        return vec![Check::fail(
            "backends.chain",
            "no image backend is configured",
            "add a [[backends.chain]] entry with name, kind, model and api_key_env \
             (see easel.example.toml)",
        )];
    }
    config
        .chain
        .iter()
        .enumerate()
        .map(|(i, b)| {
            let name = format!("backends.chain[{i}]");
            match build_backend(b, config, env) {
                Err(e) => {
                    let fix = match &b.api_key_env {
                        Some(var) => format!("export {var}=<your key>, or set {name}.api_key"),
                        None => format!("correct {name}"),
                    };
                    Check::fail(name, format!("`{}`: {}", b.name, e.problem), fix)
                }
                Ok(_) if b.api_key.is_empty() && b.api_key_env.is_none() => {
                    let fix = format!(
                        "set {name}.api_key_env to the variable holding the key \
                         (fine for a local endpoint that needs none)"
                    );
                    Check::warn(name, format!("`{}`: no API key configured", b.name), fix)
                }
                Ok(_) => Check::ok(
                    name,
                    format!("`{}`: API key present, model {}", b.name, b.model),
                ),
            }
        })
        .collect()
}
