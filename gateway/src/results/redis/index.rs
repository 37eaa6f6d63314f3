//! The size index of the Redis result store: which image blobs exist, when
//! each expires and how big it is, plus their total. Three keys sharing one
//! hash tag, changed only by the scripts here so they never disagree. The
//! blobs themselves live under other slots; scripts return the members they
//! dropped and the caller deletes those blobs (a crash in between leaves a
//! blob that its own TTL removes).

use crate::redis_link::RedisLink;
use redis::Script;

/// Adds members (`ARGV[2..]` as triples: member, expiry ms, size) and then
/// drops the soonest-expiring until the total is within `ARGV[1]`.
const ADD: &str = r"
for i = 2, #ARGV, 3 do
  local member, size = ARGV[i], tonumber(ARGV[i + 2])
  if redis.call('ZADD', KEYS[1], ARGV[i + 1], member) == 1 then
    redis.call('HSET', KEYS[2], member, size)
    redis.call('INCRBY', KEYS[3], size)
  end
end
local cap = tonumber(ARGV[1])
local total = tonumber(redis.call('GET', KEYS[3]) or '0')
local evicted = {}
while total > cap do
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0)
  if #oldest == 0 then
    redis.call('SET', KEYS[3], 0)
    break
  end
  local member = oldest[1]
  local size = tonumber(redis.call('HGET', KEYS[2], member) or '0')
  redis.call('ZREM', KEYS[1], member)
  redis.call('HDEL', KEYS[2], member)
  total = redis.call('DECRBY', KEYS[3], size)
  evicted[#evicted + 1] = member
end
return evicted
";

/// Drops the given members (those present) and uncounts them.
const REMOVE: &str = r"
for i = 1, #ARGV do
  local member = ARGV[i]
  if redis.call('ZREM', KEYS[1], member) == 1 then
    local size = tonumber(redis.call('HGET', KEYS[2], member) or '0')
    redis.call('HDEL', KEYS[2], member)
    redis.call('DECRBY', KEYS[3], size)
  end
end
return 0
";

/// Drops up to `ARGV[2]` members that expired at or before `ARGV[1]` and returns them.
const EXPIRED: &str = r"
local members = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
for _, member in ipairs(members) do
  local size = tonumber(redis.call('HGET', KEYS[2], member) or '0')
  redis.call('ZREM', KEYS[1], member)
  redis.call('HDEL', KEYS[2], member)
  redis.call('DECRBY', KEYS[3], size)
end
return members
";

/// The index's keys and its loaded scripts (EVALSHA, reloaded on NOSCRIPT by redis-rs).
#[derive(Debug)]
pub(super) struct SizeIndex {
    keys: [String; 3],
    add: Script,
    remove: Script,
    expired: Script,
}

/// One blob entering the index.
pub(super) struct Entry<'a> {
    /// Blob name (`<id>:o:<n>`).
    pub(super) member: &'a str,
    /// When it expires (ms).
    pub(super) expires: i64,
    /// Its size in bytes.
    pub(super) size: u64,
}

impl SizeIndex {
    /// The index under `base` (the store's key prefix plus `res:`).
    pub(super) fn new(base: &str) -> Self {
        Self {
            keys: [
                format!("{base}{{idx}}:by_expiry"),
                format!("{base}{{idx}}:sizes"),
                format!("{base}{{idx}}:total"),
            ],
            add: Script::new(ADD),
            remove: Script::new(REMOVE),
            expired: Script::new(EXPIRED),
        }
    }

    /// Counts `entries` and returns the members evicted to stay within `cap`.
    pub(super) async fn add(
        &self,
        con: &mut RedisLink,
        entries: &[Entry<'_>],
        cap: u64,
    ) -> redis::RedisResult<Vec<String>> {
        let mut call = self.add.prepare_invoke();
        call.key(&self.keys[0])
            .key(&self.keys[1])
            .key(&self.keys[2])
            .arg(cap);
        for e in entries {
            call.arg(e.member).arg(e.expires).arg(e.size);
        }
        call.invoke_async(con).await
    }

    /// Uncounts `members` (absent ones are skipped).
    pub(super) async fn remove(
        &self,
        con: &mut RedisLink,
        members: &[String],
    ) -> redis::RedisResult<()> {
        if members.is_empty() {
            return Ok(());
        }
        let mut call = self.remove.prepare_invoke();
        call.key(&self.keys[0])
            .key(&self.keys[1])
            .key(&self.keys[2])
            .arg(members);
        call.invoke_async::<i64>(con).await.map(drop)
    }

    /// Uncounts and returns up to `limit` members expired by `now` (ms).
    pub(super) async fn take_expired(
        &self,
        con: &mut RedisLink,
        now: i64,
        limit: usize,
    ) -> redis::RedisResult<Vec<String>> {
        let mut call = self.expired.prepare_invoke();
        call.key(&self.keys[0])
            .key(&self.keys[1])
            .key(&self.keys[2])
            .arg(now)
            .arg(limit);
        call.invoke_async(con).await
    }
}
