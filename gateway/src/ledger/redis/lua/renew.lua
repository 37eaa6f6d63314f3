-- renew: extend a pending reservation's lease.
-- KEYS: 1 pend
-- ARGV: 1 now override, 2 id, 3 lease ms
-- Returns the new lease_until, or 0 if the reservation is not pending.
local now = clock(ARGV[1])
if not redis.call('ZSCORE', KEYS[1], ARGV[2]) then
  return 0
end
local lease_until = now + tonumber(ARGV[3])
redis.call('ZADD', KEYS[1], 'XX', lease_until, ARGV[2])
return lease_until
