-- cancel: take a waiting job out (its owner's, or any with user '').
-- KEYS: 1 wait, 2 vt, 3 record, 4 wake
-- ARGV: 1 user or '', 2 id
-- Returns {'cancelled', user} | {'started'} | {'unknown'}
local f = redis.call('HMGET', KEYS[3], 'user', 'run', 'member', 'start', 'finish')
if not f[1] or (ARGV[1] ~= '' and f[1] ~= ARGV[1]) then
  return {'unknown'}
end
if f[2] then
  return {'started'}
end
if redis.call('ZREM', KEYS[1], f[3]) == 0 then
  return {'unknown'}
end
local user = f[1]
local last = redis.call('HGET', KEYS[2], 'f:' .. user)
if last and tonumber(last) == tonumber(f[5]) then
  redis.call('HSET', KEYS[2], 'f:' .. user, f[4])
end
local vnow = tonumber(redis.call('HGET', KEYS[2], 'now') or '0')
forget(KEYS[2], user, vnow)
redis.call('DEL', KEYS[3])
wake(KEYS[4])
return {'cancelled', user}
