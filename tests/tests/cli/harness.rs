//! What the CLI tests share: a config that passes every check (embedded
//! stores in a temp dir, the fake OpenAI as backend with its key in the
//! environment), and the environment as a map.

use std::collections::HashMap;
use std::path::Path;

use easel_shared::UserKey;
use easel_shared::config::{BackendConfig, Config};
use easel_shared::secret::Secret;
use easel_tests::fake_openai::FakeOpenAi;
use easel_tests::stack::{OPENAI_KEY, Stack};

/// The environment variable the backend reads its key from.
pub(crate) const KEY_VAR: &str = "EASEL_TEST_OPENAI_API_KEY";
/// The admin token of the good config (never printed).
pub(crate) const ADMIN_TOKEN: &str = "adm-SECRET-0123456789abcdef";

/// A config with no problem at all, its stores under `dir`.
pub(crate) fn good_config(openai: &FakeOpenAi, dir: &Path) -> Config {
    let mut config = Stack::config(openai, dir);
    config.backends.chain = vec![BackendConfig {
        api_key: Secret::default(),
        api_key_env: Some(KEY_VAR.to_owned()),
        ..config.backends.chain[0].clone()
    }];
    config.http.admin_token = Secret::new(ADMIN_TOKEN);
    config.access.admins = vec![UserKey::telegram(42)];
    config
}

/// The environment holding the backend's key.
pub(crate) fn env() -> HashMap<String, String> {
    HashMap::from([(KEY_VAR.to_owned(), OPENAI_KEY.to_owned())])
}
