//! Key names of the Redis result store, all under `<prefix>res:`. A result's
//! record, message set and image blobs share the hash tag `{r:<id>}`; a
//! user's keys share `{u:<platform>:<id>}`.

use easel_shared::results::{MessageRef, ResultId};
use easel_shared::{Platform, UserKey};

use crate::results::username_key;

/// Key names under `<prefix>res:`.
#[derive(Debug)]
pub(super) struct Keys {
    /// `<prefix>res:`.
    pub(super) base: String,
}

impl Keys {
    pub(super) fn record(&self, id: &ResultId) -> String {
        format!("{}{{r:{id}}}", self.base)
    }

    pub(super) fn messages(&self, id: &ResultId) -> String {
        format!("{}{{r:{id}}}:m", self.base)
    }

    /// A blob named `<id>:<kind>:<n>` lives beside its record (same hash tag).
    pub(super) fn blob(&self, name: &str) -> String {
        match name.split_once(':') {
            Some((id, rest)) => format!("{}{{r:{id}}}:{rest}", self.base),
            None => format!("{}{{r:{name}}}", self.base),
        }
    }

    pub(super) fn user_results(&self, user: UserKey) -> String {
        format!("{}{{u:{user}}}:results", self.base)
    }

    pub(super) fn settings(&self, user: UserKey) -> String {
        format!("{}{{u:{user}}}:settings", self.base)
    }

    pub(super) fn message(&self, m: &MessageRef) -> String {
        format!("{}msg:{m}", self.base)
    }

    pub(super) fn username(&self, platform: Platform, username: &str) -> String {
        format!("{}name:{}", self.base, username_key(platform, username))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::blob;

    #[test]
    fn blobs_share_their_record_hash_tag() {
        let keys = Keys {
            base: "p:res:".into(),
        };
        let id = ResultId::from_entropy(7);
        assert_eq!(keys.record(&id), "p:res:{r:000000000007}");
        assert_eq!(
            keys.blob(&blob::output_name(&id, 2)),
            "p:res:{r:000000000007}:o:2"
        );
    }
}
