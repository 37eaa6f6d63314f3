//! Loading the configuration: a TOML file, then environment overrides.
//!
//! Secrets and top-level settings come from the environment so a container
//! needs no edited file: a few named variables (`EASEL_REDIS_URL`, ...) and a
//! generic form `EASEL__SECTION__KEY=value` for any key (`EASEL__SPEND__DAILY_CAP_MICROS=5000000`).
//! The environment is read through [`Env`] so tests pass a map instead of
//! mutating the process environment (which races between tests).

use std::collections::HashMap;
use std::path::Path;

use easel_shared::config::{Config, ConfigError};

/// Named variables for the settings people set most, and the key each sets.
/// Their values are taken as strings (a token of digits stays a string).
pub const NAMED_VARS: &[(&str, &str)] = &[
    ("EASEL_REDIS_URL", "ledger.redis_url"),
    ("EASEL_RESULTS_REDIS_URL", "results.redis_url"),
    ("EASEL_KEY_PREFIX", "ledger.key_prefix"),
    ("EASEL_LEDGER_PATH", "ledger.path"),
    ("EASEL_ADMIN_TOKEN", "http.admin_token"),
    ("EASEL_LISTEN", "http.listen"),
    ("EASEL_TELEGRAM_TOKEN", "telegram.token"),
    ("EASEL_TELEGRAM_WEBHOOK_SECRET", "telegram.webhook_secret"),
    ("EASEL_DISCORD_TOKEN", "discord.token"),
    ("EASEL_GATEWAY_URL", "gateway.url"),
    ("EASEL_GATEWAY_TOKEN", "gateway.token"),
    ("EASEL_LOG_FORMAT", "log.format"),
    ("EASEL_METRICS_TOKEN", "http.metrics_token"),
];

/// Prefix of the generic override form; `__` separates key segments.
const GENERIC_PREFIX: &str = "EASEL__";

/// A source of environment variables (shared across tasks, hence `Sync`).
pub trait Env: Send + Sync {
    /// The value of `name`, if set and valid UTF-8.
    fn var(&self, name: &str) -> Option<String>;
    /// Every variable, for the generic `EASEL__...` form.
    fn vars(&self) -> Vec<(String, String)>;
}

/// The real process environment.
#[derive(Debug, Clone, Copy, Default)]
pub struct ProcessEnv;

impl Env for ProcessEnv {
    fn var(&self, name: &str) -> Option<String> {
        std::env::var(name).ok()
    }
    fn vars(&self) -> Vec<(String, String)> {
        std::env::vars().collect()
    }
}

impl Env for HashMap<String, String> {
    fn var(&self, name: &str) -> Option<String> {
        self.get(name).cloned()
    }
    fn vars(&self) -> Vec<(String, String)> {
        self.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
    }
}

