//! Per-user API keys for the OpenAI-compatible `/v1` API, as they cross the
//! wire (admin API, the `Gateway` port). The secret exists only in
//! [`MintedApiKey`], once; stores keep its SHA-256 and the visible prefix.

use serde::{Deserialize, Serialize};

use crate::ids::{UnixMillis, UserKey};
use crate::secret::Secret;

/// What every key starts with, so a leaked key is recognisable (secret scanners).
pub const KEY_PREFIX: &str = "easel-sk-";

/// A freshly created key: the only time its secret is shown.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MintedApiKey {
    /// The whole key, e.g. `easel-sk-AbCd1234...`. Never stored.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub key: Secret,
    /// The visible prefix that names the key in listings and revokes it.
    pub prefix: String,
    /// Whose account the key draws on.
    pub user: UserKey,
    /// When it was created.
    pub created_at: UnixMillis,
}

/// A key as a listing shows it: never the secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApiKeyInfo {
    /// The visible prefix (`easel-sk-` and the first symbols of the secret).
    pub prefix: String,
    /// Whose account the key draws on.
    pub user: UserKey,
    /// When it was created.
    pub created_at: UnixMillis,
}
