-- renew: heartbeat, keep this consumer's entries fresh, say which are
-- still its own (an entry taken over by another consumer is not stolen back).
-- KEYS: 1 hb, 2 run
-- ARGV: 1 now override, 2 consumer, 3 group, 4 heartbeat ms, 5 record ttl ms,
--       6 record key prefix, 7.. entries
-- Returns the entries still owned.
local now = clock(ARGV[1])
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[4]), ARGV[2])
ensure_group(KEYS[2], ARGV[3])
local mine = {}
for _, p in ipairs(redis.call('XPENDING', KEYS[2], ARGV[3], '-', '+', 100000, ARGV[2])) do
  mine[p[1]] = true
end
local owned = {}
for i = 7, #ARGV do
  if mine[ARGV[i]] then
    owned[#owned + 1] = ARGV[i]
  end
end
if #owned > 0 then
  redis.call('XCLAIM', KEYS[2], ARGV[3], ARGV[2], 0, unpack(owned), 'JUSTID')
  for _, entry in ipairs(owned) do
    local got = redis.call('XRANGE', KEYS[2], entry, entry)
    if got[1] then
      redis.call('PEXPIRE', ARGV[6] .. got[1][2][2], ARGV[5])
    end
  end
end
return owned
