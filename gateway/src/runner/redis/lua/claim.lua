-- claim: the next job for this consumer, under the deployment-wide
-- concurrency cap and the provider pacing (GCRA on the queue's clock).
-- KEYS: 1 wait, 2 vt, 3 run, 4 hb, 5 pace
-- ARGV: 1 now override, 2 consumer, 3 group, 4 cap (0: none),
--       5 images per minute (0: none), 6 heartbeat ms, 7 record key prefix
-- Returns {'job', id, entry, ticket, job, since} | {'wait', until} | {'full'} | {'empty'}
local now = clock(ARGV[1])
redis.call('ZADD', KEYS[4], now + tonumber(ARGV[6]), ARGV[2])
ensure_group(KEYS[3], ARGV[3])
local cap = tonumber(ARGV[4])
if cap > 0 then
  local pending = redis.call('XPENDING', KEYS[3], ARGV[3])
  if tonumber(pending[1]) >= cap then
    return {'full'}
  end
end
local head = redis.call('ZRANGE', KEYS[1], 0, 0)
while head[1] do
  local member = head[1]
  local id = id_of(member)
  local rec = ARGV[7] .. id
  if redis.call('EXISTS', rec) == 1 then
    break
  end
  -- A record that expired (a job waiting longer than its TTL): drop it.
  redis.call('ZREM', KEYS[1], member)
  head = redis.call('ZRANGE', KEYS[1], 0, 0)
end
if not head[1] then
  return {'empty'}
end
local member = head[1]
local id = id_of(member)
local rec = ARGV[7] .. id
local ipm = tonumber(ARGV[5])
if ipm > 0 then
  local emission = 60000 / ipm
  local n = tonumber(redis.call('HGET', rec, 'images') or '1')
  if n > ipm or n < 1 then
    n = 1
  end
  local tat = math.max(tonumber(redis.call('GET', KEYS[5]) or '0'), now)
  local new_tat = tat + n * emission
  local allowed_at = new_tat - ipm * emission
  if allowed_at > now then
    return {'wait', math.ceil(allowed_at)}
  end
  redis.call('SET', KEYS[5], new_tat, 'PX', math.ceil(ipm * emission) + 60000)
end
redis.call('ZREM', KEYS[1], member)
local fields = redis.call('HMGET', rec, 'user', 'start', 'ticket', 'job', 'since')
local vnow = math.max(tonumber(redis.call('HGET', KEYS[2], 'now') or '0'), tonumber(fields[2]))
redis.call('HSET', KEYS[2], 'now', vnow)
forget(KEYS[2], fields[1], vnow)
local entry = redis.call('XADD', KEYS[3], '*', 'id', id)
local got = redis.call('XREADGROUP', 'GROUP', ARGV[3], ARGV[2], 'COUNT', 1, 'STREAMS', KEYS[3], '>')
if (not got) or got[1][2][1][1] ~= entry then
  return redis.error_reply('queue stream had an unread entry')
end
redis.call('HSET', rec, 'run', entry)
return {'job', id, entry, fields[3], fields[4], fields[5]}
