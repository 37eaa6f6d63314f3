-- handback: a running job goes back to the queue with its place (SIGTERM).
-- KEYS: 1 wait, 2 vt, 3 run, 4 record, 5 wake
-- ARGV: 1 group, 2 entry
local f = redis.call('HMGET', KEYS[4], 'user', 'member', 'finish')
redis.call('XACK', KEYS[3], ARGV[1], ARGV[2])
redis.call('XDEL', KEYS[3], ARGV[2])
if not f[1] then
  return 0
end
redis.call('HDEL', KEYS[4], 'run')
redis.call('ZADD', KEYS[1], f[3], f[2])
redis.call('HINCRBY', KEYS[2], 'n:' .. f[1], 1)
local last = tonumber(redis.call('HGET', KEYS[2], 'f:' .. f[1]) or '0')
if tonumber(f[3]) > last then
  redis.call('HSET', KEYS[2], 'f:' .. f[1], f[3])
end
wake(KEYS[5])
return 1
