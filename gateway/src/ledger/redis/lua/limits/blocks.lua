-- Record a safety block (ARGV[5] == '1') and/or read the cooldown (guards.lua).
-- KEYS[1]: the user's blocks (ZSET, member "<ms>:<nonce>" scored by time).
-- ARGV[1]: now override or ''; ARGV[2]: window (ms); ARGV[3]: threshold;
-- ARGV[4]: a fresh nonce; ARGV[5]: '1' to record a block now.
-- Reply: {0} no cooldown, or {1, until}.
local now = clock(ARGV[1])
local window = tonumber(ARGV[2])
local threshold = tonumber(ARGV[3])
if ARGV[5] == '1' then
  redis.call('ZADD', KEYS[1], now, string.format('%d', now) .. ':' .. ARGV[4])
  -- Only the last `threshold` blocks can matter: cap the set.
  redis.call('ZREMRANGEBYRANK', KEYS[1], 0, -math.max(threshold, 1) - 1)
  redis.call('PEXPIRE', KEYS[1], math.max(window, 1))
end
local until_at = cooldown_until(KEYS[1], now, window, threshold)
if until_at then
  return {1, until_at}
end
return {0}
