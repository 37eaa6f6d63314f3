//! The write path of the Redis result store: a new result (record, blobs,
//! the user's index, the size index) and the writes that span slots.

use std::sync::LazyLock;

use redis::{AsyncCommands, Cmd, Script};

use super::index::Entry;
use super::{RedisResultStore, corrupt};
use crate::results::ResultStoreError;
use crate::results::blob::Prepared;

/// The record (`SET NX`) and, only if its id was free, its blobs, in one
/// step on the record's slot (the blobs share its hash tag).
/// KEYS: 1 record, 2.. blobs. ARGV: 1 record JSON, 2 record TTL ms, 3 blob
/// TTL ms, 4 images_until ms, then per blob its mime and bytes.
/// Returns 1, or 0 when the id is taken (nothing written).
const WRITE: &str = r"
if not redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return 0
end
for i = 2, #KEYS do
  local at = 5 + (i - 2) * 2
  redis.call('HSET', KEYS[i], 'e', ARGV[4], 'm', ARGV[at], 'd', ARGV[at + 1])
  redis.call('PEXPIRE', KEYS[i], ARGV[3])
end
return 1
";

static WRITE_SCRIPT: LazyLock<Script> = LazyLock::new(|| Script::new(WRITE));

impl RedisResultStore {
    /// Writes a prepared result; `false` if its id is taken (then nothing of
    /// it stays).
    ///
    /// One round trip: the record with its blobs (one script on its slot),
    /// the user's index and the size index go out together, as none needs
    /// another's answer. The two indexes are written before the id is known
    /// to be free, so a clash (60 random bits: practically never) is undone:
    /// the id leaves the user's index again if this write added it, and
    /// readers of that index skip a record of another user meanwhile. The
    /// size index counts a member once (`ZADD` new only), so a clash adds
    /// nothing for blobs that exist; one this write named beyond the other
    /// record's is counted until the expiry sweep.
    pub(super) async fn write(&self, prepared: &Prepared) -> Result<bool, ResultStoreError> {
        let con = self.con.clone();
        let record = &prepared.record;
        let json = serde_json::to_vec(record).map_err(corrupt)?;
        let mut call = WRITE_SCRIPT.prepare_invoke();
        call.key(self.keys.record(&record.id));
        for b in &prepared.blobs {
            call.key(self.keys.blob(&b.name));
        }
        call.arg(json)
            .arg(self.ttls.record_ms)
            .arg(self.ttls.blob_ms)
            .arg(record.images_until.0);
        for b in &prepared.blobs {
            call.arg(&b.image.mime).arg(b.image.bytes.as_ref());
        }
        let mut record_con = con.clone();
        let write_record = async { call.invoke_async::<i64>(&mut record_con).await };
        // The user's index is in the user's slot: a MULTI of its own.
        let mine = self.keys.user_results(record.user);
        let mut index_con = con.clone();
        let write_mine = async {
            redis::pipe()
                .atomic()
                .sadd(&mine, record.id.as_str())
                .pexpire(&mine, self.ttls.record_ms)
                .ignore()
                .query_async::<(i64,)>(&mut index_con)
                .await
        };
        let entries: Vec<Entry<'_>> = prepared
            .blobs
            .iter()
            .map(|b| Entry {
                member: &b.name,
                expires: record.images_until.0,
                size: b.size(),
            })
            .collect();
        // Blobs it evicts are deleted after all three landed, so a blob
        // written here is never deleted before its own write.
        let mut count_con = con.clone();
        let count = self
            .index
            .add(&mut count_con, &entries, self.config.max_total_bytes);
        let (fresh, (added,), evicted) =
            futures::try_join!(write_record, write_mine, count).map_err(|e| self.err(e))?;
        self.delete_blobs(&evicted).await?;
        if fresh == 0 {
            if added == 1 {
                let mut undo = con.clone();
                undo.srem::<_, _, ()>(&mine, record.id.as_str())
                    .await
                    .map_err(|e| self.err(e))?;
            }
            return Ok(false);
        }
        Ok(true)
    }

