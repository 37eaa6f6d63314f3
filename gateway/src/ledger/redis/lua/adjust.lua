-- adjust: add or remove prepaid credits; never below zero.
-- KEYS: 1 meta
-- ARGV: 1 now override, 2 delta (integer string)
-- Returns {'ok', now, balance} or {'refused', now, balance}.
local now = clock(ARGV[1])
local balance = tonumber(redis.call('HGET', KEYS[1], 'credits') or '0') or 0
if balance + tonumber(ARGV[2]) < 0 then
  return { 'refused', now, balance }
end
return { 'ok', now, redis.call('HINCRBY', KEYS[1], 'credits', ARGV[2]) }
