-- submit: queue an admitted job fairly (virtual finish time, as runner/fair.rs).
-- KEYS: 1 wait, 2 vt, 3 record, 4 wake
-- ARGV: 1 now override, 2 id, 3 user, 4 credits, 5 weight, 6 max queued per
--       user (0: none), 7 record ttl ms, 8 images, 9 ticket json, 10 job json
-- Returns {'ok', position} | {'dup'} | {'full'}
local now = clock(ARGV[1])
if redis.call('EXISTS', KEYS[3]) == 1 then
  return {'dup'}
end
local user = ARGV[3]
local queued = tonumber(redis.call('HGET', KEYS[2], 'n:' .. user) or '0')
local cap = tonumber(ARGV[6])
if cap > 0 and queued >= cap then
  return {'full'}
end
local vnow = tonumber(redis.call('HGET', KEYS[2], 'now') or '0')
local last = tonumber(redis.call('HGET', KEYS[2], 'f:' .. user) or '0')
local start = math.max(vnow, last)
local credits = math.max(1, tonumber(ARGV[4]))
local weight = math.max(1, tonumber(ARGV[5]))
local step = math.max(1, math.floor(credits * 1048576 / weight))
local finish = start + step
local seq = redis.call('HINCRBY', KEYS[2], 'seq', 1)
local member = string.format('%016x', seq) .. '|' .. ARGV[2]
redis.call('HSET', KEYS[2], 'f:' .. user, finish)
redis.call('HINCRBY', KEYS[2], 'n:' .. user, 1)
redis.call('HSET', KEYS[3], 'user', user, 'images', ARGV[8], 'credits', ARGV[4],
  'start', start, 'finish', finish, 'member', member, 'since', now,
  'ticket', ARGV[9], 'job', ARGV[10])
redis.call('PEXPIRE', KEYS[3], ARGV[7])
redis.call('ZADD', KEYS[1], finish, member)
wake(KEYS[4])
return {'ok', redis.call('ZRANK', KEYS[1], member)}