    /// Deletes blobs of any results (one command per key on a cluster).
    pub(super) async fn delete_blobs(&self, names: &[String]) -> Result<(), ResultStoreError> {
        let dels: Vec<Cmd> = names.iter().map(|n| del(self.keys.blob(n))).collect();
        self.query_each(&dels).await
    }

    /// Writes a setting or username with its TTL, refreshed by every write.
    pub(super) async fn set_profile(
        &self,
        key: String,
        value: Vec<u8>,
    ) -> Result<(), ResultStoreError> {
        redis::cmd("SET")
            .arg(key)
            .arg(value)
            .arg("PX")
            .arg(self.ttls.profile_ms)
            .query_async::<()>(&mut self.con.clone())
            .await
            .map_err(|e| self.err(e))
    }

    /// Runs independent commands that may span slots, ignoring their replies.
    pub(super) async fn query_each(&self, cmds: &[Cmd]) -> Result<(), ResultStoreError> {
        self.con
            .query_each::<redis::Value>(cmds)
            .await
            .map(drop)
            .map_err(|e| self.err(e))
    }
}

/// `DEL key`.
pub(super) fn del(key: String) -> Cmd {
    let mut c = redis::cmd("DEL");
    c.arg(key);
    c
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use bytes::Bytes;
    use easel_shared::results::ResultId;
    use easel_shared::{RequestId, UserKey};

    use super::*;
    use crate::ledger::Clock;
    use crate::results::blob::prepare;
    use crate::results::{ImageData, NewResult, ResultStore};
    use easel_shared::config::ResultsConfig;

    fn result(user: UserKey, fill: u8) -> NewResult {
        NewResult {
            user,
            request: RequestId::new(format!("tg:{fill}")).unwrap(),
            prompt: "a lighthouse".into(),
            options: Default::default(),
            inputs: Vec::new(),
            parent: None,
            outputs: vec![ImageData {
                mime: "image/png".into(),
                bytes: Bytes::from(vec![fill; 100 + usize::from(fill)]),
            }],
            continuation: None,
        }
    }

    /// The one path no random id reaches: a second write under a taken id
    /// (the indexes go out before the record's answer, then are undone).
    #[tokio::test]
    async fn a_write_under_a_taken_id_leaves_nothing_and_the_owner_whole() {
        let url = std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
        let prefix = format!("easel-test:write:{:016x}:", rand::random::<u64>());
        let config = ResultsConfig {
            retention: Duration::from_secs(3600),
            record_retention: Duration::from_secs(7200),
            max_total_bytes: 1_000_000,
            ..ResultsConfig::default()
        };
        let store = RedisResultStore::connect(&url, &prefix, config, Clock::real())
            .await
            .expect("Redis at REDIS_URL");
        let (alice, bob) = (UserKey::telegram(1), UserKey::telegram(2));
        let id: ResultId = "CASH00000001".parse().unwrap();
        let now = easel_shared::UnixMillis(store.clock.now().0);
        let hour = Duration::from_secs(3600);
        assert!(
            store
                .write(&prepare(result(alice, 1), id.clone(), now, hour))
                .await
                .unwrap()
        );
        assert!(
            !store
                .write(&prepare(result(bob, 2), id.clone(), now, hour))
                .await
                .unwrap()
        );

        let record = store.get(&id).await.unwrap().expect("alice's record");
        assert_eq!(record.user, alice);
        let image = store
            .original(&id, 0)
            .await
            .unwrap()
            .expect("alice's image");
        assert_eq!(image.bytes, Bytes::from(vec![1u8; 101]));
        assert_eq!(store.recent(alice, 10).await.unwrap().len(), 1);
        assert!(store.recent(bob, 10).await.unwrap().is_empty());
        let mut con = store.con.clone();
        let bobs: Vec<String> = con.smembers(store.keys.user_results(bob)).await.unwrap();
        assert!(bobs.is_empty(), "{bobs:?}");
        // The size index counts alice's one blob once.
        let total: u64 = con.get(format!("{prefix}res:{{idx}}:total")).await.unwrap();
        assert_eq!(total, 101);

        let keys: Vec<String> = con.keys(format!("{prefix}*")).await.unwrap();
        if !keys.is_empty() {
            con.del::<_, ()>(keys).await.unwrap();
        }
    }
}
