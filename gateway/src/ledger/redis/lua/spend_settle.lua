-- spend_settle: replace a request's held estimate by its final cost (0 on a
-- refund). Idempotent: a finished field reads 's:<final>'.
-- KEYS: 1 the reservation day's spend hash
-- ARGV: 1 request (`<user>|<id>`: ids are unique per user only), 2 final cost micros (integer string), 3 backend, 4 ttl ms
-- Returns 1 if this call changed the totals' bookkeeping, 0 if already final.
local field = 'r:' .. ARGV[1]
local held = redis.call('HGET', KEYS[1], field)
if held and string.sub(held, 1, 2) == 's:' then
  return 0
end
local delta = tonumber(ARGV[2]) - (tonumber(held or '0') or 0)
if delta ~= 0 then
  redis.call('HINCRBY', KEYS[1], 'total', delta)
  redis.call('HINCRBY', KEYS[1], 'b:' .. ARGV[3], delta)
end
redis.call('HSET', KEYS[1], field, 's:' .. ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return 1
