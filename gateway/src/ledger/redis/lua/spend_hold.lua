-- spend_hold: hold a request's estimated cost against the day's cap (global slot).
-- Idempotent per request id; never lets held + spent pass the cap.
-- KEYS: 1 the day's spend hash
-- ARGV: 1 request (`<user>|<id>`: ids are unique per user only), 2 estimate micros (integer string), 3 backend, 4 cap micros (0: none), 5 ttl ms
-- Returns {1, 0} held (or already held), {0, first denial of the day 1/0} refused.
local field = 'r:' .. ARGV[1]
if redis.call('HEXISTS', KEYS[1], field) == 1 then
  return { 1, 0 }
end
local cap = tonumber(ARGV[4])
local total = tonumber(redis.call('HGET', KEYS[1], 'total') or '0') or 0
if cap > 0 and total + tonumber(ARGV[2]) > cap then
  local first = redis.call('HSETNX', KEYS[1], 'notified', '1')
  redis.call('PEXPIRE', KEYS[1], ARGV[5])
  return { 0, first }
end
redis.call('HINCRBY', KEYS[1], 'total', ARGV[2])
redis.call('HINCRBY', KEYS[1], 'b:' .. ARGV[3], ARGV[2])
redis.call('HSET', KEYS[1], field, ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return { 1, 0 }
