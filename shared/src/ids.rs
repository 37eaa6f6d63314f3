//! Identifiers: who asked (`UserKey`), which request (`RequestId`), and when
//! (`UnixMillis`). Newtypes so a user id can never be passed where a request
//! id is expected.

mod cli_name;

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The chat platform a user comes from. Ids are only unique per platform.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Platform {
    /// Telegram user ids (positive integers).
    Telegram,
    /// Discord user snowflakes.
    Discord,
    /// Users of the HTTP API, identified by the operator's own numbering.
    Web,
    /// The operator at a terminal (`easel try`), named `cli:<name>`; only
    /// someone who can run the binary with the config can act as one.
    Cli,
}

impl Platform {
    /// The short tag used in keys and config: `tg`, `dc`, `web`, `cli`.
    pub fn tag(self) -> &'static str {
        match self {
            Platform::Telegram => "tg",
            Platform::Discord => "dc",
            Platform::Web => "web",
            Platform::Cli => "cli",
        }
    }
}

/// One user of one platform. Displays and parses as `tg:123`, `dc:456`,
/// `cli:operator`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UserKey {
    /// Where the id is valid.
    pub platform: Platform,
    /// The platform's numeric user id. A terminal user's name is packed into
    /// it (see [`UserKey::cli`]) so every key stays a small `Copy` value.
    pub id: u64,
}

impl UserKey {
    /// The operator signed in to the web pages with the admin token (`web:0`;
    /// the operator's own web numbering starts at 1). Their playground
    /// requests draw on this account.
    pub const WEB_ADMIN: UserKey = UserKey {
        platform: Platform::Web,
        id: 0,
    };

    /// A Telegram user.
    pub fn telegram(id: u64) -> Self {
        Self {
            platform: Platform::Telegram,
            id,
        }
    }

    /// A Discord user.
    pub fn discord(id: u64) -> Self {
        Self {
            platform: Platform::Discord,
            id,
        }
    }

    /// The operator at a terminal, by name: 1-12 of `a-z`, `0-9`, `-`, `_`.
    pub fn cli(name: &str) -> Result<Self, IdError> {
        let id =
            cli_name::encode(name).ok_or_else(|| IdError::BadUserKey(format!("cli:{name}")))?;
        Ok(Self {
            platform: Platform::Cli,
            id,
        })
    }
}

impl fmt::Display for UserKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let tag = self.platform.tag();
        match self.platform {
            Platform::Cli => match cli_name::decode(self.id) {
                Some(name) => write!(f, "{tag}:{name}"),
                // Only a struct literal can hold such an id; show it, marked.
                None => write!(f, "{tag}:#{}", self.id),
            },
            _ => write!(f, "{tag}:{}", self.id),
        }
    }
}

/// Why a string is not a valid id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    /// A user key must look like `tg:123`, `dc:456`, `web:7` or `cli:operator`.
    #[error(
        "`{0}` is not a user key: expected tg:<id>, dc:<id>, web:<id> or cli:<name> \
         (1-12 of a-z, 0-9, - and _)"
    )]
    BadUserKey(String),
    /// A request id must be 1..=128 printable ASCII characters without `|` or spaces.
    #[error("`{0}` is not a request id: use 1-128 printable ASCII characters, no spaces or `|`")]
    BadRequestId(String),
}

impl FromStr for UserKey {
    type Err = IdError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || IdError::BadUserKey(s.to_owned());
        let (tag, id) = s.split_once(':').ok_or_else(bad)?;
        let platform = match tag {
            "tg" => Platform::Telegram,
            "dc" => Platform::Discord,
            "web" => Platform::Web,
            "cli" => return Self::cli(id).map_err(|_| bad()),
            _ => return Err(bad()),
        };
        let id = id.parse().map_err(|_| bad())?;
        Ok(Self { platform, id })
    }
}

