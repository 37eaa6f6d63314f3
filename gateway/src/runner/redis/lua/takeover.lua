-- takeover: the entries of every consumer whose heartbeat lapsed move to
-- the taker (min-idle 0: the lapsed heartbeat on the queue's clock is the
-- proof of death), and the dead consumer is deleted.
-- KEYS: 1 hb, 2 run
-- ARGV: 1 now override, 2 taker, 3 group, 4 heartbeat ms
-- Returns {entry, id, entry, id, ...}
local now = clock(ARGV[1])
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[4]), ARGV[2])
ensure_group(KEYS[2], ARGV[3])
local out = {}
for _, dead in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now)) do
  if dead ~= ARGV[2] then
    local ids = {}
    for _, p in ipairs(redis.call('XPENDING', KEYS[2], ARGV[3], '-', '+', 100000, dead)) do
      ids[#ids + 1] = p[1]
    end
    if #ids > 0 then
      redis.call('XCLAIM', KEYS[2], ARGV[3], ARGV[2], 0, unpack(ids), 'JUSTID')
      for _, entry in ipairs(ids) do
        local got = redis.call('XRANGE', KEYS[2], entry, entry)
        if got[1] then
          out[#out + 1] = entry
          out[#out + 1] = got[1][2][2]
        end
      end
    end
    redis.call('XGROUP', 'DELCONSUMER', KEYS[2], ARGV[3], dead)
    redis.call('ZREM', KEYS[1], dead)
  end
end
return out
