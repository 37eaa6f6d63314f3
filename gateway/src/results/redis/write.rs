//! The write path of the Redis result store: a new result (record, blobs,
//! the user's index, the size index) and the writes that span slots.

use redis::Cmd;

use super::index::Entry;
use super::{RedisResultStore, corrupt};
use crate::results::ResultStoreError;
use crate::results::blob::Prepared;

impl RedisResultStore {
    /// Writes a prepared result; `false` if its id is taken (then nothing was written).
    pub(super) async fn write(&self, prepared: &Prepared) -> Result<bool, ResultStoreError> {
        let mut con = self.con.clone();
        let record = &prepared.record;
        let json = serde_json::to_vec(record).map_err(corrupt)?;
        let fresh: bool = redis::cmd("SET")
            .arg(self.keys.record(&record.id))
            .arg(json)
            .arg("NX")
            .arg("PX")
            .arg(self.ttls.record_ms)
            .query_async::<Option<String>>(&mut con)
            .await
            .map_err(|e| self.err(e))?
            .is_some();
        if !fresh {
            return Ok(false);
        }
        // Three writes in three slots, none needing another's answer: sent
        // together (one round trip on the multiplexed connection). The
        // blobs share the record's hash tag: one MULTI on its slot.
        let mut blobs = redis::pipe();
        blobs.atomic();
        for b in &prepared.blobs {
            let key = self.keys.blob(&b.name);
            blobs
                .cmd("HSET")
                .arg(&key)
                .arg("e")
                .arg(record.images_until.0)
                .arg("m")
                .arg(&b.image.mime)
                .arg("d")
                .arg(b.image.bytes.as_ref())
                .ignore()
                .pexpire(&key, self.ttls.blob_ms)
                .ignore();
        }
        let mut blob_con = con.clone();
        let write_blobs = async {
            if prepared.blobs.is_empty() {
                return Ok(());
            }
            blobs.query_async::<()>(&mut blob_con).await
        };
        // The user's index is in the user's slot: a MULTI of its own.
        let mine = self.keys.user_results(record.user);
        let mut index_con = con.clone();
        let write_mine = async {
            redis::pipe()
                .atomic()
                .sadd(&mine, record.id.as_str())
                .ignore()
                .pexpire(&mine, self.ttls.record_ms)
                .ignore()
                .query_async::<()>(&mut index_con)
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
        let count = self
            .index
            .add(&mut con, &entries, self.config.max_total_bytes);
        let ((), (), evicted) =
            futures::try_join!(write_blobs, write_mine, count).map_err(|e| self.err(e))?;
        self.delete_blobs(&evicted).await?;
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