/// Why the configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// The file could not be read.
    #[error("cannot read config file {path}: {source}")]
    Read {
        /// The path given.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not valid TOML.
    #[error("config file {path} is not valid TOML: {message}")]
    Syntax {
        /// The path given.
        path: String,
        /// The parser's words (line and column).
        message: String,
    },
    /// A key has the wrong type or is unknown, or a value is out of range.
    #[error(transparent)]
    Invalid(#[from] ConfigError),
}

/// Loads `path` (or only defaults when `None`), applies environment overrides
/// and validates the result.
pub fn load(path: Option<&Path>, env: &dyn Env) -> Result<Config, SettingsError> {
    let config = read(path, env)?;
    config.validate()?;
    Ok(config)
}

/// Like [`load`] but without [`Config::validate`]: `easel doctor` reports
/// every problem of a config that parses, not only the first.
pub fn read(path: Option<&Path>, env: &dyn Env) -> Result<Config, SettingsError> {
    let mut doc = match path {
        Some(path) => {
            let shown = path.display().to_string();
            let text = std::fs::read_to_string(path).map_err(|source| SettingsError::Read {
                path: shown.clone(),
                source,
            })?;
            text.parse::<toml::Table>()
                .map_err(|e| SettingsError::Syntax {
                    path: shown,
                    message: e.to_string(),
                })?
        }
        None => toml::Table::new(),
    };
    for (var, key) in NAMED_VARS {
        if let Some(value) = env.var(var) {
            set_key(&mut doc, key, toml::Value::String(value));
        }
    }
    let mut generic: Vec<_> = env
        .vars()
        .into_iter()
        .filter_map(|(k, v)| Some((k.strip_prefix(GENERIC_PREFIX)?.to_owned(), v)))
        .collect();
    generic.sort();
    for (key, value) in generic {
        let dotted = key.to_ascii_lowercase().replace("__", ".");
        set_key(&mut doc, &dotted, scalar(&value));
    }
    Ok(parse(doc)?)
}

fn parse(doc: toml::Table) -> Result<Config, ConfigError> {
    serde_path_to_error::deserialize(toml::Value::Table(doc)).map_err(|e| ConfigError {
        key: e.path().to_string(),
        problem: e.inner().to_string(),
    })
}

/// Reads a generic override as a TOML value when it parses as one (numbers,
/// booleans, arrays), otherwise as a string.
fn scalar(raw: &str) -> toml::Value {
    format!("v = {raw}")
        .parse::<toml::Table>()
        .ok()
        .and_then(|mut t| t.remove("v"))
        .unwrap_or_else(|| toml::Value::String(raw.to_owned()))
}

/// Sets a dotted key, creating tables on the way.
fn set_key(doc: &mut toml::Table, dotted: &str, value: toml::Value) {
    let mut parts = dotted.split('.').peekable();
    let mut table = doc;
    while let Some(part) = parts.next() {
        if parts.peek().is_none() {
            table.insert(part.to_owned(), value);
            return;
        }
        let entry = table
            .entry(part.to_owned())
            .or_insert_with(|| toml::Table::new().into());
        if !entry.is_table() {
            *entry = toml::Table::new().into();
        }
        let Some(next) = entry.as_table_mut() else {
            return;
        };
        table = next;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn defaults_load_without_a_file() {
        let config = load(None, &env(&[])).unwrap();
        assert_eq!(config, Config::default());
    }

    #[test]
    fn named_and_generic_variables_override() {
        let e = env(&[
            ("EASEL_REDIS_URL", "redis://10.0.0.5:6379/2"),
            ("EASEL_ADMIN_TOKEN", "123456"),
            ("EASEL__SPEND__DAILY_CAP_MICROS", "5000000"),
            ("EASEL__ACCESS__MODE", "code"),
        ]);
        let config = load(None, &e).unwrap();
        assert_eq!(config.ledger.redis_url, "redis://10.0.0.5:6379/2");
        assert_eq!(config.http.admin_token.expose(), "123456");
        assert_eq!(config.spend.daily_cap_micros, 5_000_000);
        assert_eq!(config.access.mode, easel_shared::config::AccessMode::Code);
    }

    #[test]
    fn errors_name_the_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("easel.toml");
        std::fs::write(
            &path,
            "[plans.free]\nwindows = [{ limit = 3, period = \"soon\" }]\n",
        )
        .unwrap();
        let err = load(Some(&path), &env(&[])).unwrap_err().to_string();
        assert!(err.contains("plans.free.windows[0].period"), "{err}");

        std::fs::write(&path, "[ledger]\nredis = \"x\"\n").unwrap();
        let err = load(Some(&path), &env(&[])).unwrap_err().to_string();
        assert!(err.contains("ledger") && err.contains("redis"), "{err}");

        // Discord shards: a range past the total, and a word that is not "auto".
        let shards = "[discord]\ntoken = \"t\"\napplication_id = 1\n[discord.shards]\n";
        std::fs::write(&path, format!("{shards}total = 4\nfirst = 2\ncount = 3\n")).unwrap();
        let err = load(Some(&path), &env(&[])).unwrap_err().to_string();
        assert!(err.contains("discord.shards.count"), "{err}");
        std::fs::write(&path, format!("{shards}total = \"many\"\n")).unwrap();
        let err = load(Some(&path), &env(&[])).unwrap_err().to_string();
        assert!(err.contains("discord.shards.total"), "{err}");

        std::fs::write(&path, "[ledger\n").unwrap();
        assert!(matches!(
            load(Some(&path), &env(&[])),
            Err(SettingsError::Syntax { .. })
        ));
    }
}

#[cfg(test)]
mod example {
    use super::*;

    /// Guards the shipped example: it must load and name the plans it shows.
    #[test]
    fn the_capability_table_is_read_and_its_errors_name_the_key() {
        use easel_shared::config::{BackendConfig, BackendKind, ImageSizeTier};

        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("easel.toml");
        let table = "[backends.models.\"gemini-3-pro-image\"]\nimage_sizes = [\"1K\", \"2K\"]\n";
        std::fs::write(&path, table).unwrap();
        let config = load(Some(&path), &HashMap::new()).unwrap();
        let backend = BackendConfig {
            kind: BackendKind::Gemini,
            model: "gemini-3-pro-image".into(),
            ..BackendConfig::default()
        };
        let caps = config.backends.caps(&backend);
        assert_eq!(caps.image_sizes, [ImageSizeTier::OneK, ImageSizeTier::TwoK]);
        assert_eq!(caps.max_inputs, 14, "the rest stays built in");

        std::fs::write(&path, table.replace("2K", "2k")).unwrap();
        let err = load(Some(&path), &HashMap::new()).unwrap_err().to_string();
        assert!(
            err.contains("backends.models.\"gemini-3-pro-image\".image_sizes"),
            "{err}"
        );
        std::fs::write(&path, table.replace("image_sizes", "imagesizes")).unwrap();
        let err = load(Some(&path), &HashMap::new()).unwrap_err().to_string();
        assert!(err.contains("imagesizes"), "{err}");
    }

    #[test]
    fn the_example_config_loads() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../easel.example.toml");
        let config = load(Some(&path), &HashMap::new()).unwrap();
        assert!(config.plans.contains_key("free") && config.plans.contains_key("pro"));
        assert_eq!(config.plans["pro"].windows[1].limit, 300);
    }
}
