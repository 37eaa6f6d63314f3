//! How long each kind of key of the Redis result store lives (see the
//! lifetimes in the parent module's doc).

use std::time::Duration;

use easel_shared::config::ResultsConfig;

/// Settings and usernames live this long after their last use.
pub const PROFILE_TTL: Duration = Duration::from_secs(365 * 86_400);

/// The TTLs in milliseconds, as Redis takes them.
#[derive(Debug, Clone, Copy)]
pub(super) struct Ttls {
    /// Image blobs: `results.retention`.
    pub(super) blob_ms: i64,
    /// Records, message sets and lookups, a user's result index:
    /// `results.record_retention`, never shorter than the blobs'.
    pub(super) record_ms: i64,
    /// Settings and usernames, refreshed on use.
    pub(super) profile_ms: i64,
}

impl Ttls {
    /// The TTLs `config` asks for (each at least 1 ms: Redis refuses 0).
    pub(super) fn new(config: &ResultsConfig) -> Self {
        let blob_ms = millis(config.retention);
        Self {
            blob_ms,
            record_ms: millis(crate::results::record_keep(config)),
            profile_ms: millis(PROFILE_TTL),
        }
    }
}

fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_never_expire_before_their_images() {
        let config = ResultsConfig {
            retention: Duration::from_secs(7 * 86_400),
            record_retention: Duration::from_secs(86_400),
            ..ResultsConfig::default()
        };
        let t = Ttls::new(&config);
        assert_eq!(t.blob_ms, 7 * 86_400_000);
        assert_eq!(t.record_ms, t.blob_ms);
        let zero = ResultsConfig {
            retention: Duration::ZERO,
            record_retention: Duration::ZERO,
            ..ResultsConfig::default()
        };
        assert_eq!(Ttls::new(&zero).blob_ms, 1);
    }
}