impl Serialize for UserKey {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for UserKey {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// Identifies one user request for its whole life (reserve, settle, refund).
///
/// It derives from the platform event (Telegram chat + message id, Discord
/// interaction id) so a redelivered event maps to the same id and is never
/// charged twice. The character set is restricted because ids are embedded in
/// Redis keys and log members.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct RequestId(String);

impl RequestId {
    /// Checks and wraps an id.
    pub fn new(id: impl Into<String>) -> Result<Self, IdError> {
        let id = id.into();
        let ok = !id.is_empty()
            && id.len() <= 128
            && id.bytes().all(|b| b.is_ascii_graphic() && b != b'|');
        if ok {
            Ok(Self(id))
        } else {
            Err(IdError::BadRequestId(id))
        }
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for RequestId {
    type Error = IdError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::new(s)
    }
}

impl From<RequestId> for String {
    fn from(id: RequestId) -> String {
        id.0
    }
}

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Milliseconds since the Unix epoch (UTC). The ledger's clock unit.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct UnixMillis(pub i64);

impl UnixMillis {
    /// Milliseconds in one UTC day.
    pub const DAY: i64 = 86_400_000;

    /// The UTC day number (days since 1970-01-01), used to key daily budgets.
    pub fn day(self) -> i64 {
        self.0.div_euclid(Self::DAY)
    }

    /// The first instant of the next UTC day.
    pub fn next_day(self) -> UnixMillis {
        UnixMillis((self.day() + 1) * Self::DAY)
    }

    /// This instant plus a duration.
    pub fn plus(self, d: std::time::Duration) -> UnixMillis {
        UnixMillis(
            self.0
                .saturating_add(d.as_millis().min(i64::MAX as u128) as i64),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_keys_round_trip_and_reject_junk() {
        for (text, key) in [
            ("tg:42", UserKey::telegram(42)),
            ("dc:80351110224678912", UserKey::discord(80351110224678912)),
        ] {
            assert_eq!(text.parse::<UserKey>().unwrap(), key);
            assert_eq!(key.to_string(), text);
        }
        for junk in ["", "tg", "tg:", "xx:1", "tg:-1", "tg:1a"] {
            assert!(junk.parse::<UserKey>().is_err(), "{junk} accepted");
        }
    }

    #[test]
    fn cli_keys_carry_their_name_and_stay_apart() {
        for name in [
            "operator",
            "a",
            "0",
            "ops-team_2",
            "zzzzzzzzzzzz",
            "____________",
        ] {
            let key: UserKey = format!("cli:{name}").parse().unwrap();
            assert_eq!(key.platform, Platform::Cli);
            assert_eq!(key.to_string(), format!("cli:{name}"));
            assert_eq!(UserKey::cli(name).unwrap(), key);
        }
        // Digits are a name here, not an id: `cli:7` is not user 7.
        assert_ne!("cli:7".parse::<UserKey>().unwrap().id, 7);
        assert_ne!(UserKey::cli("ab").unwrap(), UserKey::cli("ba").unwrap());
        for junk in [
            "cli:",
            "cli:Operator",
            "cli:a b",
            "cli:thirteen-char",
            "cli:é",
            "cli:a|b",
        ] {
            assert!(junk.parse::<UserKey>().is_err(), "{junk} accepted");
        }
        let json = serde_json::to_string(&UserKey::cli("operator").unwrap()).unwrap();
        assert_eq!(json, "\"cli:operator\"");
    }

    #[test]
    fn request_ids_refuse_separators() {
        assert!(RequestId::new("tg:1:2").is_ok());
        for bad in ["", "a|b", "a b", &"x".repeat(129)] {
            assert!(RequestId::new(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn days_are_utc() {
        let t = UnixMillis(UnixMillis::DAY * 3 + 5);
        assert_eq!(t.day(), 3);
        assert_eq!(t.next_day(), UnixMillis(UnixMillis::DAY * 4));
    }
}
