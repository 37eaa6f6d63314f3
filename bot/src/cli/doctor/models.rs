//! Checks that each backend's provider knows its model for this key (the
//! server's own start-up model check, `backend::model_check`): an unknown,
//! retired or key-refused model fails, an announced shutdown warns, an
//! unreachable provider warns (the server starts anyway).

use easel_gateway::backend::build_backend;
use easel_gateway::backend::model_check::{ModelReport, ModelVerdict, check_backends};
use easel_gateway::settings::Env;
use easel_shared::config::BackendsConfig;

use super::Check;

/// One check per backend of the chain, asked over the network.
pub(super) async fn checks(config: &BackendsConfig, env: &dyn Env) -> Vec<Check> {
    let reports = check_backends(config, env).await;
    config
        .chain
        .iter()
        .zip(reports)
        // A backend that cannot be built was already reported by the key check.
        .filter(|(b, _)| build_backend(b, config, env).is_ok())
        .filter_map(|(_, report)| check(report))
        .collect()
}

/// The report as a checklist line.
fn check(report: ModelReport) -> Option<Check> {
    let name = report.config_key.clone();
    let fix_model = format!("set {name} to one of the image models the provider lists");
    if let Some(why) = report.blocks_start() {
        // The line is already named by the key.
        let why = why
            .strip_prefix(&format!("{name}: "))
            .map_or(why.clone(), str::to_owned);
        return match &report.verdict {
            ModelVerdict::KeyRefused(_) => Some(Check::fail(
                name,
                why,
                "check the backend's API key (its variable or api_key) and its base_url",
            )),
            _ => Some(Check::fail(name, why, fix_model)),
        };
    }
    let (backend, model) = (&report.backend, &report.model);
    Some(match &report.verdict {
        ModelVerdict::Available {
            shutdown: Some(day),
        } => Check::warn(
            name,
            format!("`{backend}`: model {model} is announced to shut down on {day}"),
            fix_model,
        ),
        ModelVerdict::Available { shutdown: None } => Check::ok(
            name,
            format!("`{backend}`: the provider serves model {model} to this key"),
        ),
        ModelVerdict::Unreachable(why) => Check::warn(
            name,
            format!("`{backend}`: the provider could not be asked about {model} ({why})"),
            "check the backend's base_url and the network; the bot starts anyway",
        ),
        ModelVerdict::Skipped => Check::ok(
            name,
            format!("`{backend}`: model check skipped (skip_model_check)"),
        ),
        // Blocking verdicts were handled above.
        ModelVerdict::Unknown { .. }
        | ModelVerdict::Retired { .. }
        | ModelVerdict::KeyRefused(_) => {
            return None;
        }
    })
}
