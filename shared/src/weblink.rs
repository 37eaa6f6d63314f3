//! A one-time sign-in link to the web pages, as the `/web` chat command
//! hands it to a chat user (the gateway makes it; the bot only shows it).

use serde::{Deserialize, Serialize};

use crate::ids::UnixMillis;
use crate::secret::Secret;

/// A sign-in link: `<http.public_url>/web/link?t=<token>`. The URL holds the
/// token, so it is a [`Secret`] (never logged) and shown only to its user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebLink {
    /// The whole URL to open.
    pub url: Secret,
    /// It stops working here if unused.
    pub expires_at: UnixMillis,
}
